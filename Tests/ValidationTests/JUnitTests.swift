import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Validation

/// junit.xml: one test case per expectation with its measured value and time, escaped, and deterministic apart
/// from the time the caller passes.
@Suite struct JUnitTests {
    static func results() -> ScenarioRunner.Results {
        var r = ScenarioReportTests.results()
        // A passing, a failing and a null expectation (the values are set by hand; junit writes what it is given).
        r.verdicts = [
            .init(metric: "target.within_or_adjacent_rate", expectation: ">= 0.7", value: 0.75, passed: true),
            .init(metric: "scar.kappa", expectation: ">= 0.85 'strict'", value: 0.1 + 0.2, passed: false),
            .init(metric: "registration.mtre_mm", expectation: "<= 5", value: .nan, passed: false, reason: "no fluoroscopy <here>"),
        ]
        return r
    }

    @Test func valueAndTimePerTestCase() {
        let xml = ScenarioRunner.junit(Self.results(), seconds: 12)
        let scenario = "hand-made &lt;test&gt; &amp; &quot;quotes&quot;"
        #expect(xml == """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuite name="\(scenario)" tests="3" failures="2" time="12.000">
          <testcase classname="\(scenario)" name="target.within_or_adjacent_rate &gt;= 0.7" time="4.000"><properties><property name="value" value="0.75"/></properties></testcase>
          <testcase classname="\(scenario)" name="scar.kappa &gt;= 0.85 &#39;strict&#39;" time="4.000"><properties><property name="value" value="0.30000000000000004"/></properties><failure message="scar.kappa = 0.30000000000000004, expected &gt;= 0.85 &#39;strict&#39;"/></testcase>
          <testcase classname="\(scenario)" name="registration.mtre_mm &lt;= 5" time="4.000"><properties><property name="value" value="null"/><property name="reason" value="no fluoroscopy &lt;here&gt;"/></properties><failure message="registration.mtre_mm = null (no fluoroscopy &lt;here&gt;), expected &lt;= 5"/></testcase>
        </testsuite>

        """)
        // The value reads back exactly; without seconds there is no time attribute at all.
        #expect(Double("0.30000000000000004") == 0.1 + 0.2)
        let untimed = ScenarioRunner.junit(Self.results())
        #expect(!untimed.contains("time=") && untimed == ScenarioRunner.junit(Self.results()))
        #expect(untimed == xml.replacingOccurrences(of: #" time="[0-9.]+""#, with: "", options: .regularExpression))
        // It parses as XML.
        #expect((try? XMLDocument(xmlString: xml)) != nil)
    }
}
