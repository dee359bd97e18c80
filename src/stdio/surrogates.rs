//! Lone surrogate escapes: what checking JSON strings without decoding them lets through.
//!
//! The passthrough reads lines with their strings checked but not decoded (borrowed raw
//! values, serde_json's `ignore_str`), and that check accepts `"\ud800"`, which serde_json
//! (and so rmcp) refuses when it decodes. A line passed on as written must decode, or a
//! strict reader at the other end drops it and its call waits: a line that may hold a
//! surrogate escape is decoded in full to be judged.

/// Whether every string in `line` decodes, judged by decoding only a line that may hold a
/// surrogate escape (`\uD800` to `\uDFFF`).
pub fn strings_decode(line: &[u8]) -> bool {
    !may_hold_surrogates(line) || serde_json::from_slice::<serde_json::Value>(line).is_ok()
}

fn may_hold_surrogates(line: &[u8]) -> bool {
    memchr::memmem::find_iter(line, b"\\u").any(|at| {
        matches!(
            line.get(at + 2..at + 4),
            Some([b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_surrogate_fails() {
        assert!(!strings_decode(br#"{"a":"x\ud800y"}"#));
        assert!(!strings_decode(br#"{"a":"\uDFFF"}"#));
        assert!(strings_decode(br#"{"a":"\ud83d\ude00 \u00e9"}"#));
        // An escaped backslash before `ud800` is text, not an escape.
        assert!(strings_decode(br#"{"a":"\\ud800"}"#));
        assert!(strings_decode(br#"{"a":"plain"}"#));
    }
}
