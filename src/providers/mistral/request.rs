//! Tool call ids in the form Mistral accepts; the body itself is OpenAI's.

use crate::completion::CompletionRequest;

/// Whether Mistral accepts `id` as a tool call id: exactly 9 ASCII letters or digits.
pub(super) fn is_mistral_id(id: &str) -> bool {
    id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A valid id for any other id: its FNV-1a hash in 9 base-62 digits (62^9 is about 1.4e16, so
/// two ids of one conversation practically never collide). The same id always maps to the same
/// one, so a call and its result still match.
pub fn mistral_id(id: &str) -> String {
    if is_mistral_id(id) {
        return id.to_string();
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..9)
        .map(|_| {
            let digit = DIGITS[(hash % 62) as usize] as char;
            hash /= 62;
            digit
        })
        .collect()
}

/// `request` with every tool call id in a form Mistral accepts; borrowed when all already are.
pub(super) fn with_mistral_ids(
    request: &CompletionRequest,
) -> std::borrow::Cow<'_, CompletionRequest> {
    let all_valid = request.messages.iter().all(|m| {
        m.tool_calls.iter().all(|c| is_mistral_id(&c.id))
            && m.tool_call_id.as_deref().is_none_or(is_mistral_id)
    });
    if all_valid {
        return std::borrow::Cow::Borrowed(request);
    }
    let mut owned = request.clone();
    for message in &mut owned.messages {
        for call in &mut message.tool_calls {
            call.id = mistral_id(&call.id);
        }
        if let Some(id) = &mut message.tool_call_id {
            *id = mistral_id(id);
        }
    }
    std::borrow::Cow::Owned(owned)
}
