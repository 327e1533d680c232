//! UTC timestamps for report names and summaries, without a date crate: report names must sort
//! by time as plain strings, and that is all the calendar arithmetic play needs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Broken-down UTC time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
}

fn utc(t: SystemTime) -> Utc {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    Utc {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        millis: since.subsec_millis(),
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-25T12:21:00.123Z`
pub fn rfc3339(t: SystemTime) -> String {
    let u = utc(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.millis
    )
}

/// `20261125T122100.123Z`: a file name part that sorts by time.
pub fn file_stamp(t: SystemTime) -> String {
    let u = utc(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.millis
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day in a century leap year) 23:59:59.999
        assert_eq!(rfc3339(at(951_868_799, 999)), "2000-02-29T23:59:59.999Z");
        assert_eq!(rfc3339(at(1_709_164_800, 0)), "2024-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(at(4_102_444_800, 5)), "2100-01-01T00:00:00.005Z");
        assert_eq!(file_stamp(at(1_764_073_260, 123)), "20251125T122100.123Z");
    }

    #[test]
    fn file_stamps_sort_by_time() {
        let a = file_stamp(at(1_700_000_000, 999));
        let b = file_stamp(at(1_700_000_001, 0));
        let c = file_stamp(at(1_800_000_000, 0));
        assert!(a < b && b < c);
    }
}
