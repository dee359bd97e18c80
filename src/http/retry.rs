//! When a failed attempt is tried again: exponential backoff with jitter, the wait a provider
//! asks for in its headers (`retry-after-ms`, `retry-after` in seconds or as an HTTP date), and
//! the provider's own say on whether to retry at all (`x-should-retry`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backon::ExponentialBuilder;
use reqwest::header::HeaderMap;

use crate::error::LlmError;

/// Waits longer than this are not worth sleeping through: the caller is better off falling back.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The official SDKs start at 0.5 s and cap at 8 s; jitter spreads a thundering herd.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(8))
        .with_factor(2.0)
        .with_jitter()
}

/// The error of the last attempt, saying how many were made.
pub fn exhausted(mut err: LlmError, attempts: u32) -> LlmError {
    if attempts > 1 {
        err.message = format!("{} (gave up after {attempts} attempts)", err.message);
    }
    err
}

/// What an absurd or unreadable wait (`1.8e19`, `1e30`, `NaN`, `-1`, `tomorrow`) stands for:
/// far beyond [`MAX_RETRY_AFTER`], so the call is not retried and the caller falls back, yet
/// small enough that adding it to an instant never overflows.
pub const TOO_LONG: Duration = Duration::from_secs(24 * 3600);

/// A wait of `seconds` a provider asked for, as a duration no longer than [`TOO_LONG`]; any
/// value that is not a finite, non-negative number is [`TOO_LONG`] (never a panic, as
/// `Duration::from_secs_f64` would give).
pub fn provider_wait(seconds: f64) -> Duration {
    if seconds.is_finite() && seconds >= 0.0 && seconds < TOO_LONG.as_secs_f64() {
        Duration::from_secs_f64(seconds)
    } else {
        TOO_LONG
    }
}

/// `retry-after-ms` (OpenAI, Anthropic), else `retry-after` in seconds or as an HTTP date
/// (RFC 9110 section 10.2.3); a date already past asks for no wait; a header present but
/// absurd or unreadable asks for [`TOO_LONG`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

/// [`retry_after`] as seen at `now`.
pub fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    // A header that is not text at all is as unreadable as one that is not a number.
    let text = |name: &str| {
        let value = headers.get(name)?;
        Some(value.to_str().map(str::trim).unwrap_or("?"))
    };
    if let Some(ms) = text("retry-after-ms") {
        return Some(provider_wait(
            ms.parse::<f64>().unwrap_or(f64::NAN) / 1000.0,
        ));
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return Some(provider_wait(seconds));
    }
    let Some(at) = http_date(value) else {
        return Some(TOO_LONG);
    };
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(TOO_LONG),
    )
}

/// The provider's `x-should-retry: true|false`, which the official OpenAI and Anthropic SDKs
/// obey over their own rules for the status (`_should_retry` in openai-python and
/// anthropic-sdk-python); anything else is no opinion.
pub fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// An HTTP date (RFC 9110 section 5.6.7): the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must still accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn http_date(text: &str) -> Option<SystemTime> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year, time) = match fields.as_slice() {
        // IMF-fixdate: day-name "," day month year time "GMT".
        [_, day, month, year, time, "GMT"] => (*day, *month, year.parse::<u64>().ok()?, *time),
        // RFC 850: day-name "," day "-" month "-" 2-digit year time "GMT".
        [_, date, time, "GMT"] => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            let year = year.parse::<u64>().ok()?;
            // Two-digit years more than 50 years ahead are in the past (RFC 9110).
            (
                day,
                month,
                if year < 70 { 2000 + year } else { 1900 + year },
                *time,
            )
        }
        // asctime: day-name month day time year.
        [_, month, day, time, year] => (*day, *month, year.parse::<u64>().ok()?, *time),
        _ => return None,
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let day: u64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let mut clock = time.split(':').map(|n| n.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    // Years past 9999 are no HTTP date, and would overflow the day count.
    if clock.next().is_some()
        || hour > 23
        || minute > 59
        || second > 60
        || !(1970..=9999).contains(&year)
    {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's `days_from_civil`, for years from
/// 1970 on, so nothing is negative).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    /// 1994-11-06 08:49:37 UTC, the example date of RFC 9110 section 5.6.7.
    const EXAMPLE: u64 = 784_111_777;

    #[test]
    fn the_three_http_date_forms_of_rfc_9110_read_as_the_same_moment() {
        let moment = UNIX_EPOCH + Duration::from_secs(EXAMPLE);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(http_date(form), Some(moment), "{form}");
        }
        // Leap day and the end of a year.
        assert_eq!(
            http_date("Thu, 29 Feb 2024 00:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_709_164_800))
        );
        assert_eq!(
            http_date("Thu, 31 Dec 2026 23:59:59 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_798_761_599))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "soon",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_dated_retry_after_waits_until_that_moment_and_a_past_one_not_at_all() {
        let now = UNIX_EPOCH + Duration::from_secs(EXAMPLE - 30);
        let dated = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(retry_after_at(&dated, now), Some(Duration::from_secs(30)));
        let later = now + Duration::from_secs(60);
        assert_eq!(retry_after_at(&dated, later), Some(Duration::ZERO));
        // Seconds and milliseconds still win, milliseconds first.
        let both = headers(&[("retry-after", "7"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after_at(&both, now), Some(Duration::from_millis(250)));
        let garbage = headers(&[("retry-after", "tomorrow")]);
        assert_eq!(retry_after_at(&garbage, now), Some(TOO_LONG));
        assert_eq!(retry_after_at(&HeaderMap::new(), now), None);
    }

    #[test]
    fn an_absurd_retry_after_is_too_long_never_a_panic() {
        let now = SystemTime::now();
        for (name, value) in [
            ("retry-after", "1.8e19"),
            ("retry-after", "1e30"),
            ("retry-after", "NaN"),
            ("retry-after", "inf"),
            ("retry-after", "-1"),
            ("retry-after", "18446744073709551616"),
            ("retry-after", "Sun, 06 Nov 99999999999999999 08:49:37 GMT"),
            ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
            ("retry-after-ms", "1e30"),
            ("retry-after-ms", "-5"),
            ("retry-after-ms", "NaN"),
        ] {
            let wait = retry_after_at(&headers(&[(name, value)]), now);
            assert_eq!(wait, Some(TOO_LONG), "{name}: {value}");
        }
        assert!(TOO_LONG > MAX_RETRY_AFTER);
        assert_eq!(provider_wait(1.5), Duration::from_millis(1500));
        assert_eq!(provider_wait(f64::MAX), TOO_LONG);
    }

    #[test]
    fn x_should_retry_is_true_false_or_no_opinion() {
        assert_eq!(
            should_retry(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry(&headers(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(should_retry(&headers(&[("x-should-retry", "maybe")])), None);
        assert_eq!(should_retry(&HeaderMap::new()), None);
    }
}
