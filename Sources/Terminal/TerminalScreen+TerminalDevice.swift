import Screen

/// The inspector's session drives the real terminal through `TerminalDevice`: `size`, `draw`
/// and `readKey` are `TerminalScreen`'s own.
extension TerminalScreen: TerminalDevice {}
