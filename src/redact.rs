//! Secrets taken out of text: every form in which a key may come back from a provider (as
//! sent, JSON-escaped, URL-encoded, inside base64 at any alignment), longest first, so that
//! one key containing another never leaves the longer one's tail behind.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// What a secret becomes in text.
pub const REDACTED: &str = "<redacted>";

/// A secret shorter than this is only redacted as it is: the base64 core of a short string is
/// a few characters that ordinary text holds by chance.
const MIN_ENCODED: usize = 8;

/// The forms of `secrets` to take out of text, longest first, without repeats.
pub fn forms<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
        all.push(secret.to_string());
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        all.push(escaped.trim_matches('"').to_string());
        all.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
        if secret.len() >= MIN_ENCODED {
            for engine in [&STANDARD, &URL_SAFE] {
                all.extend((0..3).map(|shift| base64_core(engine, secret, shift)));
            }
        }
    }
    all.retain(|form| !form.is_empty());
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
    all
}

/// The characters of base64 text that only `secret` decides when it starts `shift` bytes
/// into the encoded data: the encoding of `shift` bytes before it and whatever follows it
/// changes the quantums at either end, never the ones between.
fn base64_core(engine: &base64::engine::GeneralPurpose, secret: &str, shift: usize) -> String {
    let mut bytes = vec![0u8; shift];
    bytes.extend_from_slice(secret.as_bytes());
    let encoded = engine.encode(&bytes);
    // Characters up to the first whole quantum after the padding bytes, and from the last
    // quantum (which may mix the secret's end with what follows), depend on more than it.
    let start = if shift == 0 { 0 } else { 4 };
    let end = (bytes.len() / 3) * 4;
    encoded
        .get(start..end.max(start))
        .unwrap_or_default()
        .to_string()
}

/// `text` with each of `forms` (see [`forms`]) replaced by [`REDACTED`].
pub fn redact(text: &str, forms: &[String]) -> String {
    if forms.iter().all(|form| !text.contains(form.as_str())) {
        return text.to_string();
    }
    forms.iter().fold(text.to_string(), |text, form| {
        text.replace(form.as_str(), REDACTED)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-Secret+Key/With=Odd&Chars";

    #[test]
    fn every_encoding_of_a_key_is_taken_out() {
        let forms = forms([KEY]);
        let json = serde_json::to_string(&serde_json::json!({"k": KEY})).unwrap();
        let url: String = url::form_urlencoded::byte_serialize(KEY.as_bytes()).collect();
        let basic = STANDARD.encode(format!("user:{KEY}"));
        let safe = URL_SAFE.encode(format!("ab{KEY}xyz"));
        for text in [KEY.to_string(), json, url, basic.clone(), safe] {
            let out = redact(&format!("echo {text} end"), &forms);
            assert!(!out.contains("Secret"), "{out}");
            assert!(out.contains(REDACTED), "{text} -> {out}");
        }
        // What is left of the Basic header is the two quantums the key shares with "user:"
        // and with the padding: at most two of its bytes at either end.
        let out = redact(&basic, &forms);
        assert_eq!(out.replace(REDACTED, "").len(), 12, "{out}");
    }

    #[test]
    fn the_longer_of_two_overlapping_keys_goes_whole() {
        let (short, long) = ("sk-abcdefgh", "sk-abcdefgh-and-more-of-it");
        let out = redact(&format!("got {long}"), &forms([short, long]));
        assert_eq!(out, format!("got {REDACTED}"));
    }

    #[test]
    fn text_without_a_key_is_unchanged_and_short_keys_are_redacted_as_they_are() {
        let forms = forms(["k0"]);
        assert_eq!(redact("nothing here", &forms), "nothing here");
        assert_eq!(redact("bad k0", &forms), format!("bad {REDACTED}"));
        assert_eq!(forms, ["k0"], "no encoded forms for a short key");
    }
}
