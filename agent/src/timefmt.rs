//! Wall-clock times in the formats Ansible returns (`start`/`end`/`delta` of command,
//! backup file names, `ansible_date_time`).
//!
//! Local time comes from libc's localtime_r, which reads TZ and /etc/localtime itself; that
//! works in a static binary (no NSS involved) and saves a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A broken-down time.
#[derive(Debug, Clone)]
pub struct Tm {
    pub micros: u32,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 0-based day of the year.
    pub yday: u32,
    /// Seconds east of UTC.
    pub gmtoff: i64,
    pub isdst: bool,
    pub zone: String,
}

pub fn now_epoch() -> (i64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    (d.as_secs() as i64, d.subsec_micros())
}

/// The current local time.
pub fn local_now() -> Tm {
    let (secs, micros) = now_epoch();
    breakdown(secs, micros, true)
}

/// `epoch` in local time (`local`) or UTC.
pub fn breakdown(epoch: i64, micros: u32, local: bool) -> Tm {
    let t = epoch as libc::time_t;
    // SAFETY: tm is plain old data, fully written by localtime_r/gmtime_r on success; both
    // functions only read `t` and write `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        if local {
            !libc::localtime_r(&t, &mut tm).is_null()
        } else {
            !libc::gmtime_r(&t, &mut tm).is_null()
        }
    };
    if !ok {
        // Out-of-range times cannot come from the clock; fall back to the epoch.
        return breakdown(0, 0, false);
    }
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points at a NUL-terminated static string owned by libc.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    Tm {
        micros,
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        weekday: tm.tm_wday as u32,
        yday: tm.tm_yday as u32,
        gmtoff: tm.tm_gmtoff,
        isdst: tm.tm_isdst > 0,
        zone,
    }
}

impl Tm {
    /// `2024-05-01`
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `13:04:05`
    pub fn time(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// `2024-05-01 13:04:05.123456`, as command's start/end.
    pub fn datetime_micro(&self) -> String {
        format!("{} {}.{:06}", self.date(), self.time(), self.micros)
    }

    /// `+0200`
    pub fn tz_offset(&self) -> String {
        let sign = if self.gmtoff < 0 { '-' } else { '+' };
        let off = self.gmtoff.abs();
        format!("{sign}{:02}{:02}", off / 3600, (off % 3600) / 60)
    }
}

/// `0:00:01.234567`, as command's delta.
pub fn format_delta(d: Duration) -> String {
    let secs = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_breakdown_and_formats() {
        let t = breakdown(1_700_000_000, 42, false);
        assert_eq!(t.date(), "2023-11-14");
        assert_eq!(t.time(), "22:13:20");
        assert_eq!(t.datetime_micro(), "2023-11-14 22:13:20.000042");
        assert_eq!(t.weekday, 2);
        assert_eq!(t.tz_offset(), "+0000");
        assert_eq!(
            format_delta(Duration::from_micros(3_723_000_005)),
            "1:02:03.000005"
        );
    }
}
