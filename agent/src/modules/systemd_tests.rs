//! Tests for `systemd` (pure planning and diff functions; see the module under test).
use super::*;

fn unit(active: &str, file: &str, enabled: bool) -> UnitState {
    UnitState {
        props: parse_show(&format!(
            "Id=nginx.service\nLoadState=loaded\nActiveState={active}\nUnitFileState={file}\n"
        )),
        enabled,
    }
}

#[test]
fn the_diff_shows_the_state_before_and_after_the_actions() {
    let u = unit("inactive", "disabled", false);
    let d = unit_diff("nginx", &u, &[Action::Enable, Action::Start]);
    assert_eq!(d.before_header.as_deref(), Some("service nginx"));
    assert_eq!(d.before, "state: inactive\nenabled: no\nmasked: no\n");
    assert_eq!(
        d.after,
        "state: active\nenabled: yes\nmasked: no\nsystemctl: enable, start\n"
    );
}

#[test]
fn plans_only_what_differs() {
    let u = unit("inactive", "disabled", false);
    assert_eq!(
        plan(&u, Some("started"), Some(true), None).unwrap(),
        vec![Action::Enable, Action::Start]
    );
    let u = unit("active", "enabled", true);
    assert!(plan(&u, Some("started"), Some(true), None)
        .unwrap()
        .is_empty());
    assert_eq!(
        plan(&u, Some("stopped"), None, None).unwrap(),
        vec![Action::Stop]
    );
    assert_eq!(
        plan(&u, Some("restarted"), None, None).unwrap(),
        vec![Action::Restart]
    );
    assert_eq!(
        plan(&u, Some("reloaded"), None, None).unwrap(),
        vec![Action::Reload]
    );
    assert_eq!(
        plan(
            &unit("inactive", "enabled", true),
            Some("reloaded"),
            None,
            None
        )
        .unwrap(),
        vec![Action::Start]
    );
    assert!(plan(&u, Some("bogus"), None, None).is_err());
}

#[test]
fn masking() {
    let u = unit("inactive", "masked", false);
    assert!(u.masked());
    assert!(plan(&u, Some("started"), None, None).is_err());
    assert_eq!(
        plan(&u, Some("started"), None, Some(false)).unwrap(),
        vec![Action::Unmask, Action::Start]
    );
    let u = unit("active", "enabled", true);
    assert_eq!(
        plan(&u, Some("stopped"), None, Some(true)).unwrap(),
        vec![Action::Mask, Action::Stop]
    );
}

#[test]
fn not_found_units() {
    let u = UnitState {
        props: parse_show("LoadState=not-found\nActiveState=inactive\n"),
        enabled: false,
    };
    assert!(!u.found());
}
