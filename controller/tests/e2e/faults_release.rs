//! The SSH connection cut in the middle of a release, for real: the play user's sshd processes
//! on the VM are killed while the release waits in its health gate. The agent on the host must
//! carry the transaction through by itself, finishing it (the gate opens after the cut) or
//! undoing it (a version that never gets healthy: the old container comes back), then release
//! the lock and exit. Afterwards exactly one version of the service runs and is healthy, and
//! the release history says which. Ctrl-C on the controller in the same place is the same
//! story: play exits 99 at once, the release is left to the agent.

use crate::gated::{self, Gated, LOCK, VM};
use crate::harness::{recap_value, scratch, Testbed};
use crate::running::{message_of, no_agent_left, spawn_play, Running};
use std::time::Duration;

/// Starts a release of `tag` and waits until it sits in its health gate.
fn start_release(
    tb: &Testbed,
    g: &Gated,
    dir: &std::path::Path,
    tag: &str,
    timeout: &str,
) -> Running {
    let inv = tb.inventory();
    let health = format!("health_timeout={timeout}");
    let args = g.args(inv.to_str().unwrap(), tag, &["-e", &health]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = spawn_play(dir, &args);
    gated::wait_in_health_gate(tb);
    run
}

/// Kills the play user's SSH sessions on vm1: the controller's connection is gone at once,
/// and the agent sees its input end in the middle of the release.
fn cut_connection(tb: &Testbed) {
    let cut = tb.exec(VM, "pkill -KILL -f '^sshd: play'");
    assert!(
        cut.status.success(),
        "no sshd session of play to kill on vm1"
    );
}

/// What play said about the cut: vm1 unreachable, exit 4.
fn check_reported(out: &(i32, String, String)) {
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, VM, "unreachable") == 1, out);
    crate::check!(
        message_of(&out.1, VM).contains("the connection to vm1 dropped during this task"),
        out
    );
    crate::check!(
        message_of(&out.1, VM).contains("a release goes on without play"),
        out
    );
}

/// Exactly one container of the service runs, it serves `tag` and is healthy, and the lock
/// is gone.
fn check_one_version(tb: &Testbed, tag: &str) {
    assert_eq!(gated::running_containers(tb), vec!["gated".to_string()]);
    assert_eq!(gated::serving(tb), format!("version={tag}"));
    assert!(gated::healthy(tb), "gated does not answer /health with 200");
    assert!(
        !tb.exec(VM, &format!("test -e {LOCK}")).status.success(),
        "the lock is still there"
    );
}

/// The agent on vm1 still runs the release without play: it is alive and holds the lock.
fn check_agent_carries_on(tb: &Testbed, what: &str) {
    assert!(
        tb.exec(VM, "pgrep -f '[p]lay-agent' >/dev/null")
            .status
            .success(),
        "{what} killed the agent in the middle of the release"
    );
    assert!(tb.exec(VM, &format!("test -e {LOCK}")).status.success());
}

/// Waits for the release the agent carries on to end; its one new history line, which must
/// say `outcome` for `tag`.
fn wait_for_outcome(tb: &Testbed, before: usize, outcome: &str, tag: &str) -> serde_json::Value {
    gated::wait_release_done(tb, before);
    no_agent_left(tb, VM);
    let history = gated::history(tb);
    assert_eq!(history.len(), before + 1, "{history:?}");
    let last = history[before].clone();
    assert_eq!(last["outcome"], outcome, "{last}");
    assert_eq!(last["tag"], tag, "{last}");
    last
}

#[test]
fn a_connection_cut_mid_release_is_finished_by_the_agent_on_the_host() {
    let tb = Testbed::get();
    let dir = scratch("cut-finish");
    let g = Gated::set_up(&tb, &dir);
    g.baseline(&tb, "v1");
    let before = gated::history(&tb).len();

    gated::gate(&tb, false);
    let run = start_release(&tb, &g, &dir, "v2", "60s");
    cut_connection(&tb);
    let out = run.finish(Duration::from_secs(60));
    check_reported(&out);
    // The controller is gone, the agent is not: it is still waiting for health.
    check_agent_carries_on(&tb, "the cut connection");
    gated::gate(&tb, true);
    wait_for_outcome(&tb, before, "released", "v2");
    check_one_version(&tb, "v2");
}

#[test]
fn a_connection_cut_mid_release_is_undone_by_the_agent_when_health_fails() {
    let tb = Testbed::get();
    let dir = scratch("cut-undo");
    let g = Gated::set_up(&tb, &dir);
    g.baseline(&tb, "v1");
    let before = gated::history(&tb).len();

    // v3 never answers /health with 200: with the gate open it fails after the timeout.
    let run = start_release(&tb, &g, &dir, "v3", "8s");
    cut_connection(&tb);
    let out = run.finish(Duration::from_secs(60));
    check_reported(&out);
    let last = wait_for_outcome(&tb, before, "failed_health", "v3");
    assert!(
        last["previous"].to_string().contains("v1"),
        "the history does not say v1 was kept: {last}"
    );
    check_one_version(&tb, "v1");
}

#[test]
fn ctrl_c_mid_release_exits_99_and_leaves_the_release_to_the_agent() {
    let tb = Testbed::get();
    let dir = scratch("ctrl-c-release");
    let g = Gated::set_up(&tb, &dir);
    g.baseline(&tb, "v1");
    let before = gated::history(&tb).len();

    gated::gate(&tb, false);
    let run = start_release(&tb, &g, &dir, "v2", "60s");
    run.signal("INT");
    // Play does not wait for the health gate (60 s) to end.
    let out = run.finish(Duration::from_secs(30));
    crate::check!(out.0 == 99, out);
    crate::check!(out.2.contains("User interrupted execution"), out);
    // The release is still the agent's: it holds the lock and waits for health.
    check_agent_carries_on(&tb, "Ctrl-C");
    gated::gate(&tb, true);
    wait_for_outcome(&tb, before, "released", "v2");
    check_one_version(&tb, "v2");
}
