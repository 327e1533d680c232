//! The secret canaries: one value each from an inline `!vault` var, an `-e @file` extra var and
//! a no_log task's registered result. All three reach vm1 (a 0600 file, a task's environment,
//! a released container's env file), and none appears anywhere it must not: play's stdout and
//! stderr at every verbosity (the agent's own log lines included, shown at -vvvv), `--json`,
//! `--report` JSON and `--junit` XML, `--check --diff`, `play plan` (its output and its file),
//! `play apply`, the release history on the VM, the VM's journal, and the argv of every process
//! on the VM, sampled all through the runs.

use crate::harness::{play, scratch, write, Testbed};
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const VAULTED: &str = "vaultcanary-7c1e4b";
const EXTRA: &str = "extracanary-2d9a6f";
const REGISTERED: &str = "regcanary-5e8b3a";
const VM: &str = "vm1";

/// `vault_secret: !vault |` ... made by `play vault encrypt-string`, the value on stdin.
fn vaulted_vars(dir: &Path, password: &Path) -> std::path::PathBuf {
    let out = dir.join("vaulted.yml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_play"))
        .args(["vault", "encrypt-string", "--stdin-name", "vault_secret"])
        .arg("--vault-password-file")
        .arg(password)
        .arg("--output")
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(VAULTED.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "play vault encrypt-string");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("!vault") && !text.contains(VAULTED), "{text}");
    out
}

fn playbook(dir: &Path, tb: &Testbed, vaulted: &Path) -> std::path::PathBuf {
    let pb = dir.join("canary.yml");
    write(
        &pb,
        &format!(
            "- hosts: {VM}\n  gather_facts: false\n  become: true\n  vars_files:\n    - {vaulted}\n  tasks:\n\
             \x20   - name: read the seed\n      command: cat /root/canary-seed\n      register: seed\n      no_log: true\n      changed_when: false\n      check_mode: false\n\
             \x20   - name: write the env file\n      copy:\n        dest: /root/canary.env\n        mode: \"0600\"\n        content: \"APP_V={{{{ vault_secret }}}}\\nAPP_E={{{{ extra_secret }}}}\\nAPP_R={{{{ seed.stdout }}}}\\n\"\n      no_log: true\n\
             \x20   - name: slow, with the secrets in its environment\n      shell: sleep 1.59; test -n \"$S_V\" && test -n \"$S_E\" && test -n \"$S_R\"\n      environment:\n        S_V: \"{{{{ vault_secret }}}}\"\n        S_E: \"{{{{ extra_secret }}}}\"\n        S_R: \"{{{{ seed.stdout }}}}\"\n\
             \x20   - name: release with the env file\n      release:\n        service: canary\n        image: {repo}\n        tag: v1\n        env_file: /root/canary.env\n        published_ports: [\"8083:8080\"]\n        health:\n          http: http://127.0.0.1:8083/health\n        stop_timeout: 1\n        operator: \"{{{{ play_operator }}}}\"\n",
            vaulted = vaulted.display(),
            repo = tb.env("TESTBED_APP_REPO"),
        ),
    );
    pb
}

/// Samples every process's argv on the VM into /tmp/canary-argv.log while it lives.
struct ArgvSampler<'a>(&'a Testbed, Child);

