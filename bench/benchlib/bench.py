"""The benchmark's driver: for each N, a testbed of N VMs, the untimed setup, then R rounds of
every tool (play, ansible, mitogen, play, ...) over the four workloads, each run measured and
checked, one JSON line per run in <out>/measurements.jsonl. The report is rewritten after each N,
so a run that is stopped still leaves the results of the N it finished.

Called by bench/run.sh, which builds play and prepares the venv first.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from . import measure, report, testbed, tools
from .testbed import REPO


def log(msg):
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def loadavg():
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def versions(play_bin, agent_bin):
    venv = tools.VENV / "bin"

    def first_line(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "unknown"

    pip_versions = {}
    r = subprocess.run([str(venv / "pip"), "list", "--format", "json"], capture_output=True, text=True, check=False)
    for p in json.loads(r.stdout or "[]"):
        pip_versions[p["name"].lower()] = p["version"]
    coll = first_line(["sh", "-c", f"{venv}/ansible-galaxy collection list community.docker 2>/dev/null | grep community.docker"])
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    commit = os.environ.get("BENCH_PLAY_COMMIT") or git.stdout.strip() or "unknown"
    return {
        "play": first_line([str(play_bin), "--version"]),
        "play_commit": commit,
        "agent_binary_bytes": Path(agent_bin).stat().st_size,
        "ansible": pip_versions.get("ansible", "not installed"),
        "ansible_core": pip_versions.get("ansible-core", "not installed"),
        "mitogen": pip_versions.get("mitogen", "not installed"),
        "community_docker": " ".join(coll.split()[1:2]) or "unknown",
        "python_controller": first_line([str(venv / "python"), "--version"]),
        "docker_host": first_line(["docker", "version", "--format", "{{.Server.Version}}"]),
    }


def machine():
    mem_kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": platform.platform(),
    }


def one_run(cmds, tb, tool, workload, n, rnd, out):
    name = f"n{n}-r{rnd}-{tool}-{workload}"
    report_path = out / "runs" / f"{name}.json"
    cmd = cmds.command(tool, workload, report_path)
    rx0, tx0 = testbed.bastion_counters(tb)
    poller = testbed.AgentRss(testbed.containers(tb)[0]) if tool == "play" else None
    load = loadavg()
    res = measure.run_timed(cmd, cmds.env(tool), REPO, out / "runs" / f"{name}.log", 300 + 30 * n)
    agent_kb = poller.stop() if poller else None
    rx1, tx1 = testbed.bastion_counters(tb)
    rec = {
        "n": n, "round": rnd, "tool": tool, "workload": workload,
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load1_at_start": load[0],
        **{k: v for k, v in res.items() if k not in ("recap", "output_tail")},
        "bastion_rx_bytes": rx1 - rx0, "bastion_tx_bytes": tx1 - tx0,
        "agent_bytes_uploaded": None, "agent_vmhwm_kb": agent_kb,
    }
    if tool == "play":
        try:
            rec["agent_bytes_uploaded"] = json.loads(report_path.read_text())["agent_bytes_uploaded"]
        except (OSError, ValueError, KeyError):
            pass
    hosts = tb["TESTBED_VM_NAMES"].split()
    problem = "timed out" if res["timed_out"] else ""
    problem = problem or (f"exit {res['rc']}" if res["rc"] != 0 else "")
    problem = problem or tools.check_recap(workload, res["recap"], hosts)
    rec["ok"] = not problem
    rec["problem"] = problem
    if problem:
        rec["output_tail"] = res["output_tail"]
    changed = sum(h["changed"] for h in res["recap"].values())
    log(f"N={n} round {rnd} {tool:8} {workload:16} {res['wall_s']:8.2f}s  "
        f"changed={changed} rss={res['maxrss_kb']}kB {'OK' if not problem else 'PROBLEM: ' + problem}")
    return rec


def bench_n(args, n, rounds, out, play_bin, agent_bin, state, save):
    log(f"== N={n}: testbed {args.name} up")
    tb = testbed.up(args.name, n, out / "testbed.log")
    log("setup (untimed): python3-docker and python3-apt on the VMs")
    testbed.setup_vms(tb)
    vars_file = out / f"vars-{n}.yml"
    tools.write_vars(vars_file, tb)
    cmds = tools.Commands(tb, n, play_bin, agent_bin, vars_file, out)
    state["docker_vm"] = testbed.vm_docker_version(tb)
    for rnd in range(1, rounds + 1):
        for tool in args.tools:
            if tool in state["not_run"]:
                continue
            testbed.reset_vms(tb)
            cmds.close_ssh_masters()
            for workload in tools.WORKLOADS:
                rec = one_run(cmds, tb, tool, workload, n, rnd, out)
                # Mitogen that cannot start at all on this ansible-core is "not run", not slow.
                if tool == "mitogen" and not rec["ok"] and rnd == 1 and workload == "a_first_release" \
                        and not measure.parse_recap("\n".join(rec.get("output_tail", []))):
                    state["not_run"]["mitogen"] = "\n".join(rec.get("output_tail", [])[-6:])
                    log(f"mitogen: not run: {state['not_run']['mitogen']}")
                    break
                with open(out / "measurements.jsonl", "a") as f:
                    f.write(json.dumps(rec) + "\n")
            save()
        state.setdefault("rounds_done", {})[str(n)] = rnd
        save()
    cmds.close_ssh_masters()
    if not args.keep:
        log(f"N={n}: testbed {args.name} down")
        testbed.down(args.name, out / "testbed.log")


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.py")
    p.add_argument("--vms", default="3,20,50")
    p.add_argument("--rounds", default="3", help="one number, or one per N (3,3,1)")
    p.add_argument("--tools", default=",".join(tools.TOOLS))
    p.add_argument("--name", default="playbench")
    p.add_argument("--out", required=True)
    p.add_argument("--results-dir", required=True, help="where RESULTS.md and results.json go")
    p.add_argument("--play", required=True)
    p.add_argument("--agent", required=True)
    p.add_argument("--keep", action="store_true", help="leave the last testbed up")
    args = p.parse_args(argv)
    args.tools = [t for t in args.tools.split(",") if t]
    bad = [t for t in args.tools if t not in tools.TOOLS]
    if bad:
        sys.exit(f"bench.py: unknown tool(s) {bad}; choose from {tools.TOOLS}")
    ns = [int(x) for x in args.vms.split(",") if x]
    rounds = [int(x) for x in args.rounds.split(",") if x]
    if len(rounds) == 1:
        rounds *= len(ns)
    if len(rounds) != len(ns) or min(rounds) < 1:
        sys.exit(f"bench.py: --rounds '{args.rounds}' must be one number or one per N ({len(ns)})")
    out = Path(args.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    if "mitogen" in args.tools and not tools.mitogen_strategy_dir():
        sys.exit(f"bench.py: no ansible_mitogen strategy plugins under {tools.VENV}")
    meta = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "args": {"vms": ns, "rounds": rounds, "tools": args.tools},
        "machine": machine(),
        "versions": versions(args.play, args.agent),
        "load_at_start": loadavg(),
        "not_run": {},
        "completed_n": [],
    }
    state = {"not_run": meta["not_run"]}

    def save():
        """meta.json and the report as they stand: after every tool's runs, so a stopped run keeps them."""
        meta["versions"]["docker_vm"] = state.get("docker_vm", "unknown")
        meta["rounds_done"] = state.get("rounds_done", {})
        meta["load_at_end"] = loadavg()
        meta["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        (out / "meta.json").write_text(json.dumps(meta, indent=2))
        report.write(out, Path(args.results_dir))

    for n, r in zip(ns, rounds):
        try:
            bench_n(args, n, r, out, args.play, args.agent, state, save)
            meta["completed_n"].append(n)
        except Exception as e:  # one N failing still leaves the others' results
            log(f"N={n} stopped: {e}")
            meta.setdefault("errors", {})[str(n)] = str(e)
            testbed.down(args.name, out / "testbed.log")
        save()
    report.print_ratios(out)
    return 0 if not meta.get("errors") else 1


if __name__ == "__main__":
    sys.exit(main())
