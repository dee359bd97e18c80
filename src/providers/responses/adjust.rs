//! What the Responses wire format cannot carry, taken out of the neutral request before it is
//! written, each change a warning in the record.
//!
//! - Stop sequences: none among its parameters
//!   (<https://platform.openai.com/docs/api-reference/responses/create>), so they move to the
//!   server's local stop, which cuts the answer at the first one.
//! - The Codex backend refuses `max_output_tokens`, `temperature` and `top_p` (`400
//!   Unsupported parameter: max_output_tokens`); the Codex CLI never sends them
//!   (`ResponsesApiRequest` in codex-rs/codex-api/src/common.rs).

use crate::completion::CompletionRequest;

/// Moves the stop sequences to the local stop; on the Codex backend also drops the sampling
/// fields it refuses. One warning per change.
pub(super) fn adjust(request: &mut CompletionRequest, codex: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    let stops = std::mem::take(&mut request.sampling.stop);
    if !stops.is_empty() {
        request.local_stop.extend(stops);
        warnings.push(
            "stop applied by the server: the Responses API has no stop sequences".to_string(),
        );
    }
    if codex {
        let sampling = &mut request.sampling;
        let dropped: Vec<&str> = [
            sampling.max_tokens.take().map(|_| "max_tokens"),
            sampling.temperature.take().map(|_| "temperature"),
            sampling.top_p.take().map(|_| "top_p"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !dropped.is_empty() {
            warnings.push(format!(
                "{} dropped: the Codex backend refuses {}",
                dropped.join(", "),
                if dropped.len() == 1 { "it" } else { "them" }
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::{Message, Sampling};

    fn request() -> CompletionRequest {
        CompletionRequest {
            model: "gpt-5.5".into(),
            messages: vec![Message::user("hi")],
            sampling: Sampling {
                max_tokens: Some(100),
                temperature: Some(0.5),
                stop: vec!["END".into()],
                ..Sampling::default()
            },
            ..CompletionRequest::default()
        }
    }

    #[test]
    fn stops_move_to_the_server_and_say_so() {
        let mut asked = request();
        let warnings = adjust(&mut asked, false);
        assert!(asked.sampling.stop.is_empty());
        assert_eq!(asked.local_stop, ["END"]);
        assert_eq!(asked.sampling.max_tokens, Some(100), "kept off Codex");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("no stop sequences"), "{warnings:?}");
    }

    #[test]
    fn codex_drops_what_its_backend_refuses_and_names_each() {
        let mut asked = request();
        let warnings = adjust(&mut asked, true);
        assert_eq!(asked.sampling.max_tokens, None);
        assert_eq!(asked.sampling.temperature, None);
        assert_eq!(
            warnings[1],
            "max_tokens, temperature dropped: the Codex backend refuses them"
        );
    }

    #[test]
    fn nothing_to_change_is_no_warning() {
        let mut asked = CompletionRequest {
            model: "gpt-5.5".into(),
            messages: vec![Message::user("hi")],
            ..CompletionRequest::default()
        };
        assert!(adjust(&mut asked, true).is_empty());
    }
}
