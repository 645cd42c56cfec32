import Testing
import WebOutput

/// The one HTML escaper and page JSON writer, in each context, against literal expected text.
@Suite struct HTMLEscapeTests {
    /// Everything that can break out of text, an attribute or a script element.
    static let nasty = "a<b>&c\"d'e</script><!--f\u{2028}g\u{2029}h"

    @Test func text() {
        #expect(HTML.escape(Self.nasty) == "a&lt;b&gt;&amp;c&quot;d&#39;e&lt;/script&gt;&lt;!--f\u{2028}g\u{2029}h")
        #expect(HTML.escape("plain text, ünïcode ✓") == "plain text, ünïcode ✓")
        #expect(HTML.escape("&amp;") == "&amp;amp;")
    }

    @Test func attribute() {
        #expect(HTML.attribute("title", Self.nasty)
                == " title=\"a&lt;b&gt;&amp;c&quot;d&#39;e&lt;/script&gt;&lt;!--f\u{2028}g\u{2029}h\"")
        #expect(HTML.attribute("title", nil) == "")
    }

    /// A JSON string of the text: `JSON.quoted` escapes `<`, `>`, `&`, U+2028/9 itself; `scriptJSON` makes other
    /// JSON text safe (`</` and `<!--` broken, U+2028/9 escaped) without changing what it parses to.
    @Test func scriptJSON() {
        #expect(JSON.quoted(Self.nasty)
                == #""a\u003cb\u003e\u0026c\"d'e\u003c/script\u003e\u003c!--f\u2028g\u2029h""#)
        #expect(HTML.scriptJSON(#"{"s":"a<b>&c\"d'e</script><!--f"# + "\u{2028}g\u{2029}h\"}")
                == #"{"s":"a<b>&c\"d'e<\/script><\!--f\u2028g\u2029h"}"#)
        #expect(HTML.scriptJSON("[1,\"<\"]") == "[1,\"<\"]")
    }
}

@Suite struct JSONWriterTests {
    @Test func nestedValuesSortedKeys() {
        let value: JSON = [
            "zeta": [1, 2.5, nil, true, false],
            "alpha": ["b": "x", "a": .number(.nan), "B": .number(-.infinity)],
            "mid": .fixed(3.14159, decimals: 2),
            "": .array([]),
        ]
        #expect(value.encoded == #"{"":[],"alpha":{"B":null,"a":null,"b":"x"},"mid":3.14,"zeta":[1,2.5,null,true,false]}"#)
    }

    @Test func numbers() {
        #expect(JSON.number(.nan).encoded == "null" && JSON.number(.infinity).encoded == "null")
        #expect(JSON.fixed(.nan, decimals: 2).encoded == "null")
        #expect(JSON.number(3).encoded == "3" && JSON.number(-0.0).encoded == "0")
        #expect(JSON.number(0.1).encoded == "0.1" && JSON.number(1.0 / 3).encoded == "0.3333333333333333")
        #expect(JSON.number(1e-7).encoded == "1e-07" && JSON.number(1e300).encoded == "1e+300")
        #expect(JSON.number(123456789012.5).encoded == "123456789012.5")
        #expect(JSON.fixed(2.50, decimals: 3).encoded == "2.5" && JSON.fixed(-0.0001, decimals: 2).encoded == "0")
        #expect(JSON.fixed(7, decimals: 2).encoded == "7")
        #expect(JSON.numbers([1.25, 2], decimals: 1).encoded == "[1.2,2]" && JSON.ints([3, 1]).encoded == "[3,1]")
        // Every finite number reads back as itself.
        for x in [0.1, 2.0 / 3, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -123.456, 3 * 9007199254740992] {
            #expect(Double(JSON.number(x).encoded) == x, "\(x)")
        }
    }

    @Test func strings() {
        #expect(JSON.string("tab\there\nnew \\ \u{1}").encoded == #""tab\there\nnew \\ \u0001""#)
        #expect(JSON.string("ünïcode ✓").encoded == "\"ünïcode ✓\"")
    }
}
