import Recording
import Testing

/// WHEN as every command and the inspector's `g` read it (`StepExpression`).
@Suite struct StepExpressionTests {
    func step(_ text: String, last: UInt64 = 1000, reference: UInt64? = nil) throws -> UInt64 {
        try StepExpression(parsing: text).step(lastStep: last, reference: reference)
    }

    func failure(_ text: String, last: UInt64 = 1000, reference: UInt64? = nil) -> String? {
        do {
            _ = try step(text, last: last, reference: reference)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func absoluteFormsNameTheirStep() throws {
        #expect(try step("684") == 684)
        #expect(try step("1_000") == 1000)
        #expect(try step("start") == 0)
        #expect(try step("END") == 1000)
        #expect(try step("50%") == 500)
        #expect(try step("12.5%", last: 999) == 124, "rounded down")
        #expect(try step(" end ") == 1000)
    }

    @Test func offsetsCountFromTheBase() throws {
        #expect(try step("end-100") == 900)
        #expect(try step("end - 100") == 900)
        #expect(try step("50%+10") == 510)
        #expect(try step("684-1") == 683)
        #expect(try step("start+5+5") == 10)
    }

    @Test func aLeadingSignCountsFromTheReference() throws {
        #expect(try step("+10", reference: 684) == 694)
        #expect(try step("-1", reference: 684) == 683)
        #expect(try StepExpression(parsing: "-1").isRelative)
        #expect(try !StepExpression(parsing: "end-1").isRelative)
        #expect(failure("+10")?.contains("counts from another step, and there is none here") == true)
    }

    @Test func stepsOutsideTheRecordingAreRefusedInOneLine() {
        let cases: [(String, String)] = [
            ("1001", "step 1001 is past the end of the recording (0 … 1000)"),
            ("end+1", "past the end of the recording"),
            ("start-1", "is before step 0"),
            ("101%", "a percentage is 0% … 100%"),
            ("soon", "is not a step"),
            ("end-", "is not a step"),
            ("5--3", "is not a step"),
            ("", "is not a step"),
            ("0x10", "is not a step"),
        ]
        for (text, expected) in cases {
            let message = failure(text)
            #expect(message?.contains(expected) == true, "\(text.debugDescription): \(message ?? "no error")")
        }
        #expect(failure("-1", reference: 0)?.contains("before step 0") == true)
    }

    @Test func theTimelinesStaticFormSaysNilForAnythingElse() {
        #expect(Timeline.step(for: "end-10", totalSteps: 100) == 90)
        #expect(Timeline.step(for: "-10", totalSteps: 100, relativeTo: 50) == 40)
        #expect(Timeline.step(for: "-10", totalSteps: 100) == nil)
        #expect(
            Timeline.step(for: "main", totalSteps: 100) == nil,
            "a symbol is not a step: the inspector's g tries it next")
        #expect(Timeline.step(for: "1500", totalSteps: 1000) == nil)
    }
}
