//! Tests for `user` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;

const NAME: &str = "playtestusr";

fn base() -> Args {
    Args {
        name: Some(NAME.into()),
        ..Args::default()
    }
}

#[test]
fn argument_building() {
    let mut a = base();
    a.uid = Some(1234);
    a.groups = Some(vec!["adm".into(), "sudo".into()]);
    a.shell = Some("/bin/bash".into());
    a.system = Some(true);
    assert_eq!(
        useradd_args(&a, "u", false),
        [
            "useradd",
            "-u",
            "1234",
            "-G",
            "adm,sudo",
            "-s",
            "/bin/bash",
            "-m",
            "-r",
            "u"
        ]
    );
    assert!(useradd_args(&base(), "u", true).contains(&"-N".to_string()));
    let cur = Current {
        user: User {
            name: "u".into(),
            uid: 1234,
            gid: 0,
            gecos: "".into(),
            home: "/home/u".into(),
            shell: "/bin/bash".into(),
        },
        groups: ["adm".to_string()].into(),
    };
    assert_eq!(
        usermod_args(&a, &cur, None).unwrap(),
        ["usermod", "-G", "adm,sudo", "u"]
    );
    a.append = Some(true);
    assert_eq!(
        usermod_args(&a, &cur, None).unwrap(),
        ["usermod", "-a", "-G", "sudo", "u"]
    );
    a.groups = Some(vec!["adm".into()]);
    assert!(usermod_args(&a, &cur, None).is_none());
    a.append = None;
    a.groups = Some(vec![]);
    assert_eq!(
        usermod_args(&a, &cur, None).unwrap(),
        ["usermod", "-G", "", "u"]
    );
}

#[test]
fn lifecycle_of_a_real_user() {
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let _guard = accounts::TEST_ETC_LOCK
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let live = Context::detached(false);
    let cleanup = || {
        let mut a = base();
        a.state = Some("absent".into());
        a.remove = Some(true);
        let _ = run(a, &live);
    };
    cleanup();
    let mut a = base();
    a.shell = Some("/bin/sh".into());
    a.create_home = Some(false);
    a.groups = Some(vec!["adm".into()]);
    a.password = Some("$6$salt$hashhashhash".into());
    assert!(run(a, &Context::detached(true)).unwrap().changed);
    assert!(accounts::user_by_name(NAME).is_none());
    let mk = || {
        let mut a = base();
        a.shell = Some("/bin/sh".into());
        a.create_home = Some(false);
        a.groups = Some(vec!["adm".into()]);
        a.password = Some("$6$salt$hashhashhash".into());
        a
    };
    let r = run(mk(), &live);
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            cleanup();
            panic!("{}", e.0);
        }
    };
    assert!(r.changed);
    assert_eq!(r.data["password"], "NOT_LOGGING_PASSWORD");
    assert_eq!(accounts::user_by_name(NAME).unwrap().shell, "/bin/sh");
    assert_eq!(
        accounts::shadow_hash(NAME).as_deref(),
        Some("$6$salt$hashhashhash")
    );
    let again = run(mk(), &live).unwrap();
    let mut a = mk();
    a.shell = Some("/bin/bash".into());
    let changed_shell = run(a, &live).unwrap();
    let shell_now = accounts::user_by_name(NAME).unwrap().shell;
    let mut a = base();
    a.group = Some("no-such-group-play".into());
    let missing_group = run(a, &live);
    cleanup();
    assert!(!again.changed, "second run must be idempotent: {again:?}");
    assert!(changed_shell.changed);
    assert_eq!(shell_now, "/bin/bash");
    assert!(missing_group.unwrap_err().0.contains("does not exist"));
    assert!(accounts::user_by_name(NAME).is_none());
}
