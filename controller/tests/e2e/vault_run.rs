//! Vaulted secrets end to end: a vars file encrypted with `play vault` (ansible-vault's
//! format; interop with ansible-vault itself is tested in controller/src/vault) is opened with
//! a password file, its secret reaches the VM's `.env`, and appears nowhere in play's output
//! or report. A wrong password stops play before any host is touched.

use crate::harness::{play, scratch, write, Testbed};

const CANARY: &str = "vaulted-canary-5a4b3c2d";

#[test]
fn a_vaulted_secret_reaches_the_env_file_and_nothing_else() {
    let tb = Testbed::get();
    let dir = scratch("vault");
    let password = dir.join("vault-pass");
    write(&password, "correct horse battery staple\n");
    let secrets = dir.join("secrets.yml");
    write(
        &secrets,
        &format!("app_env:\n  APP_SECRET: {CANARY}\n  APP_MODE: vaulted\n"),
    );
    let out = play(&[
        "vault",
        "encrypt",
        "--vault-password-file",
        password.to_str().unwrap(),
        secrets.to_str().unwrap(),
    ]);
    crate::check!(out.0 == 0, out);
    let on_disk = std::fs::read_to_string(&secrets).unwrap();
    assert!(
        on_disk.starts_with("$ANSIBLE_VAULT;1.1;AES256") && !on_disk.contains(CANARY),
        "{on_disk}"
    );

    let reg_password = std::fs::read_to_string(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
    let vars = dir.join("release.yml");
    write(
        &vars,
        &format!(
            "image_repo: {}\nregistry_username: {}\nregistry_password: {:?}\nregistry_ca_file: {}\nstop_timeout: 1\n",
            tb.env("TESTBED_APP_REPO"),
            tb.env("TESTBED_REGISTRY_USER"),
            reg_password.trim(),
            tb.env("TESTBED_REGISTRY_CA")
        ),
    );
    let inv = tb.inventory();
    let report = dir.join("report.json");
    let (v, s) = (
        format!("@{}", vars.display()),
        format!("@{}", secrets.display()),
    );
    let out = play(&[
        "-i",
        inv.to_str().unwrap(),
        "playbooks/docker.yml",
        "-e",
        &v,
        "-e",
        &s,
        "-e",
        "image_tag=v1",
        "--vault-password-file",
        password.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "-vv",
    ]);
    crate::check!(out.0 == 0, out);
    for vm in tb.vms() {
        let env =
            String::from_utf8_lossy(&tb.exec(&vm, "cat /etc/play/app/.env").stdout).into_owned();
        assert!(
            env.contains(&format!("APP_SECRET={CANARY}")),
            "{vm}: the secret did not reach .env"
        );
    }
    assert!(
        !out.1.contains(CANARY) && !out.2.contains(CANARY),
        "canary in play's output"
    );
    assert!(
        !std::fs::read_to_string(&report).unwrap().contains(CANARY),
        "canary in the report"
    );

    // A wrong password: an error naming the file, exit 4, before any connection.
    write(&password, "wrong password\n");
    let out = play(&[
        "-i",
        inv.to_str().unwrap(),
        "playbooks/docker.yml",
        "-e",
        &v,
        "-e",
        &s,
        "--vault-password-file",
        password.to_str().unwrap(),
    ]);
    crate::check!(out.0 == 4 || out.0 == 5, out);
    crate::check!(
        out.2.contains("Decryption failed") && out.2.contains("secrets.yml"),
        out
    );
    crate::check!(!out.1.contains("TASK ["), out);
}
