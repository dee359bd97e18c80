//! The bearer token of an HTTP listener: `Authorization: Bearer TOKEN`, compared in constant
//! time so that the time a refusal takes says nothing about how much of a guess was right.

use http::HeaderMap;

use crate::secret::Secret;

/// Whether `headers` carry `Authorization: Bearer` with exactly `token`.
pub(super) fn authorized(headers: &HeaderMap, token: &Secret) -> bool {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let value = value.as_bytes();
    // The scheme is case-insensitive (RFC 9110 section 11.1); the token is not.
    let Some((scheme, presented)) = value.split_at_checked(7) else {
        return false;
    };
    scheme.eq_ignore_ascii_case(b"bearer ") && same(presented, token.expose().as_bytes())
}

/// Compares every byte of the longer input whatever the first difference, and folds the
/// lengths in too; `black_box` keeps the optimizer from turning the loop into an early exit.
fn same(presented: &[u8], expected: &[u8]) -> bool {
    let mut difference = (presented.len() != expected.len()) as u8;
    for i in 0..presented.len().max(expected.len()) {
        let a = presented.get(i).copied().unwrap_or(0);
        let b = expected.get(i).copied().unwrap_or(0);
        difference |= std::hint::black_box(a ^ b);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(http::header::AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_the_exact_token_with_the_bearer_scheme_passes() {
        let token = Secret::new("s3cret-token-0123456789".into());
        assert!(authorized(
            &headers(&["Bearer s3cret-token-0123456789"]),
            &token
        ));
        assert!(authorized(
            &headers(&["bearer s3cret-token-0123456789"]),
            &token
        ));
        for refused in [
            "Bearer s3cret-token-012345678",
            "Bearer s3cret-token-01234567890",
            "Bearer S3CRET-TOKEN-0123456789",
            "Basic s3cret-token-0123456789",
            "Bearer",
            "s3cret-token-0123456789",
            "",
        ] {
            assert!(!authorized(&headers(&[refused]), &token), "{refused:?}");
        }
        assert!(!authorized(&headers(&[]), &token));
        // Two Authorization headers are ambiguous: refused even when one is right.
        assert!(!authorized(
            &headers(&["Bearer wrong", "Bearer s3cret-token-0123456789"]),
            &token
        ));
    }
}
