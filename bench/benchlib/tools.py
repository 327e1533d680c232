"""The three tools under test and the four workloads, as command lines.

play runs the repo's release playbook (playbooks/docker.yml); ansible-playbook and Mitogen run
bench/ansible/docker.yml, its task-for-task equivalent. All three get the same variables file
(bench/out/<run>/vars-<N>.yml, mode 0600: it holds the registry password, which must not be in
argv) and `-f N`. The workloads and what a correct run shows in its recap are here too.
"""

import os
from pathlib import Path

from .testbed import REPO

VENV = Path(os.environ.get("PLAY_BENCH_VENV", "/var/cache/play-bench-venv"))
TOOLS = ("play", "ansible", "mitogen")

# name -> (playbook kind, image tag, what the recap must show on every host)
WORKLOADS = {
    "a_first_release": ("release", "v1", "changed"),
    "b_rerun": ("release", "v1", "unchanged"),
    "c_new_tag": ("release", "v2", "changed"),
    "d_noop50": ("noop", None, "changed"),
    "e_noop1": ("noop1", None, "changed"),
}
NOOP_TASKS = 50


def mitogen_strategy_dir():
    found = sorted(VENV.glob("lib/python3*/site-packages/ansible_mitogen/plugins/strategy"))
    return found[0] if found else None


def write_vars(path, tb):
    """The release variables both playbooks read (YAML; JSON is YAML)."""
    import json

    password = Path(tb["TESTBED_REGISTRY_PASSWORD_FILE"]).read_text().strip()
    data = {
        "image_repo": tb["TESTBED_APP_REPO"],
        "registry_username": tb["TESTBED_REGISTRY_USER"],
        "registry_password": password,
        "registry_ca_file": tb["TESTBED_REGISTRY_CA"],
        "service_ports": ["8080:8080"],
        "health_url": "http://127.0.0.1:8080/health",
        "app_env": {"APP_A": "alpha", "APP_B": "bench"},
        # The testbed's app (busybox nc as PID 1) ignores SIGTERM, so every stop would wait
        # Docker's full 10 s, on every host, for every tool; 1 s keeps c) about the tools.
        "stop_timeout": 1,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)


class Commands:
    """Command lines and environments for one testbed of N VMs."""

    def __init__(self, tb, n, play_bin, agent_bin, vars_file, out_dir):
        self.tb, self.n = tb, n
        self.play_bin, self.agent_bin = play_bin, agent_bin
        self.vars_file = vars_file
        self.control_dir = Path(out_dir) / f"ssh-cp-{n}"
        self.control_dir.mkdir(parents=True, exist_ok=True)

    def playbook(self, tool, kind):
        if kind == "noop":
            return REPO / "bench/noop50.yml"
        if kind == "noop1":
            return REPO / "bench/noop1.yml"
        return REPO / ("playbooks/docker.yml" if tool == "play" else "bench/ansible/docker.yml")

    def command(self, tool, workload, report_path):
        kind, tag, _ = WORKLOADS[workload]
        inv = self.tb["TESTBED_INVENTORY"]
        args = ["-i", inv, str(self.playbook(tool, kind)), "-f", str(self.n)]
        if kind == "release":
            args += ["-e", f"@{self.vars_file}", "-e", f"image_tag={tag}"]
        if tool == "play":
            return [str(self.play_bin)] + args + ["--color", "never", "--report", str(report_path)]
        return [str(VENV / "bin/ansible-playbook")] + args

    def env(self, tool):
        env = dict(os.environ)
        env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
        if tool == "play":
            env["PLAY_AGENT"] = str(self.agent_bin)
            return env
        env["ANSIBLE_CONFIG"] = str(REPO / "bench/ansible/ansible.cfg")
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(self.control_dir)
        env["ANSIBLE_LOCAL_TEMP"] = str(self.control_dir.parent / "ansible-local")
        if tool == "mitogen":
            env["ANSIBLE_STRATEGY_PLUGINS"] = str(mitogen_strategy_dir())
            env["ANSIBLE_STRATEGY"] = "mitogen_linear"
        return env

    def close_ssh_masters(self):
        """Ends ansible's ControlPersist masters (ssh -O exit), so a first release starts cold."""
        import subprocess

        for sock in self.control_dir.iterdir():
            subprocess.run(
                ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "bench-master"],
                capture_output=True, timeout=10, check=False,
            )
            sock.unlink(missing_ok=True)


def check_recap(workload, recap, hosts):
    """'' if the recap shows what a correct run of the workload shows on every host, else why."""
    _, _, want = WORKLOADS[workload]
    missing = sorted(set(hosts) - set(recap))
    if missing:
        return f"no recap line for {', '.join(missing[:5])}"
    for host in hosts:
        r = recap[host]
        if r["failed"] or r["unreachable"]:
            return f"{host}: failed={r['failed']} unreachable={r['unreachable']}"
        if want == "changed" and r["changed"] == 0:
            return f"{host}: nothing changed"
        if want == "unchanged" and r["changed"] != 0:
            return f"{host}: changed={r['changed']} on a no-change rerun"
    return ""
