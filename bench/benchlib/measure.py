"""Running one timed command and reading what it cost on the controller.

Owns: wall time (monotonic clock around the process), GNU time's peak RSS (the largest single
process of the tree: ru_maxrss of the waited-for children), a sampled peak of the whole
process tree's summed RSS (ansible-playbook forks a worker per host plus ssh clients, which
GNU time does not add up), a bounded run (a timed-out run is killed and recorded as such), and
the recap counts parsed from the output. Nothing here knows which tool it runs.
"""

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.M,
)


def _process_table():
    """pid -> (ppid, rss_kb) for every process we can read."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            # The command name may hold spaces and parentheses: split after the last ')'.
            fields = stat[stat.rindex(b")") + 2 :].split()
            ppid = int(fields[1])
            rss_kb = int(fields[21]) * PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        table[int(name)] = (ppid, rss_kb)
    return table


def tree_rss_kb(root):
    """Summed RSS of root's descendants (root itself excluded: it is /usr/bin/time)."""
    table = _process_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


class TreeSampler(threading.Thread):
    """Samples tree_rss_kb(root) every `interval` seconds until stopped; keeps the peak."""

    def __init__(self, root, interval=0.2):
        super().__init__(daemon=True)
        self.root, self.interval, self.peak_kb = root, interval, 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.root))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


def gnu_time_maxrss_kb(path):
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(m.group(1)) if m else None


def parse_recap(output):
    """host -> {ok, changed, unreachable, failed} from the last PLAY RECAP in the output."""
    tail = output[output.rfind("PLAY RECAP") :] if "PLAY RECAP" in output else output
    return {
        m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
        for m in RECAP.finditer(tail)
    }


def run_timed(cmd, env, cwd, log_path, timeout_s):
    """Runs cmd under /usr/bin/time -v with its output in log_path; returns a dict with wall_s,
    rc, timed_out, maxrss_kb, tree_peak_rss_kb, recap and the output's last lines."""
    log_path = Path(log_path)
    time_path = log_path.with_suffix(".time")
    full = ["/usr/bin/time", "-v", "-o", str(time_path)] + [str(c) for c in cmd]
    with open(log_path, "wb") as log:
        log.write(("$ " + " ".join(str(c) for c in cmd) + "\n").encode())
        log.flush()
        started = time.monotonic()
        # Own session: a timeout kills the whole tree (ansible's workers and ssh clients too).
        proc = subprocess.Popen(
            full, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                rc = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
        wall = time.monotonic() - started
        sampler.stop()
    output = log_path.read_text(errors="replace")
    return {
        "wall_s": round(wall, 3),
        "rc": rc,
        "timed_out": timed_out,
        "maxrss_kb": gnu_time_maxrss_kb(time_path),
        "tree_peak_rss_kb": sampler.peak_kb,
        "recap": parse_recap(output),
        "output_tail": output.strip().splitlines()[-15:],
    }
