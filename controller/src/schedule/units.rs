//! The text of a schedule's systemd units. The service runs `play schedule run NAME` (the play
//! arguments stay in the root-only state file); the timer starts it on the calendar spec.
//! Values are escaped for unit-file syntax: `%` starts a specifier everywhere, and `$` expands
//! variables in ExecStart.

use super::state::ScheduleState;
use super::{exit, service_unit};
use std::path::Path;

/// Unit text for a schedule; `state_dir` is given only when it is not the default.
pub fn render_service(state: &ScheduleState, state_dir: Option<&Path>) -> Result<String, String> {
    let mut exec = vec![
        exec_arg(&path_text("play binary", &state.play_binary)?),
        "schedule".to_string(),
    ];
    if let Some(dir) = state_dir {
        exec.push("--state-dir".into());
        exec.push(exec_arg(&path_text("state folder", dir)?));
    }
    exec.push("run".into());
    exec.push(state.name.clone());
    let workdir = path_text("working folder", &state.working_directory)?;
    Ok(format!(
        "{header}\
[Unit]
Description={description}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={exec}
WorkingDirectory={workdir}
# {skipped}: another run of this schedule held its lock; not a failure.
SuccessExitStatus={skipped}
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
",
        header = header(&state.name),
        description = escape_specifiers(&description(state, "")),
        exec = exec.join(" "),
        workdir = escape_specifiers(&workdir),
        skipped = exit::SKIPPED_OVERLAP,
    ))
}

pub fn render_timer(state: &ScheduleState) -> String {
    let delay = state
        .randomized_delay_secs
        .map(|s| format!("RandomizedDelaySec={s}\n"))
        .unwrap_or_default();
    format!(
        "{header}\
[Unit]
Description={description}

[Timer]
OnCalendar={calendar}
# Runs missed while the machine was off start at the next boot.
Persistent=true
# systemd's default (1min) would merge runs a calendar spec asks to be seconds apart.
AccuracySec=1s
{delay}Unit={service}

[Install]
WantedBy=timers.target
",
        header = header(&state.name),
        description = escape_specifiers(&description(state, " (timer)")),
        calendar = escape_specifiers(&state.on_calendar),
        service = service_unit(&state.name),
    )
}

fn header(name: &str) -> String {
    format!(
        "# Written by `play schedule add {name}`; remove with `play schedule remove {name}`.\n\
         # The play arguments are in the schedule's root-only state file, not here.\n"
    )
}

/// Never the play arguments: unit files are world-readable and those may hold secrets.
fn description(state: &ScheduleState, suffix: &str) -> String {
    let mode = if state.check { "drift check" } else { "apply" };
    match &state.description {
        Some(text) => format!("play schedule {}{suffix}: {text}", state.name),
        None => format!("play schedule {}{suffix} ({mode})", state.name),
    }
}

fn path_text(what: &str, path: &Path) -> Result<String, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("the {what} {} is not UTF-8", path.display()))?;
    if !path.is_absolute() {
        return Err(format!("the {what} {text} is not an absolute path"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!(
            "the {what} {text:?} contains a control character; a unit file cannot name it"
        ));
    }
    Ok(text.to_string())
}

/// `%` is a specifier in every unit-file value.
fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

/// One ExecStart word: bare when plain, else double-quoted with C-style escapes; `%` and `$`
/// doubled so systemd neither expands specifiers nor variables.
fn exec_arg(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._+-:@=,".contains(c));
    if plain {
        return word.to_string();
    }
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ScheduleState {
        ScheduleState {
            name: "drift".into(),
            on_calendar: "*:*:0/20".into(),
            description: None,
            check: true,
            keep: 30,
            randomized_delay_secs: None,
            working_directory: "/root/ops".into(),
            play_args: vec!["-e".into(), "password=hunter22".into(), "site.yml".into()],
            play_binary: "/usr/local/bin/play".into(),
            created_at: "2026-11-25T12:00:00.000Z".into(),
        }
    }

    #[test]
    fn service_golden() {
        let text = render_service(&state(), None).unwrap();
        assert_eq!(
            text,
            "# Written by `play schedule add drift`; remove with `play schedule remove drift`.
# The play arguments are in the schedule's root-only state file, not here.
[Unit]
Description=play schedule drift (drift check)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/bin/play schedule run drift
WorkingDirectory=/root/ops
# 75: another run of this schedule held its lock; not a failure.
SuccessExitStatus=75
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
"
        );
        assert!(!text.contains("hunter22"), "play args leaked into the unit");
    }

    #[test]
    fn timer_golden() {
        let mut s = state();
        s.randomized_delay_secs = Some(30);
        s.description = Some("nightly 100% check".into());
        assert_eq!(
            render_timer(&s),
            "# Written by `play schedule add drift`; remove with `play schedule remove drift`.
# The play arguments are in the schedule's root-only state file, not here.
[Unit]
Description=play schedule drift (timer): nightly 100%% check

[Timer]
OnCalendar=*:*:0/20
# Runs missed while the machine was off start at the next boot.
Persistent=true
# systemd's default (1min) would merge runs a calendar spec asks to be seconds apart.
AccuracySec=1s
RandomizedDelaySec=30
Unit=play-drift.service

[Install]
WantedBy=timers.target
"
        );
    }

    #[test]
    fn odd_paths_are_quoted_and_escaped() {
        let mut s = state();
        s.play_binary = "/opt/my tools/play$1%n".into();
        s.working_directory = "/srv/50%".into();
        let text = render_service(&s, Some(Path::new("/tmp/sched \"x\""))).unwrap();
        assert!(
            text.contains(
                "ExecStart=\"/opt/my tools/play$$1%%n\" schedule --state-dir \"/tmp/sched \\\"x\\\"\" run drift\n"
            ),
            "{text}"
        );
        assert!(text.contains("WorkingDirectory=/srv/50%%\n"), "{text}");
    }

    #[test]
    fn paths_that_cannot_go_into_a_unit_are_refused() {
        let mut s = state();
        s.working_directory = "relative".into();
        assert!(render_service(&s, None)
            .unwrap_err()
            .contains("not an absolute path"));
        s.working_directory = "/a\nExecStartPre=/bin/evil".into();
        assert!(render_service(&s, None)
            .unwrap_err()
            .contains("control character"));
    }
}
