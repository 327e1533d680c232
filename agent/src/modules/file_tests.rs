//! Tests for `file` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;
use std::os::unix::fs::PermissionsExt;

fn args(path: &Path, state: &str) -> Args {
    Args {
        path: Some(path.to_string_lossy().into()),
        state: Some(state.into()),
        ..Args::default()
    }
}

fn live() -> Context<'static> {
    Context::detached(false)
}

#[test]
fn directory_created_with_mode_then_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a/b");
    let mut a = args(&p, "directory");
    a.mode = Some(ModeSpec::Bits(0o750));
    assert!(run(a, &Context::detached(true)).unwrap().changed);
    assert!(!p.exists());
    let mut a = args(&p, "directory");
    a.mode = Some(ModeSpec::Bits(0o750));
    let r = run(a, &live()).unwrap();
    assert!(r.changed);
    assert_eq!(r.data["state"], "directory");
    assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o750);
    assert_eq!(
        std::fs::metadata(dir.path().join("a")).unwrap().mode() & 0o777,
        0o750
    );
    let mut a = args(&p, "directory");
    a.mode = Some(ModeSpec::Bits(0o750));
    assert!(!run(a, &live()).unwrap().changed);
}

#[test]
fn recurse_sets_mode_on_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sub/f");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(&f, "x").unwrap();
    let mut a = args(dir.path(), "directory");
    a.mode = Some(ModeSpec::parse("u=rwX,g=rX,o=").unwrap());
    a.recurse = Some(true);
    assert!(run(a, &live()).unwrap().changed);
    assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o777, 0o640);
    assert_eq!(
        std::fs::metadata(dir.path().join("sub")).unwrap().mode() & 0o777,
        0o750
    );
}

#[test]
fn absent_touch_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t");
    let err = run(args(&p, "file"), &live()).unwrap_err();
    assert!(err.0.contains("absent, cannot continue"), "{}", err.0);
    let mut a = args(&p, "touch");
    a.mode = Some(ModeSpec::Bits(0o600));
    assert!(run(a, &live()).unwrap().changed);
    assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    assert!(!run(args(&p, "file"), &live()).unwrap().changed);
    let mut a = args(&p, "file");
    a.mode = Some(ModeSpec::Bits(0o644));
    assert!(run(a, &live()).unwrap().changed);
    assert!(run(args(&p, "absent"), &live()).unwrap().changed);
    assert!(!p.exists());
    assert!(!run(args(&p, "absent"), &live()).unwrap().changed);
    std::fs::create_dir_all(dir.path().join("d/e")).unwrap();
    assert!(
        run(args(&dir.path().join("d"), "absent"), &live())
            .unwrap()
            .changed
    );
    assert!(!dir.path().join("d").exists());
}

#[test]
fn symlinks_and_force() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "x").unwrap();
    let l = dir.path().join("l");
    let mut a = args(&l, "link");
    a.src = Some("target".into());
    assert!(run(a, &live()).unwrap().changed);
    assert_eq!(std::fs::read_link(&l).unwrap(), Path::new("target"));
    let mut a = args(&l, "link");
    a.src = Some("target".into());
    assert!(!run(a, &live()).unwrap().changed);
    let mut a = args(&l, "link");
    a.src = Some("missing".into());
    assert!(run(a, &live()).unwrap_err().0.contains("does not exist"));
    // A regular file is replaced only with force.
    let f = dir.path().join("regular");
    std::fs::write(&f, "y").unwrap();
    let mut a = args(&f, "link");
    a.src = Some(target.to_string_lossy().into());
    assert!(run(a, &live()).unwrap_err().0.contains("force"));
    let mut a = args(&f, "link");
    a.src = Some(target.to_string_lossy().into());
    a.force = Some(true);
    assert!(run(a, &live()).unwrap().changed);
    assert!(f.is_symlink());
}

#[test]
fn hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "x").unwrap();
    let h = dir.path().join("h");
    let mut a = args(&h, "hard");
    a.src = Some(target.to_string_lossy().into());
    assert!(run(a, &live()).unwrap().changed);
    let mut a = args(&h, "hard");
    a.src = Some(target.to_string_lossy().into());
    assert!(!run(a, &live()).unwrap().changed);
    assert_eq!(
        std::fs::metadata(&h).unwrap().ino(),
        std::fs::metadata(&target).unwrap().ino()
    );
}

#[test]
fn directory_over_file_fails_and_diff_shows_state() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, "x").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(run(args(&f, "directory"), &live())
        .unwrap_err()
        .0
        .contains("not a directory"));
    let mut ctx = live();
    ctx.diff = true;
    let r = run(args(&dir.path().join("new"), "directory"), &ctx).unwrap();
    assert_eq!(r.diff[0].before, "state: absent\n");
    assert_eq!(r.diff[0].after, "state: directory\n");
}
