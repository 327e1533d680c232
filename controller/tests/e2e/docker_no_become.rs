//! `docker_container` without become, as Ansible allows for a user in the docker group. The
//! hashes in play's labels are keyed (`hash_key`), and root's key is out of that user's reach,
//! so the agent keys them with a key of the user's own beside itself
//! (`~/.cache/play/hash.key`). What must hold on a real VM: the first run makes the container
//! and that key (0600, the user's), labels carry keyed hashes, an identical rerun changes
//! nothing (the key is kept and reused), a changed secret is seen and recreates the container.

use crate::gated::{Gated, VM};
use crate::harness::{play, recap_value, scratch, write, Testbed};

const NAME: &str = "nobecome";
const USER_KEY: &str = "/home/play/.cache/play/hash.key";

/// Leaves vm1 as the other tests expect it, failed or not: no container, play out of the
/// docker group.
struct Undo<'a>(&'a Testbed);

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        self.0.exec(
            VM,
            &format!("docker rm -f {NAME} >/dev/null 2>&1; gpasswd -d play docker >/dev/null 2>&1"),
        );
    }
}

#[test]
fn docker_container_without_become_keys_its_labels_with_the_users_own_key() {
    let tb = Testbed::get();
    let dir = scratch("docker-no-become");
    // Docker and root's registry login on vm1; then the play user joins the docker group and
    // root pulls the image, so the user's run needs no login of its own.
    let g = Gated::set_up(&tb, &dir);
    let inv = tb.inventory();
    let inv = inv.to_str().unwrap();
    let prepare = dir.join("prepare.yml");
    write(
        &prepare,
        &format!(
            "- hosts: {VM}\n  gather_facts: false\n  become: true\n  tasks:\n\
             \x20   - user:\n        name: play\n        groups: [docker]\n        append: true\n\
             \x20   - docker_image:\n        name: \"{{{{ image_repo }}}}\"\n        tag: v1\n"
        ),
    );
    let _undo = Undo(&tb);
    let out = play(&["-i", inv, prepare.to_str().unwrap(), "-e", &g.vars]);
    crate::check!(out.0 == 0, out);
    tb.exec(
        VM,
        &format!("docker rm -f {NAME} >/dev/null 2>&1; rm -f {USER_KEY}"),
    );

    let playbook = dir.join("container.yml");
    write(
        &playbook,
        &format!(
            "- hosts: {VM}\n  gather_facts: false\n  tasks:\n\
             \x20   - docker_container:\n        name: {NAME}\n        image: \"{{{{ image_repo }}}}:v1\"\n\
             \x20       state: started\n        env:\n          SECRET: \"{{{{ secret }}}}\"\n"
        ),
    );
    let run = |secret: &str| {
        play(&[
            "-i",
            inv,
            playbook.to_str().unwrap(),
            "-e",
            &g.vars,
            "-e",
            &format!("secret={secret}"),
        ])
    };

    // What vm1 prints for `cmd`, trimmed.
    let on_vm = |cmd: &str| {
        let out = tb.exec(VM, cmd);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let label = |name: &str| {
        on_vm(&format!(
            "docker inspect -f '{{{{index .Config.Labels \"{name}\"}}}}' {NAME}"
        ))
    };

    let out = run("first-secret");
    crate::check!(out.0 == 0 && recap_value(&out.1, VM, "changed") == 1, out);
    assert_eq!(
        on_vm(&format!("stat -c '%a %U %s' {USER_KEY}")),
        "600 play 32",
        "the user's key"
    );
    let hash = label("play.config-hash");
    assert!(hash.starts_with("hmac-sha256:"), "play.config-hash: {hash}");
    let env_keys = label("play.env-keys");
    assert!(env_keys.contains("\"SECRET\":\"hmac-sha256:"), "{env_keys}");

    // The same again: the key was kept, the labels verify, nothing changes.
    let out = run("first-secret");
    crate::check!(out.0 == 0 && recap_value(&out.1, VM, "changed") == 0, out);
    assert_eq!(label("play.config-hash"), hash);

    // A new secret is a change, and the container is made again with it.
    let out = run("second-secret");
    crate::check!(out.0 == 0 && recap_value(&out.1, VM, "changed") == 1, out);
    assert_ne!(label("play.config-hash"), hash);
    assert_eq!(
        on_vm(&format!("docker inspect -f '{{{{.Config.Env}}}}' {NAME}")),
        "[SECRET=second-secret]"
    );
}
