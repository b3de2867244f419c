// The inspector renders `ScreenGrid`s and reads `Key`s, so whoever imports it gets the screen
// types too (as `NIO` re-exports `NIOCore`).
@_exported import Screen
