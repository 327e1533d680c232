//! Tests for `copy` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn args(dest: &Path, content: &str) -> Args {
    Args {
        dest: Some(dest.to_string_lossy().into()),
        content: Some(json!(content)),
        ..Args::default()
    }
}

fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn writes_then_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("motd");
    let mut ctx = Context::detached(false);
    ctx.diff = true;
    let mut a = args(&dest, "hello\n");
    a.mode = Some(ModeSpec::Bits(0o640));
    let r = run(a, &ctx).unwrap();
    assert!(r.changed && !r.failed, "{r:?}");
    assert_eq!(r.diff[0].before, "");
    assert_eq!(r.diff[0].after, "hello\n");
    assert_eq!(r.data["checksum"], fsutil::sha1_hex(b"hello\n"));
    assert_eq!(r.data["mode"], "0640");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "hello\n");
    assert_eq!(mode_of(&dest), 0o640);
    let mut a = args(&dest, "hello\n");
    a.mode = Some(ModeSpec::Bits(0o640));
    let r = run(a, &ctx).unwrap();
    assert!(!r.changed && r.diff.is_empty(), "{r:?}");
}

#[test]
fn mode_only_change_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f");
    std::fs::write(&dest, "x").unwrap();
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut a = args(&dest, "x");
    a.mode = Some(ModeSpec::parse("u=rw,g=r,o=r").unwrap());
    let r = run(a, &Context::detached(true)).unwrap();
    assert!(r.changed);
    assert_eq!(mode_of(&dest), 0o600, "check mode must not chmod");
    let mut a = args(&dest, "x");
    a.mode = Some(ModeSpec::Bits(0o644));
    assert!(run(a, &Context::detached(false)).unwrap().changed);
    assert_eq!(mode_of(&dest), 0o644);
}

#[test]
fn check_mode_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("sub/new");
    let r = run(args(&dest, "x"), &Context::detached(true)).unwrap();
    assert!(r.changed);
    assert!(!dest.exists() && !dir.path().join("sub").exists());
    // A later check-mode reader (release's env_file) sees what would have been written.
    assert_eq!(fsutil::planned::read(&dest, true).unwrap(), b"x");
    assert!(r.data["previous_checksum"].is_null());
}

#[test]
fn creates_parents_with_directory_mode_and_backs_up() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("a/b/conf");
    let mut a = args(&dest, "one\n");
    a.directory_mode = Some(ModeSpec::Bits(0o750));
    run(a, &Context::detached(false)).unwrap();
    assert_eq!(mode_of(&dir.path().join("a")), 0o750);
    assert_eq!(mode_of(&dir.path().join("a/b")), 0o750);
    let mut a = args(&dest, "two\n");
    a.backup = Some(true);
    let r = run(a, &Context::detached(false)).unwrap();
    let backup = r.data["backup_file"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), "one\n");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "two\n");
}

#[test]
fn force_false_keeps_existing_and_b64_content() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f");
    std::fs::write(&dest, "mine").unwrap();
    let mut a = args(&dest, "theirs");
    a.force = Some(false);
    assert!(!run(a, &Context::detached(false)).unwrap().changed);
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "mine");
    let a = Args {
        dest: Some(dest.to_string_lossy().into()),
        content_b64: Some("AAEC/w==".into()),
        ..Args::default()
    };
    let mut ctx = Context::detached(false);
    ctx.diff = true;
    let r = run(a, &ctx).unwrap();
    assert!(r.diff[0].after.contains("binary"));
    assert_eq!(std::fs::read(&dest).unwrap(), vec![0, 1, 2, 255]);
}

#[test]
fn validate_failure_keeps_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("conf");
    std::fs::write(&dest, "good\n").unwrap();
    let mut a = args(&dest, "bad\n");
    a.validate = Some("grep -q good %s".into());
    let err = run(a, &Context::detached(false)).unwrap_err();
    assert!(err.0.contains("failed to validate"), "{}", err.0);
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "good\n");
    let mut a = args(&dest, "still good\n");
    a.validate = Some("grep -q good %s".into());
    assert!(run(a, &Context::detached(false)).unwrap().changed);
    let mut a = args(&dest, "x");
    a.validate = Some("true".into());
    assert!(run(a, &Context::detached(false))
        .unwrap_err()
        .0
        .contains("%s"));
}

#[test]
fn validate_that_does_not_split_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("conf");
    let mut a = args(&dest, "new\n");
    a.validate = Some("grep -q 'good %s".into());
    let err = run(a, &Context::detached(false)).unwrap_err().0;
    assert!(
        err.contains("validate: cannot split `grep -q 'good /")
            && err.contains("` into words: unclosed single quote; the existing file was left"),
        "{err}"
    );
    assert!(!dest.exists());
}

#[test]
fn remote_src_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::write(&src, "from host").unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o700)).unwrap();
    let dest = dir.path().join("dest");
    let a = Args {
        src: Some(src.to_string_lossy().into()),
        remote_src: Some(true),
        dest: Some(dest.to_string_lossy().into()),
        mode: Some(ModeSpec::Preserve),
        ..Args::default()
    };
    run(a, &Context::detached(false)).unwrap();
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "from host");
    assert_eq!(mode_of(&dest), 0o700);
    let a = Args {
        src: Some("local.txt".into()),
        dest: Some(dest.to_string_lossy().into()),
        ..Args::default()
    };
    assert!(run(a, &Context::detached(false))
        .unwrap_err()
        .0
        .contains("remote_src"));
    let err = run(args(dir.path(), "x"), &Context::detached(false)).unwrap_err();
    assert!(err.0.contains("is a directory"));
    let mut a = args(&dest, "x");
    a.owner = Some("no-such-user-play".into());
    assert!(run(a, &Context::detached(false)).is_err());
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "from host");
}
