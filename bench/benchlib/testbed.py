"""The benchmark's testbed: bringing it up and down (tests/testbed/*.sh), the untimed setup and
reset of the VMs, and the side-channel readings (docker exec, never SSH, so they cost the
tools nothing): the bastion's network counters and the agent's peak RSS on vm1.

Reset between tools (see bench/README.md): every container and image on each VM is removed,
with the .env, the release history, the registry login, the registry CA copy and the cached
agent, so each tool's first release pulls the image and (for play) uploads the agent. Docker
itself, python3-docker and python3-apt stay installed.
"""

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEB_CACHE = Path("/var/cache/play-bench-debs")
SETUP_PACKAGES = ["python3-docker", "python3-apt"]

RESET_SCRIPT = r"""
docker ps -aq | xargs -r docker rm -f >/dev/null
docker images -q | sort -u | xargs -r docker rmi -f >/dev/null
rm -rf /etc/play /var/lib/play /root/.docker /etc/docker/certs.d \
  /home/play/.cache/play /home/play/.ansible /root/.ansible
test -z "$(docker ps -aq)" && test -z "$(docker images -q)"
"""

# Samples VmHWM (peak RSS so far) of every play-agent process; prints one number (kB) per
# sample. Stops when /run/bench-rss-stop appears, or after an hour whatever happens.
AGENT_RSS_SCRIPT = r"""
rm -f /run/bench-rss-stop
end=$(( $(date +%s) + 3600 ))
while [ ! -e /run/bench-rss-stop ] && [ "$(date +%s)" -lt "$end" ]; do
  for p in $(pgrep '^play-agent'); do
    sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null
  done
  sleep 0.1
done
"""


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def read_env(state_dir):
    """The TESTBED_* facts from env.sh, as a dict."""
    out = sh(["bash", "-c", f'set -a; . "{state_dir}/env.sh"; env -0'], check=True).stdout
    return {
        k: v
        for k, _, v in (item.partition("=") for item in out.split("\0") if item)
        if k.startswith("TESTBED_")
    }


def up(name, n, log):
    env = {
        "TESTBED_NAME": name,
        "TESTBED_VMS": str(n),
        "TESTBED_DOCKER_PREINSTALLED": "1",
        # Every tool reaches the bastion at its own address, as on a real fleet: Docker's
        # userland proxy for a published port would sit in the path and delay small packets.
        "TESTBED_BASTION_VIA": "ip",
    }
    _logged(["tests/testbed/up.sh"], env, log)
    return read_env(REPO / ".testbed" / name)


def down(name, log):
    _logged(["tests/testbed/down.sh"], {"TESTBED_NAME": name}, log, check=False)


def _logged(cmd, extra_env, log, check=True):
    import os

    env = dict(os.environ, **extra_env)
    with open(log, "a") as f:
        f.write(f"$ {' '.join(cmd)} ({extra_env})\n")
        f.flush()
        rc = subprocess.run(cmd, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    if check and rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {rc}); see {log}")


def containers(tb):
    return tb["TESTBED_VM_CONTAINERS"].split()


def _each_vm(tb, fn, workers=8):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(fn, containers(tb)))
    failed = [r for r in results if r]
    if failed:
        raise RuntimeError("; ".join(failed[:3]))


def setup_vms(tb):
    """Installs python3-docker and python3-apt (Ansible's docker and apt modules need them) on
    every VM, untimed. vm1 fetches them from the mirror once; the .debs are kept on this
    machine and installed on the others with dpkg, so N VMs do not all download the indexes."""
    vms = containers(tb)
    check = "dpkg-query -W -f='${Status}\\n' " + " ".join(SETUP_PACKAGES) + " | grep -vc 'ok installed' | grep -qx 0"
    if not list(DEB_CACHE.glob("*.deb")):
        script = (
            "set -e; apt-get update -qq; rm -f /var/cache/apt/archives/*.deb; "
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only "
            + " ".join(SETUP_PACKAGES)
        )
        r = sh(["docker", "exec", vms[0], "sh", "-c", script], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"apt-get on {vms[0]} failed: {r.stderr.strip()[-500:]}")
        DEB_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = DEB_CACHE.with_suffix(".tmp")
        sh(["rm", "-rf", str(tmp)])
        sh(["docker", "cp", f"{vms[0]}:/var/cache/apt/archives", str(tmp)])
        for deb in tmp.glob("*.deb"):
            deb.rename(DEB_CACHE / deb.name)
        sh(["rm", "-rf", str(tmp)])

    def install(vm):
        if sh(["docker", "exec", vm, "sh", "-c", check], check=False).returncode == 0:
            return None
        sh(["docker", "exec", vm, "mkdir", "-p", "/tmp/bench-debs"])
        for deb in DEB_CACHE.glob("*.deb"):
            sh(["docker", "cp", str(deb), f"{vm}:/tmp/bench-debs/"])
        r = sh(["docker", "exec", vm, "sh", "-c",
                "DEBIAN_FRONTEND=noninteractive dpkg -i --skip-same-version /tmp/bench-debs/*.deb "
                "&& rm -rf /tmp/bench-debs && " + check], check=False)
        return None if r.returncode == 0 else f"{vm}: dpkg -i failed: {(r.stdout + r.stderr).strip()[-400:]}"

    _each_vm(tb, install)


def reset_vms(tb):
    def reset(vm):
        r = sh(["docker", "exec", vm, "sh", "-c", RESET_SCRIPT], check=False)
        return None if r.returncode == 0 else f"{vm}: reset failed: {(r.stdout + r.stderr).strip()[-300:]}"

    _each_vm(tb, reset)


def bastion_counters(tb):
    """(rx, tx) bytes of the bastion's public interface: rx is what the controller sent."""
    bastion = tb["TESTBED_BASTION_CONTAINER"]
    ip = sh(["docker", "inspect", "-f",
             f'{{{{(index .NetworkSettings.Networks "{tb["TESTBED_NET_PUBLIC"]}").IPAddress}}}}',
             bastion]).stdout.strip()
    script = (
        f"i=$(ip -o -4 addr show | awk '$4 ~ /^{ip}\\// {{print $2}}'); "
        'awk -v i="$i:" \'$1 == i {print $2, $10}\' /proc/net/dev'
    )
    out = sh(["docker", "exec", bastion, "sh", "-c", script]).stdout.split()
    if len(out) != 2:
        raise RuntimeError(f"no counters for the bastion's public interface ({ip}): {out}")
    return int(out[0]), int(out[1])


class AgentRss:
    """Polls the play-agent's VmHWM on one VM for the length of a run."""

    def __init__(self, container):
        self.container = container
        self.proc = subprocess.Popen(
            ["docker", "exec", container, "sh", "-c", AGENT_RSS_SCRIPT],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        time.sleep(0.2)

    def stop(self):
        """The peak VmHWM seen, in kB (None: no agent process was ever seen)."""
        sh(["docker", "exec", self.container, "touch", "/run/bench-rss-stop"], check=False)
        try:
            out, _ = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        values = [int(x) for x in out.split() if x.isdigit()]
        return max(values) if values else None


def vm_docker_version(tb):
    r = sh(["docker", "exec", containers(tb)[0], "docker", "version", "--format",
            "{{.Server.Version}}"], check=False)
    return r.stdout.strip() or "unknown"
