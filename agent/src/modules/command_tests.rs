//! Tests for `command` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;

fn args(cmd: &str) -> Args {
    Args {
        raw_params: Some(cmd.into()),
        ..Args::default()
    }
}

#[test]
fn a_command_that_does_not_split_says_why() {
    let ctx = Context::detached(false);
    let err = run_command(args("echo 'open"), &ctx).unwrap_err();
    assert_eq!(
        err.0,
        "command: cannot split `echo 'open` into words: unclosed single quote"
    );
    let err = split_words(r"ls \").unwrap_err();
    assert_eq!(
        err.0,
        r"command: cannot split `ls \` into words: trailing backslash with nothing to escape"
    );
}

#[test]
fn command_runs_without_a_shell() {
    let ctx = Context::detached(false);
    let r = run_command(args("echo $HOME 'a  b'"), &ctx).unwrap();
    assert!(!r.failed && r.changed);
    assert_eq!(r.data["stdout"], "$HOME a  b");
    assert_eq!(r.data["cmd"], json!(["echo", "$HOME", "a  b"]));
    assert_eq!(r.data["rc"], 0);
    assert!(r.data["delta"].as_str().unwrap().starts_with("0:00:0"));
}

#[test]
fn nonzero_rc_fails_with_output() {
    let ctx = Context::detached(false);
    let r = run_shell(args("echo out; echo bad >&2; exit 4"), &ctx).unwrap();
    assert!(r.failed);
    assert_eq!(r.msg.as_deref(), Some("non-zero return code"));
    assert_eq!(r.data["rc"], 4);
    assert_eq!(r.data["stderr_lines"], json!(["bad"]));
    assert_eq!(r.data["cmd"], "echo out; echo bad >&2; exit 4");
}

#[test]
fn shell_chdir_stdin_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env = std::collections::BTreeMap::from([("GREETING".to_string(), "hi".to_string())]);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let ctx = Context::new(false, &env, &cancel, None);
    let mut a = args("read x; echo \"$GREETING $x $(pwd)\"");
    a.chdir = Some(dir.path().to_string_lossy().into());
    a.stdin = Some("there".into());
    let r = run_shell(a, &ctx).unwrap();
    let canonical = dir.path().canonicalize().unwrap();
    assert_eq!(
        r.data["stdout"],
        format!("hi there {}", canonical.display())
    );
}

#[test]
fn creates_and_removes_skip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("done.flag"), "").unwrap();
    let ctx = Context::detached(false);
    let mut a = args("false");
    a.chdir = Some(dir.path().to_string_lossy().into());
    a.creates = Some("*.flag".into());
    let r = run_command(a, &ctx).unwrap();
    assert!(!r.changed && !r.failed, "{r:?}");
    assert!(r.msg.unwrap().contains("exists"));
    let mut a = args("false");
    a.removes = Some(dir.path().join("missing*").to_string_lossy().into());
    let r = run_command(a, &ctx).unwrap();
    assert!(!r.changed && !r.failed);
}

#[test]
fn check_mode_does_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let ctx = Context::detached(true);
    let r = run_shell(args(&format!("touch {}", marker.display())), &ctx).unwrap();
    assert!(!marker.exists());
    assert!(!r.changed);
    assert_eq!(r.data["skipped"], true);
    let mut a = args(&format!("touch {}", marker.display()));
    a.creates = Some(marker.to_string_lossy().into());
    assert!(run_shell(a, &ctx).unwrap().changed);
}

#[test]
fn missing_chdir_and_empty_command_fail() {
    let ctx = Context::detached(false);
    let mut a = args("ls");
    a.chdir = Some("/no/such/dir".into());
    assert!(run_command(a, &ctx).unwrap_err().0.contains("chdir"));
    assert!(run_command(args("  "), &ctx)
        .unwrap_err()
        .0
        .contains("no command"));
    let a = Args {
        argv: Some(vec![
            "printf".into(),
            "%s-%s".into(),
            "a b".into(),
            "c".into(),
        ]),
        ..Args::default()
    };
    assert_eq!(run_command(a, &ctx).unwrap().data["stdout"], "a b-c");
}
