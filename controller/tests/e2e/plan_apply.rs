//! Reviewed releases on the testbed: `play plan` writes what a release would do, `play apply`
//! does exactly that or refuses. In order: v1 released; a plan of the same release is exit 0;
//! a plan of v2 with changed env is exit 2 and reads as a review (image old -> new with
//! digests, env keys, recreate) without any secret; a hand-edited `.env` on one VM makes apply
//! refuse, naming the host, with no host changed; an edited playbook or plan file is refused by
//! name; a too-old plan is refused; and after the v2 tag moves to v3's image, apply still
//! deploys the planned v2 digest.

use crate::harness::{repo_root, scratch, write, Testbed};
use crate::release_flow::retag_in_registry;
use std::path::{Path, PathBuf};
use std::process::Command;

const CANARY_A: &str = "plan-canary-a-77e1";
const CANARY_B: &str = "plan-canary-b-4c2d";

/// `play` with the plan key kept in the test's folder.
fn play(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_play"))
        .args(args)
        .current_dir(repo_root())
        .env("PLAY_PLAN_KEY_FILE", dir.join("plan.key"))
        .env_remove("PLAY_PLAN_MAX_AGE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run play");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn serving(tb: &Testbed, vm: &str) -> String {
    let out = tb.exec(vm, "curl -s --max-time 5 http://127.0.0.1:8080/");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// A vault-encrypted vars file holding `app_env`.
fn vaulted_env(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    write(&path, body);
    let pw = dir.join("vault-pass");
    let out = play(
        dir,
        &[
            "vault",
            "encrypt",
            "--vault-password-file",
            pw.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    crate::check!(out.0 == 0, out);
    path
}

fn plan_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn plan_review_apply_and_refusals() {
    let tb = Testbed::get();
    let dir = scratch("plan");
    write(&dir.join("vault-pass"), "plan test vault password\n");
    let pw = format!("--vault-password-file={}", dir.join("vault-pass").display());
    let reg_password = std::fs::read_to_string(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
    let reg_password = reg_password.trim();
    let vars = dir.join("release.yml");
    write(
        &vars,
        &format!(
            "image_repo: {}\nregistry_username: {}\nregistry_password: {:?}\nregistry_ca_file: {}\nstop_timeout: 1\nhealth_timeout: 15s\n",
            tb.env("TESTBED_APP_REPO"),
            tb.env("TESTBED_REGISTRY_USER"),
            reg_password,
            tb.env("TESTBED_REGISTRY_CA")
        ),
    );
    let env1 = vaulted_env(
        &dir,
        "env1.yml",
        &format!("app_env:\n  APP_A: {CANARY_A}\n  APP_B: b\n"),
    );
    let env2 = vaulted_env(
        &dir,
        "env2.yml",
        &format!("app_env:\n  APP_A: {CANARY_B}\n  APP_C: c\n"),
    );
    // A private copy of the playbook, so editing it cannot disturb other tests.
    let playbook = dir.join("docker.yml");
    let original = std::fs::read_to_string(repo_root().join("playbooks/docker.yml")).unwrap();
    write(&playbook, &original);
    retag_in_registry(&tb, "v1", "v1");
    retag_in_registry(&tb, "v2", "v2");

    let inv = tb.inventory();
    let (inv, pb) = (inv.to_str().unwrap(), playbook.to_str().unwrap());
    let v = format!("@{}", vars.display());
    let e1 = format!("@{}", env1.display());
    let e2 = format!("@{}", env2.display());
    let out = play(
        &dir,
        &[
            "-i",
            inv,
            pb,
            "-e",
            &v,
            "-e",
            &e1,
            "-e",
            "image_tag=v1",
            &pw,
        ],
    );
    crate::check!(out.0 == 0, out);
    for vm in tb.vms() {
        assert_eq!(serving(&tb, &vm), "version=v1", "{vm}");
    }

    // (d) Nothing to do: exit 0, and the plan says so.
    let same = dir.join("same.plan");
    let out = play(
        &dir,
        &[
            "plan",
            "-o",
            same.to_str().unwrap(),
            "-i",
            inv,
            pb,
            "-e",
            &v,
            "-e",
            &e1,
            "-e",
            "image_tag=v1",
            &pw,
        ],
    );
    crate::check!(out.0 == 0 && out.1.contains("Nothing would change"), out);

    // v2 with APP_A changed, APP_B removed, APP_C added: exit 2, a readable review.
    let plan = dir.join("release.plan");
    let p = plan.to_str().unwrap();
    let out = play(
        &dir,
        &[
            "plan",
            "-o",
            p,
            "-i",
            inv,
            pb,
            "-e",
            &v,
            "-e",
            &e2,
            "-e",
            "image_tag=v2",
            &pw,
        ],
    );
    crate::check!(out.0 == 2, out);
    let repo = tb.env("TESTBED_APP_REPO");
    for want in [
        format!("release app: image {repo}:v1@sha256:"),
        format!(" -> {repo}:v2@sha256:"),
        "release app: env keys: +APP_C ~APP_A -APP_B".to_string(),
        "release app: recreate: app".to_string(),
        "3 of 3 host(s) would change".to_string(),
    ] {
        assert!(
            out.1.contains(&want),
            "missing {want:?} in:\n{}\n{}",
            out.1,
            out.2
        );
    }
    // (e) No secret in the plan's output or file; the file is private.
    let text = std::fs::read_to_string(&plan).unwrap();
    for secret in [CANARY_A, CANARY_B, reg_password] {
        assert!(
            !out.1.contains(secret) && !out.2.contains(secret),
            "a secret in plan's output"
        );
        assert!(!text.contains(secret), "a secret in the plan file");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&plan).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let planned = plan_json(&plan);
    let digest = planned["hosts"]["vm1"]["pin"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(digest.starts_with("sha256:"), "{planned}");

    // A plan older than --max-age is refused before anything else.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = play(&dir, &["apply", p, "--max-age", "0", &pw]);
    crate::check!(
        out.0 == 1 && out.2.contains("too old") && out.2.contains("play plan"),
        out
    );

    // (b) One VM's .env edited by hand: apply refuses, naming the host and task; no host changed.
    let vms = tb.vms();
    let edited = vms[1].clone();
    let _ = tb.exec(&edited, "echo HAND_EDIT=1 >> /etc/play/app/.env");
    let out = play(&dir, &["apply", p, &pw]);
    crate::check!(out.0 == 1, out);
    crate::check!(
        out.2
            .contains(&format!("{edited}: task 'Write the service's .env'"))
            && out.2.contains("nothing was changed")
            && out.2.contains("run `play plan` again"),
        out
    );
    for vm in &vms {
        assert_eq!(
            serving(&tb, vm),
            "version=v1",
            "{vm} changed after a refused apply"
        );
        let env =
            String::from_utf8_lossy(&tb.exec(vm, "cat /etc/play/app/.env").stdout).into_owned();
        assert!(
            env.contains("APP_B=") && !env.contains("APP_C="),
            "{vm}: .env changed: refused apply wrote it"
        );
    }
    let _ = tb.exec(&edited, "sed -i '/^HAND_EDIT=1$/d' /etc/play/app/.env");

    // (c) The playbook edited after the plan: refused, naming the file, before any host.
    write(&playbook, &format!("{original}\n# edited after review\n"));
    let out = play(&dir, &["apply", p, &pw]);
    crate::check!(
        out.0 == 1
            && out
                .2
                .contains(&format!("{pb} changed since the plan was made")),
        out
    );
    write(&playbook, &original);
    // ... and the plan file itself edited by hand (a pin pointed elsewhere): refused.
    let tampered = dir.join("tampered.plan");
    write(
        &tampered,
        &text.replacen(&digest, &format!("sha256:{}", "0".repeat(64)), 1),
    );
    let out = play(&dir, &["apply", tampered.to_str().unwrap(), &pw]);
    crate::check!(
        out.0 == 1 && out.2.contains("edited after `play plan` wrote it"),
        out
    );

    // (a) The v2 tag now points at v3's image: apply still deploys the planned v2 digest.
    retag_in_registry(&tb, "v3", "v2");
    let out = play(&dir, &["apply", p, &pw]);
    retag_in_registry(&tb, "v2", "v2");
    crate::check!(out.0 == 0, out);
    for vm in &vms {
        assert_eq!(serving(&tb, vm), "version=v2", "{vm}");
        let label = tb.exec(
            vm,
            "docker inspect app --format '{{index .Config.Labels \"play.release.digest\"}}'",
        );
        assert_eq!(
            String::from_utf8_lossy(&label.stdout).trim(),
            planned["hosts"][vm.as_str()]["pin"]["digest"]
                .as_str()
                .unwrap(),
            "{vm}"
        );
        // What runs is that image, not only what the label says.
        let repo_digests = tb.exec(
            vm,
            "docker image inspect \"$(docker inspect app --format '{{.Image}}')\" --format '{{json .RepoDigests}}'",
        );
        let repo_digests = String::from_utf8_lossy(&repo_digests.stdout).into_owned();
        let pinned = planned["hosts"][vm.as_str()]["pin"]["digest"]
            .as_str()
            .unwrap();
        assert!(
            repo_digests.contains(&format!("/app@{pinned}")),
            "{vm} runs {repo_digests}, not the planned {pinned}"
        );
        let env =
            String::from_utf8_lossy(&tb.exec(vm, "cat /etc/play/app/.env").stdout).into_owned();
        assert!(
            env.contains("APP_C=c") && !env.contains("APP_B="),
            "{vm}: {env:?}"
        );
    }
    assert!(
        !out.1.contains(CANARY_B) && !out.2.contains(CANARY_B),
        "a secret in apply's output"
    );
}