impl<'a> ArgvSampler<'a> {
    fn start(tb: &'a Testbed) -> Self {
        let script = "rm -f /tmp/canary-argv.log; while true; do for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' 2>/dev/null < $f; echo; done; sleep 0.05; done >> /tmp/canary-argv.log";
        let child = Command::new("docker")
            .args(["exec", &tb.container(VM), "sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        ArgvSampler(tb, child)
    }
}

impl Drop for ArgvSampler<'_> {
    fn drop(&mut self) {
        let _ = self.1.kill();
        let _ = self.1.wait();
        self.0.exec(VM, "pkill -f '[c]anary-argv.log'");
    }
}

fn assert_clean(what: &str, text: &str) {
    for canary in [VAULTED, EXTRA, REGISTERED] {
        assert!(
            !text.contains(canary),
            "the canary {canary} appears in {what}:\n{text}"
        );
    }
}

#[test]
fn secrets_appear_nowhere_at_any_verbosity() {
    let tb = Testbed::get();
    let dir = scratch("canary");
    let password = dir.join("vault-pass");
    write(&password, "canary vault password\n");
    let vaulted = vaulted_vars(&dir, &password);
    let extra = dir.join("extra.yml");
    write(&extra, &format!("extra_secret: {EXTRA}\n"));
    let pb = playbook(&dir, &tb, &vaulted);
    let seeded = tb.exec(
        VM,
        &format!("umask 077; printf '{REGISTERED}' > /root/canary-seed; docker rm -f canary canary-previous; true"),
    );
    assert!(seeded.status.success());
    // Docker and the registry login on vm1 (as the other release tests set them up).
    crate::gated::Gated::set_up(&tb, &dir);

    let inv = tb.inventory();
    let extra_arg = format!("@{}", extra.display());
    let base = [
        "-i",
        inv.to_str().unwrap(),
        pb.to_str().unwrap(),
        "-e",
        &extra_arg,
        "--vault-password-file",
        password.to_str().unwrap(),
    ];
    let sampler = ArgvSampler::start(&tb);
    let mut outputs = Vec::new();
    for (i, verbosity) in ["", "-v", "-vv", "-vvv", "-vvvv"].into_iter().enumerate() {
        let report = dir.join(format!("report{i}.json"));
        let junit = dir.join(format!("junit{i}.xml"));
        let mut args: Vec<&str> = base.to_vec();
        let (r, j) = (report.display().to_string(), junit.display().to_string());
        args.extend(["--report", &r, "--junit", &j]);
        if !verbosity.is_empty() {
            args.push(verbosity);
        }
        let out = play(&args);
        crate::check!(out.0 == 0, out);
        assert_clean(&format!("play's stdout/stderr at '{verbosity}'"), &out.1);
        assert_clean(&format!("play's stderr at '{verbosity}'"), &out.2);
        assert_clean(
            "the --report JSON",
            &std::fs::read_to_string(&report).unwrap(),
        );
        assert_clean("the --junit XML", &std::fs::read_to_string(&junit).unwrap());
        outputs.push(out);
    }
    // Check mode with diffs, with the env file changed by hand: the copy would put it back (its
    // diff censored: no_log); the release compares what the copy would write with what runs,
    // so it has nothing to change.
    assert!(tb
        .exec(VM, "echo APP_X=hand-made >> /root/canary.env")
        .status
        .success());
    let mut check_args: Vec<&str> = base.to_vec();
    check_args.extend(["--check", "--diff", "-vvv"]);
    let out = play(&check_args);
    crate::check!(out.0 == 0 && out.1.contains("changed: [vm1]"), out);
    assert_clean("--check --diff output", &format!("{}{}", out.1, out.2));
    // A plan of the same run: what it prints and the file a reviewer reads.
    let plan_file = dir.join("canary.plan");
    let mut plan_args: Vec<&str> = vec!["plan"];
    plan_args.extend(base);
    let plan_path = plan_file.display().to_string();
    plan_args.extend(["-o", &plan_path, "-vvv"]);
    let out = play(&plan_args);
    crate::check!(out.0 == 2 && out.1.contains("would change"), out);
    assert_clean("play plan's output", &format!("{}{}", out.1, out.2));
    let plan_text = std::fs::read_to_string(&plan_file).unwrap();
    assert!(plan_text.contains("canary"), "{plan_text}");
    assert_clean("the plan file", &plan_text);
    // Applying it: a check pass, then the run (the copy puts the env file back).
    let out = play(&[
        "apply",
        &plan_path,
        "--vault-password-file",
        password.to_str().unwrap(),
        "-vvv",
    ]);
    crate::check!(out.0 == 0 && out.1.contains("changed: [vm1]"), out);
    assert_clean("play apply's output", &format!("{}{}", out.1, out.2));
    let mut json_args: Vec<&str> = base.to_vec();
    json_args.push("--json");
    let out = play(&json_args);
    crate::check!(out.0 == 0, out);
    assert_clean("--json output", &format!("{}{}", out.1, out.2));
    drop(sampler);

    // The checks above can fail: the secrets did reach the VM, the agent's log was shown at
    // -vvvv, and the sampler ran through the slow task.
    let env = String::from_utf8_lossy(&tb.exec(VM, "cat /root/canary.env").stdout).into_owned();
    for canary in [VAULTED, EXTRA, REGISTERED] {
        assert!(env.contains(canary), "{canary} did not reach vm1: {env}");
    }
    let served = tb.exec(VM, "curl -s http://127.0.0.1:8083/");
    assert!(
        String::from_utf8_lossy(&served.stdout).contains("env=APP_E,APP_R,APP_V"),
        "the released container did not get the env file"
    );
    let vvvv = &outputs[4].1;
    assert!(
        vvvv.contains("play-agent[") && vvvv.contains("(no_log)"),
        "the agent's log lines are not in the -vvvv output:\n{vvvv}"
    );
    let argv =
        String::from_utf8_lossy(&tb.exec(VM, "cat /tmp/canary-argv.log").stdout).into_owned();
    assert!(
        argv.contains("sleep 1.59") && argv.contains("play-agent"),
        "the argv sampler never saw the slow task: it proves nothing"
    );
    assert_clean("a process's argv on vm1", &argv);

    let history = tb.exec(VM, "cat /var/lib/play/releases/canary.jsonl");
    let history = String::from_utf8_lossy(&history.stdout).into_owned();
    // The env file's hash is keyed with the host's key, not a plain sha256 of secrets.
    assert!(
        history.contains("\"env_sha256\":\"hmac-sha256:"),
        "{history}"
    );
    assert_clean("the release history on vm1", &history);
    let journal = tb.exec(
        VM,
        "journalctl --no-pager -q -o cat; cat /var/log/auth.log /var/log/syslog 2>/dev/null; true",
    );
    let journal = String::from_utf8_lossy(&journal.stdout).into_owned();
    assert!(
        journal.contains("sudo"),
        "the journal holds no sudo lines: is it read?"
    );
    assert_clean("vm1's journal", &journal);
}
