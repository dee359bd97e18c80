//! When a token expires: the `exp` claim of a JWT, and RFC 3339 timestamps as the Codex CLI
//! writes them (`last_refresh`, chrono's UTC form `2025-08-07T12:34:56.123456Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Decodes unpadded base64url (RFC 4648 §5), the encoding of a JWT's segments.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let produced = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..=produced]);
    }
    Some(out)
}

/// The claims of a JWT (`header.payload.signature`), unverified: only the token's issuer
/// checks it; this side reads when it expires and which account it is for.
pub fn jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    serde_json::from_slice(&base64url(payload)?).ok()
}

/// The `exp` claim of a JWT (codex-rs/login/src/token_data.rs `parse_jwt_expiration`).
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let exp = jwt_claims(token)?.get("exp")?.as_u64()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(exp))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `time` as RFC 3339 in UTC, to the second: `2026-12-01T23:28:32Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rest = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Reads an RFC 3339 UTC timestamp (`Z` or `+00:00`, fractional seconds ignored).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let zone = text
        .get(19..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if !matches!(zone, "Z" | "z" | "+00:00") || !(1..=12).contains(&month) {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_read_chrono_fractions() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_631_712);
        assert_eq!(rfc3339(t), "2025-12-01T23:28:32Z");
        assert_eq!(parse_rfc3339("2025-12-01T23:28:32Z"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01T23:28:32.123456Z"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01T23:28:32+00:00"), Some(t));
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z")
                .map(rfc3339)
                .as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2025-12-01T23:28:32+02:00"), None);
    }

    #[test]
    fn a_jwt_says_when_it_expires() {
        // {"alg":"none"} . {"exp":1764631712,"sub":"u"} . sig
        let token = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3NjQ2MzE3MTIsInN1YiI6InUifQ.c2ln";
        assert_eq!(
            jwt_expiry(token),
            Some(UNIX_EPOCH + Duration::from_secs(1_764_631_712))
        );
        assert_eq!(jwt_claims(token).unwrap()["sub"], "u");
        assert_eq!(jwt_expiry("not-a-jwt"), None);
        assert_eq!(jwt_expiry("a.!!!.c"), None);
    }
}
