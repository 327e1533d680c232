//! Two real `play` processes releasing the same service on the same host at once. The first
//! holds the service's lock while its release waits in the health gate; a second run without
//! `--lock-wait` fails at once naming who holds the lock, one with `--lock-wait` waits and
//! then releases. The history shows the two releases one after the other, whole lines,
//! never interleaved. (The lock held by a stand-in process is tested in faults.rs.)

use crate::gated::{self, epoch_secs, Gated, LOCK, VM};
use crate::harness::{play, recap_value, scratch, Testbed};
use crate::running::{message_of, spawn_play, wait_in_vm};
use std::time::Duration;

fn args_of(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_second_run_on_the_same_service_fails_naming_the_holder_or_waits_its_turn() {
    let tb = Testbed::get();
    let dir = scratch("concurrent");
    let g = Gated::set_up(&tb, &dir);
    g.baseline(&tb, "v1");
    let before = gated::history(&tb).len();
    let inv = tb.inventory();
    let inv = inv.to_str().unwrap();

    // Run A: v2, held in its health gate, holding the lock.
    gated::gate(&tb, false);
    let a_dir = dir.join("a");
    std::fs::create_dir_all(&a_dir).unwrap();
    let a = spawn_play(&a_dir, &args_of(&g.args(inv, "v2", &[])));
    gated::wait_in_health_gate(&tb);
    let lock = String::from_utf8_lossy(&tb.exec(VM, &format!("cat {LOCK}")).stdout).into_owned();
    let lock: serde_json::Value = serde_json::from_str(&lock).expect("the lock names its holder");
    let holder_pid = lock["pid"].as_u64().expect("the lock's pid");
    let mode = tb.exec(VM, &format!("stat -c '%a %U' {LOCK} $(dirname {LOCK})"));
    assert_eq!(
        String::from_utf8_lossy(&mode.stdout),
        "600 root\n700 root\n",
        "lock file and folder modes"
    );

    // Run B without waiting: refused at once, naming A.
    let out = play(&args_of(&g.args(inv, "v1", &[])));
    crate::check!(out.0 == 2, out);
    let msg = message_of(&out.1, VM);
    crate::check!(
        msg.contains(&format!(
            "service 'gated' is locked by {} (pid {holder_pid}",
            lock["operator"].as_str().unwrap()
        )) && msg.contains("another release is running"),
        out
    );

    // Run B with --lock-wait: its agent starts while A still holds the lock, then it waits.
    let b_dir = dir.join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let b = spawn_play(&b_dir, &args_of(&g.args(inv, "v1", &["--lock-wait", "2m"])));
    wait_in_vm(
        &tb,
        VM,
        &format!("[ $(pgrep -c '^play-agent') -ge 2 ] && grep -q '\"pid\":{holder_pid},' {LOCK}"),
        Duration::from_secs(60),
        "the second run's agent while the first holds the lock",
    );
    assert_eq!(gated::history(&tb).len(), before, "B went past the lock");
    gated::gate(&tb, true);
    let a_out = a.finish(Duration::from_secs(120));
    let b_out = b.finish(Duration::from_secs(120));
    crate::check!(
        a_out.0 == 0 && recap_value(&a_out.1, VM, "changed") == 1,
        a_out
    );
    crate::check!(
        b_out.0 == 0 && recap_value(&b_out.1, VM, "changed") == 1,
        b_out
    );

    // The history: A's release, then B's, whole lines; B began after A had ended.
    let history = gated::history(&tb);
    assert_eq!(history.len(), before + 2, "{history:#?}");
    let (first, second) = (&history[before], &history[before + 1]);
    assert_eq!(
        (&first["tag"], &first["outcome"]),
        (&"v2".into(), &"released".into()),
        "{first}"
    );
    assert_eq!(
        (&second["tag"], &second["outcome"]),
        (&"v1".into(), &"released".into()),
        "{second}"
    );
    let a_end = epoch_secs(first["time"].as_str().unwrap());
    let b_end = epoch_secs(second["time"].as_str().unwrap());
    // Times are whole seconds: B's latest possible start is its end (+1 s) minus its duration.
    let b_start_ms = (b_end + 1) * 1000 - second["duration_ms"].as_i64().unwrap();
    assert!(
        b_start_ms >= a_end * 1000,
        "B's release ran while A's did: {first} / {second}"
    );
    assert_eq!(gated::running_containers(&tb), vec!["gated".to_string()]);
    assert_eq!(gated::serving(&tb), "version=v1");
}
