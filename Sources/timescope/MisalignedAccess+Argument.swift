import ArgumentParser
import Machine

/// `--misaligned perform|trap`: the values are the raw values, listed in the help.
extension BoardConfiguration.MisalignedAccess: ExpressibleByArgument {}
