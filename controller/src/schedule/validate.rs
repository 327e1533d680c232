//! What a schedule's name, calendar spec and description may be. Anything that ends up in a
//! unit file is checked here first: a newline in a description would otherwise add a directive.

use super::tools::Tools;

/// Longest name accepted: the units are `play-NAME.service`, kept readable in `systemctl`.
pub const MAX_NAME_LEN: usize = 48;

/// `[a-z0-9-]`, 1 to 48 characters, starting with a letter or digit.
pub fn name(name: &str) -> Result<(), String> {
    let hint = "use lowercase letters, digits and '-', starting with a letter or digit (e.g. `drift-check`)";
    if name.is_empty() {
        return Err(format!("the schedule name is empty: {hint}"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "the schedule name '{name}' is {} characters long; the limit is {MAX_NAME_LEN}",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "the schedule name '{name}' contains {bad:?}: {hint}"
        ));
    }
    if name.starts_with('-') {
        return Err(format!(
            "the schedule name '{name}' starts with '-': {hint}"
        ));
    }
    Ok(())
}

/// Text that goes into a unit file as one value: one line, no control characters.
pub fn unit_value(what: &str, value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the {what} contains the control character {c:?}; unit files take one line of text"
        ));
    }
    if value.trim() != value {
        return Err(format!(
            "the {what} '{value}' starts or ends with whitespace, which systemd would drop"
        ));
    }
    Ok(())
}

/// Checks an OnCalendar spec: locally for what would break the unit file, then with
/// `systemd-analyze calendar` when it is installed. Returns systemd's "Next elapse" line when
/// it answered.
pub fn calendar(spec: &str, tools: &dyn Tools) -> Result<Option<String>, String> {
    if spec.is_empty() {
        return Err("--on-calendar is empty: give a systemd calendar spec such as `hourly` or `*-*-* 03:00:00`".into());
    }
    unit_value("calendar spec", spec)?;
    if spec.contains('%') {
        return Err(format!(
            "the calendar spec '{spec}' contains '%', which no calendar spec has (see `man systemd.time`)"
        ));
    }
    let out = match tools.run("systemd-analyze", &["calendar", spec]) {
        Ok(out) => out,
        // Not installed (a machine without systemd will fail at systemctl anyway).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot run systemd-analyze calendar: {e}")),
    };
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(format!(
            "'{spec}' is not a valid OnCalendar spec: {why} (examples: `hourly`, `*-*-* 03:00:00`, `Mon..Fri 09:00`, `*:0/15`; see `man systemd.time`)"
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Next elapse:"))
        .map(|s| s.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::tools::fake::FakeTools;

    #[test]
    fn names() {
        for ok in ["drift", "a", "web-1", "0nightly", &"a".repeat(48)] {
            assert!(name(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("", "empty"),
            ("Drift", "'D'"),
            ("my_sched", "'_'"),
            ("a b", "' '"),
            ("x/../y", "'/'"),
            ("-x", "starts with '-'"),
            ("ü", "'ü'"),
        ];
        for (bad, says) in cases {
            let err = name(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert!(name(&"a".repeat(49)).unwrap_err().contains("limit is 48"));
    }

    #[test]
    fn unit_values_are_one_line() {
        assert!(unit_value("description", "nightly apply").is_ok());
        assert!(unit_value("description", "x\nExecStart=/bin/sh")
            .unwrap_err()
            .contains("control character"));
        assert!(unit_value("description", " x").is_err());
    }

    #[test]
    fn calendar_asks_systemd_analyze() {
        let tools = FakeTools::default();
        tools.answer(
            "systemd-analyze",
            0,
            "  Original form: hourly\nNormalized form: *-*-* *:00:00\n    Next elapse: Wed 2026-11-25 13:00:00 UTC\n",
            "",
        );
        assert_eq!(
            calendar("hourly", &tools).unwrap().as_deref(),
            Some("Wed 2026-11-25 13:00:00 UTC")
        );
        assert_eq!(tools.calls(), vec!["systemd-analyze calendar hourly"]);

        tools.answer(
            "systemd-analyze",
            1,
            "",
            "Failed to parse calendar specification 'bogus': Invalid argument\n",
        );
        let err = calendar("bogus", &tools).unwrap_err();
        assert!(err.contains("not a valid OnCalendar spec"), "{err}");
        assert!(err.contains("Invalid argument"), "{err}");
    }

    #[test]
    fn calendar_without_systemd_analyze_checks_locally() {
        let tools = FakeTools::default(); // answers NotFound
        assert_eq!(calendar("daily", &tools).unwrap(), None);
        assert!(calendar("", &tools).is_err());
        assert!(calendar("daily\n[Service]", &tools).is_err());
        assert!(calendar("%H", &tools).is_err());
    }
}
