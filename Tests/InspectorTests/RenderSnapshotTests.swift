import Inspector
import Testing

/// Whole screens of the demo recordings compared with `Snapshots/*.txt`. When a change to the
/// screen is intended: `TIMESCOPE_RECORD_SNAPSHOTS=1 swift test --filter RenderSnapshotTests`,
/// read the new files as a user would, and commit them.
@Suite("Screens of the demo recordings")
struct RenderSnapshotTests {
    @Test func crashAtTheEndShowsTheBannerRegistersAndConsole() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 160, height: 45, atMachineLevel: true)
        Snapshot("crash-end-160x45").expect(session.frame().text)
    }

    @Test func crashTwoStepsBackShowsTheCallThroughTheCorruptedPointer() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.press(.left, .left)
        Snapshot("crash-two-steps-back-120x36").expect(session.frame().text)
    }

    @Test func crashLastWriteToSensorsReadLandsInCopyName() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 30, atMachineLevel: true)
        session.type("@sensors+56\n")
        session.type("W")
        Snapshot("crash-last-write-sensors56-120x30").expect(session.frame().text)
    }

    @Test func helpOverlayListsTheKeys() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 100, height: 30)
        session.type("?")
        Snapshot("crash-help-100x30").expect(session.frame().text)
    }

    @Test func minimumSizeStillShowsEveryPaneThatFits() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.left, .left)
        Snapshot("crash-two-steps-back-80x24").expect(session.frame().text)
    }

    @Test func minimumSizeAtTheCrashShowsTheTrapInTheDevicesPane() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.tab, .tab)
        Snapshot("crash-end-devices-80x24").expect(session.frame().text)
    }

    @Test func minimumSizeShowsTheStackInTheRegistersPlaceWhileFocused() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.left, .left, .backTab, .backTab)
        Snapshot("crash-two-steps-back-stack-80x24").expect(session.frame().text)
    }

    @Test func aLargeScreenSaysWhatRegistersStackWordsAndTheCurrentInstructionPointTo() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 200, height: 60, atMachineLevel: true)
        session.press(.left, .left)
        Snapshot("crash-two-steps-back-200x60").expect(session.frame().text)
    }

    @Test func aLargeScreenShowsMemoryAsTextAndTheStringAtTheCursor() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 200, height: 60, atMachineLevel: true)
        session.type("@sensors+48\nvv")
        Snapshot("crash-memory-text-200x60").expect(session.frame().text)
    }

    // MARK: Source level

    @Test func theMinimumScreenOpensOnTheCrashLineWithTheCallStackAndVariables() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 80, height: 24)
        Snapshot("crash-source-end-80x24").expect(session.frame().text)
    }

    @Test func theBadFunctionPointerShowsByNameAndValueInTheOpenedStruct() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.press(.tab, .right, .down, .down)
        Snapshot("crash-source-bad-pointer-120x36").expect(session.frame().text)
    }

    @Test func wOnTheBadPointerShowsTheLineInCopyNameThatWroteItOnTheMinimumScreen() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 80, height: 24)
        session.press(.tab, .right, .down, .down, .character("W"))
        Snapshot("crash-source-last-write-80x24").expect(session.frame().text)
    }

    @Test func aLargeScreenShowsAWatchAnOpenStructTheCallStackAndTheConsoleTogether() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 200, height: 60)
        session.type("psensors[2].read\n")
        session.press(.tab, .down, .right)
        Snapshot("crash-source-watch-200x60").expect(session.frame().text)
    }

    @Test func aCallerFrameShowsItsLineItsVariablesAndTheRegistersTheUnwinderRecovered() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 160, height: 45)
        session.press(.tab, .tab, .down)
        Snapshot("crash-source-frame-main-160x45").expect(session.frame().text)
    }

    @Test func tooSmallATerminalSaysWhatItNeeds() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 60, height: 20)
        Snapshot("crash-too-small-60x20").expect(session.frame().text)
    }

    @Test func echoHalfwayShowsInputInterruptsAndTheEchoSoFar() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.echo, width: 160, height: 45, atMachineLevel: true)
        session.type("5")
        Snapshot("echo-50-percent-160x45").expect(session.frame().text)
    }
}

/// The snapshot comparison itself: a failure must be readable.
@Suite("Snapshot diff")
struct SnapshotDiffTests {
    @Test func diffNumbersTheDifferingLinesAndPointsAtTheFirstDifferingColumn() {
        let diff = Snapshot.lineDiff(
            expected: "same\n│x1  ra   80000360     │\nsame", actual: "same\n│x1  ra   80000361     │\nsame")
        #expect(
            diff == """
                1 of 3 lines differ (expected 3 lines, rendered 3):
                line 2:
                  expected ││x1  ra   80000360     │
                  actual   ││x1  ra   80000361     │
                                             ^ column 18
                """)
    }

    @Test func diffShowsMissingAndExtraLines() {
        let diff = Snapshot.lineDiff(expected: "a\nb", actual: "a\nb\nc")
        #expect(diff.contains("line 3:\n  expected (no line)\n  actual   │c"))
    }
}
