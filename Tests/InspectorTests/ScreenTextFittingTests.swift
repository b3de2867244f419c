import Inspector
import Testing

/// Text that does not fit loses whole words and says so with `…`; a number is never cut.
@Suite("Fitting text into cells")
struct ScreenTextFittingTests {
    @Test func textThatFitsIsLeftAlone() {
        #expect(TextFitting.truncated("mepc 31726574", toWidth: 13) == "mepc 31726574")
        #expect(TextFitting.truncated("", toWidth: 0) == "")
    }

    @Test func aValueThatDoesNotFitGoesWholeAndAnEllipsisSaysSo() {
        #expect(
            TextFitting.truncated("mtvec 00000000 direct   mepc 31726574", toWidth: 32)
                == "mtvec 00000000 direct   mepc…")
        #expect(TextFitting.truncated("mepc 31726574", toWidth: 9) == "mepc…")
    }

    @Test func aLoneNumberIsNeverShownInPart() {
        #expect(TextFitting.truncated("80001034", toWidth: 5) == "…")
        #expect(TextFitting.truncated("0x31726574,", toWidth: 8) == "…")
        #expect(TextFitting.truncated("deadbeef", toWidth: 6) == "…", "all hex letters is a number too")
    }

    @Test func proseIsCutAtAWordBoundary() {
        #expect(TextFitting.truncated("one percent back/forward", toWidth: 20) == "one percent…")
        #expect(TextFitting.truncated("switching on the spare sensor", toWidth: 22) == "switching on the…")
    }

    @Test func aLongWordWithoutDigitsIsCutWithAnEllipsis() {
        #expect(TextFitting.truncated("instruction", toWidth: 6) == "instr…")
    }

    @Test func aSymbolIsCutAfterItsPunctuation() {
        #expect(TextFitting.truncated("<poll_sensors+0x30>", toWidth: 15) == "<poll_sensors+…")
    }

    @Test func trailingSpacesThatDoNotFitNeedNoEllipsis() {
        #expect(TextFitting.truncated(" Registers   ", toWidth: 11) == " Registers ")
    }

    @Test func aGridCutsWhatItPutsAtAWordBoundary() {
        var grid = ScreenGrid(width: 20, height: 1)
        grid.put("mtvec 00000000 mepc 31726574", x: 0, y: 0)
        #expect(grid.text == "mtvec 00000000 mepc…")
        var narrow = ScreenGrid(width: 30, height: 1)
        narrow.put("mcause 00000001 instruction access fault", x: 2, y: 0, maxWidth: 20)
        #expect(narrow.text == "  mcause 00000001…")
    }

    @Test func wrappingBreaksAtSpaces() {
        #expect(
            TextFitting.wrapped("Last trap: instruction access fault at mepc 31726574.", toWidth: 20)
                == ["Last trap:", "instruction access", "fault at mepc", "31726574."])
        #expect(TextFitting.wrapped("supercalifragilistic", toWidth: 8) == ["superca…"])
    }
}
