"""Turning <out>/measurements.jsonl and <out>/meta.json into RESULTS.md and results.json: a table
per N (median, min, max of the successful runs; ratios of medians), the targets with met/missed,
the machine and the versions. Only successful runs count in times; failures are listed.
"""

import json
import statistics
from pathlib import Path

from .tools import NOOP_TASKS, TOOLS, WORKLOADS

MIB = 1024 * 1024
LABELS = {
    "a_first_release": "a) first release (v1), s",
    "b_rerun": "b) no-change rerun, s",
    "c_new_tag": "c) new tag release (v2), s",
    "d_noop50": f"d) {NOOP_TASKS} no-op tasks, s",
    "e_noop1": "e) 1 no-op task (the fixed cost of a run), s",
}


def _load_one(out):
    out = Path(out)
    meta = json.loads((out / "meta.json").read_text())
    runs = []
    path = out / "measurements.jsonl"
    if path.exists():
        runs = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    return meta, runs


def load(*outs):
    """Measurements and meta of one or more run folders; several are merged (the first's machine
    and versions, every run's args as an invocation, N completed by any)."""
    metas, runs = [], []
    for out in outs:
        m, r = _load_one(out)
        metas.append(m)
        runs += r
    meta = dict(metas[0])
    meta["invocations"] = [m["args"] for m in metas]
    meta["started"] = min(m["started"] for m in metas)
    meta["finished"] = max(m.get("finished", m["started"]) for m in metas)
    meta["load_at_end"] = metas[-1].get("load_at_end")
    meta["completed_n"] = sorted({n for m in metas for n in m["completed_n"]})
    meta["asked_n"] = sorted({n for m in metas for n in m["args"]["vms"]})
    meta["not_run"] = {k: v for m in metas for k, v in m.get("not_run", {}).items()}
    meta["errors"] = {k: v for m in metas for k, v in m.get("errors", {}).items()}
    meta["rounds_done"] = {k: v for m in metas for k, v in m.get("rounds_done", {}).items()}
    commits = {m["versions"]["play_commit"] for m in metas}
    if len(commits) > 1:
        meta["versions"] = dict(meta["versions"], play_commit=" / ".join(sorted(commits)))
    return meta, runs


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "count": len(values)}


def summarize(runs):
    """{n: {tool: {...}}} with times per workload and the resource readings."""
    out = {}
    for n in sorted({r["n"] for r in runs}):
        out[n] = {}
        for tool in TOOLS:
            mine = [r for r in runs if r["n"] == n and r["tool"] == tool]
            if not mine:
                continue
            ok = [r for r in mine if r["ok"]]
            s = {"runs": len(mine), "ok_runs": len(ok), "workloads": {}}
            for w in WORKLOADS:
                wr = [r for r in ok if r["workload"] == w]
                s["workloads"][w] = {
                    "wall_s": stats([r["wall_s"] for r in wr]),
                    "bastion_rx_bytes": stats([r["bastion_rx_bytes"] for r in wr]),
                    "bastion_tx_bytes": stats([r["bastion_tx_bytes"] for r in wr]),
                    "agent_bytes_uploaded": stats([r["agent_bytes_uploaded"] for r in wr
                                                   if r["agent_bytes_uploaded"] is not None]),
                }
            noop = s["workloads"]["d_noop50"]["wall_s"]
            s["ms_per_task_per_host"] = (
                {k: (v * 1000 / (NOOP_TASKS * n) if k != "count" else v) for k, v in noop.items()} if noop else None
            )
            # One more task on one host: what 49 extra tasks cost over the 1-task run, so
            # connecting and starting (the agent, Ansible's workers) are left out.
            one = s["workloads"]["e_noop1"]["wall_s"]
            s["ms_per_extra_task_per_host"] = (
                {"median": (noop["median"] - one["median"]) * 1000 / ((NOOP_TASKS - 1) * n),
                 "min": (noop["min"] - one["max"]) * 1000 / ((NOOP_TASKS - 1) * n),
                 "max": (noop["max"] - one["min"]) * 1000 / ((NOOP_TASKS - 1) * n),
                 "count": min(noop["count"], one["count"])}
                if noop and one else None
            )
            rss = [r["maxrss_kb"] for r in mine if r["maxrss_kb"]]
            tree = [r["tree_peak_rss_kb"] for r in mine if r["tree_peak_rss_kb"]]
            agent = [r["agent_vmhwm_kb"] for r in mine if r["agent_vmhwm_kb"]]
            s["controller_peak_rss_kb"] = max(rss) if rss else None
            s["controller_tree_peak_rss_kb"] = max(tree) if tree else None
            s["agent_peak_rss_kb"] = max(agent) if agent else None
            s["timeouts"] = sum(1 for r in mine if r["timed_out"])
            s["problems"] = [f"round {r['round']} {r['workload']}: {r['problem']}" for r in mine if not r["ok"]]
            out[n][tool] = s
    return out


def _median(summary, n, tool, w):
    st = summary.get(n, {}).get(tool, {}).get("workloads", {}).get(w, {}).get("wall_s")
    return st["median"] if st else None


def targets(meta, summary):
    """[(target, measured, verdict)]."""
    rows = []

    def speedup(n, w, other, need, label):
        p, o = _median(summary, n, "play", w), _median(summary, n, other, w)
        if p is None or o is None:
            why = meta.get("not_run", {}).get(other)
            rows.append((label, f"not measured ({'not run: ' + why.splitlines()[-1] if why else f'no N={n} data'})", "not measured"))
            return
        x = o / p
        rows.append((label, f"{x:.1f}x ({other} {o:.2f} s, play {p:.2f} s)", "met" if x >= need else "missed"))

    speedup(20, "b_rerun", "ansible", 15, "no-change rerun on 20 VMs ≥15x faster than ansible")
    speedup(20, "b_rerun", "mitogen", 1.0000001, "no-change rerun on 20 VMs faster than mitogen")
    speedup(20, "c_new_tag", "ansible", 5, "new tag release on 20 VMs ≥5x faster than ansible")

    per = {n: s["play"]["ms_per_extra_task_per_host"]["median"] for n, s in summary.items()
           if "play" in s and s["play"].get("ms_per_extra_task_per_host")}
    whole = {n: s["play"]["ms_per_task_per_host"]["median"] for n, s in summary.items()
             if "play" in s and s["play"]["ms_per_task_per_host"]}
    rows.append(("per-task overhead ≤2 ms per task per host (one more task: (d − e) / (49·N))",
                 "; ".join(f"N={n}: {v:.2f} ms (whole run / (50·N): {whole[n]:.2f} ms)" for n, v in per.items())
                 or "not measured",
                 ("met" if all(v <= 2 for v in per.values()) else "missed") if per else "not measured"))

    s50 = summary.get(50, {}).get("play")
    rss = s50 and s50["controller_peak_rss_kb"]
    rows.append(("controller peak RSS at 50 VMs ≤64 MiB",
                 f"{rss / 1024:.1f} MiB" if rss else "not measured (N=50 not run)",
                 ("met" if rss <= 64 * 1024 else "missed") if rss else "not measured"))

    agent = [s["play"]["agent_peak_rss_kb"] for s in summary.values() if "play" in s and s["play"]["agent_peak_rss_kb"]]
    rows.append(("agent peak RSS ≤16 MiB", f"{max(agent) / 1024:.1f} MiB (VmHWM on vm1, max of all runs)" if agent else "not measured",
                 ("met" if max(agent) <= 16 * 1024 else "missed") if agent else "not measured"))

    size = meta["versions"]["agent_binary_bytes"]
    rows.append(("agent binary ≤8 MiB", f"{size / MIB:.2f} MiB ({size} bytes)", "met" if size <= 8 * MIB else "missed"))

    reruns = [s["play"]["workloads"]["b_rerun"]["agent_bytes_uploaded"] for s in summary.values() if "play" in s]
    reruns = [r for r in reruns if r]
    if reruns:
        most = max(r["max"] for r in reruns)
        rows.append(("a rerun uploads 0 agent bytes", f"max {most} bytes over {sum(r['count'] for r in reruns)} reruns",
                     "met" if most == 0 else "missed"))
    else:
        rows.append(("a rerun uploads 0 agent bytes", "not measured", "not measured"))

    if s50:
        bad = s50["timeouts"]
        rows.append(("50 VMs complete without timeouts",
                     f"{s50['ok_runs']}/{s50['runs']} play runs OK, {bad} timed out",
                     "met" if bad == 0 and s50["ok_runs"] == s50["runs"] else "missed"))
    else:
        rows.append(("50 VMs complete without timeouts", "not measured (N=50 not run)", "not measured"))
    return rows


def _cell(st, scale=1.0, fmt="{:.2f}"):
    if not st:
        return "—"
    f = lambda v: fmt.format(v / scale)  # noqa: E731
    if st["count"] == 1:
        return f(st["median"])
    return f"{f(st['median'])} ({f(st['min'])}–{f(st['max'])})"


def _ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "—"


def table(n, s, meta):
    tools = [t for t in TOOLS if t in s or t in meta.get("not_run", {})]
    head = "| measure | " + " | ".join(tools) + " | play/ansible | play/mitogen |"
    lines = [head, "|" + "---|" * (len(tools) + 3)]

    def row(label, cells, ratio=("—", "—")):
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio[0]} | {ratio[1]} |")

    def per_tool(fn):
        out = []
        for t in tools:
            if t not in s:
                out.append("not run")
            else:
                out.append(fn(s[t]))
        return out

    def med(t, get):
        st = get(s[t]) if t in s else None
        return st["median"] if st else None

    for w, label in LABELS.items():
        get = lambda x, w=w: x["workloads"][w]["wall_s"]  # noqa: E731
        row(label, per_tool(lambda x: _cell(get(x))),
            (_ratio(med("play", get), med("ansible", get)), _ratio(med("play", get), med("mitogen", get))))
    get = lambda x: x["ms_per_task_per_host"]  # noqa: E731
    row("d) ms per task per host (wall / (50·N))", per_tool(lambda x: _cell(get(x))),
        (_ratio(med("play", get), med("ansible", get)), _ratio(med("play", get), med("mitogen", get))))
    get = lambda x: x.get("ms_per_extra_task_per_host")  # noqa: E731
    row("ms per extra task per host ((d − e) / (49·N))", per_tool(lambda x: _cell(get(x))),
        (_ratio(med("play", get), med("ansible", get)), _ratio(med("play", get), med("mitogen", get))))
    for key, label in (("controller_peak_rss_kb", "controller peak RSS, MiB (GNU time: largest process)"),
                       ("controller_tree_peak_rss_kb", "controller peak RSS, MiB (sampled sum of its process tree)")):
        vals = {t: s[t][key] for t in tools if t in s}
        row(label, per_tool(lambda x, key=key: f"{x[key] / 1024:.1f}" if x[key] else "—"),
            (_ratio(vals.get("play"), vals.get("ansible")), _ratio(vals.get("play"), vals.get("mitogen"))))
    for w in WORKLOADS:
        get = lambda x, w=w: x["workloads"][w]["bastion_rx_bytes"]  # noqa: E731
        row(f"bytes sent by the controller, {w[0]}), KiB", per_tool(lambda x: _cell(get(x), 1024, "{:.0f}")),
            (_ratio(med("play", get), med("ansible", get)), _ratio(med("play", get), med("mitogen", get))))
    for w in ("a_first_release", "b_rerun"):
        get = lambda x, w=w: x["workloads"][w]["agent_bytes_uploaded"]  # noqa: E731
        row(f"agent bytes uploaded, {w[0]})", [(_cell(get(s[t]), 1, "{:.0f}") if t == "play" and t in s
                                                else ("not run" if t not in s else "— (no agent)")) for t in tools])
    row("agent peak RSS on vm1, MiB (VmHWM)",
        [(f"{s[t]['agent_peak_rss_kb'] / 1024:.1f}" if s[t]["agent_peak_rss_kb"] else "not seen") if t == "play" and t in s
         else ("not run" if t not in s else "— (no agent)") for t in tools])
    row("runs OK / runs (timeouts)", per_tool(lambda x: f"{x['ok_runs']}/{x['runs']} ({x['timeouts']})"))
    return "\n".join(lines)


def markdown(meta, runs, summary):
    m, v = meta["machine"], meta["versions"]
    loads = [r["load1_at_start"] for r in runs]
    md = [
        "# Benchmark results: play vs ansible-playbook vs Mitogen",
        "",
        f"Written by `bench/run.sh` ({meta['started']} – {meta.get('finished', '?')}) from "
        + "; ".join(f"`--vms {','.join(map(str, a['vms']))} --rounds {','.join(map(str, a['rounds']))} "
                    f"--tools {','.join(a['tools'])}`" for a in meta["invocations"])
        + f"; completed N = {', '.join(map(str, meta['completed_n'])) or 'none'}. How it is measured: bench/README.md.",
        "Times are wall seconds: median (min–max) of the successful runs. Ratios are of medians "
        "(play/ansible 0.10 = play took a tenth of ansible's time).",
        "",
        "## Machine",
        f"- {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, kernel {m['kernel']}",
        f"- load average (1 min) at the start of each run: min {min(loads):.2f}, median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f}; at start {meta['load_at_start']}, at end {meta.get('load_at_end')}. "
        "Other work shared the machine (the controller, the VMs, the bastion and the registry all run on the same 2 cores)."
        if loads else "- no runs",
        "",
        "## Versions",
        f"- play: {v['play']} (commit {v['play_commit']}), agent binary {v['agent_binary_bytes']} bytes",
        f"- ansible {v['ansible']} (ansible-core {v['ansible_core']}), community.docker {v['community_docker']}, "
        f"mitogen {v['mitogen']}, {v['python_controller']}",
        f"- docker: {v.get('docker_vm', '?')} on the VMs (Debian's docker.io), {v['docker_host']} on the host",
        "",
        "## Targets",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    md += [f"| {t} | {m_} | **{verdict}** |" for t, m_, verdict in targets(meta, summary)]
    for n, s in summary.items():
        md += ["", f"## N = {n} VMs", "", table(n, s, meta)]
        probs = [f"- {t}: {p}" for t in s for p in s[t]["problems"]]
        if probs:
            md += ["", "Failed runs (not counted in the times):"] + probs
    md += ["", "## Not run"]
    not_run = [f"- {tool}: not run: {why.strip().splitlines()[-1] if why.strip() else why}"
               for tool, why in meta.get("not_run", {}).items()]
    for n, s in summary.items():
        missing = [t for t in TOOLS if t not in s and t not in meta.get("not_run", {})]
        if missing:
            not_run.append(f"- N = {n}: {', '.join(missing)} not run (left out with --tools)")
    for n in sorted(set(meta["asked_n"]) - set(meta["completed_n"])):
        done = meta["rounds_done"].get(str(n), 0)
        why = meta["errors"].get(str(n)) or "the run was stopped"
        not_run.append(f"- N = {n}: not completed, {done} round(s) done ({why})")
    md += not_run or ["- nothing: every tool ran at every N asked for."]
    if meta.get("notes"):
        md += ["", "## Notes"] + [f"- {note}" for note in meta["notes"]]
    return "\n".join(md) + "\n"


def write(outs, results_dir, notes=()):
    """RESULTS.md and results.json in results_dir from one run folder or several (a list)."""
    outs = [outs] if isinstance(outs, (str, Path)) else list(outs)
    meta, runs = load(*outs)
    meta["notes"] = list(notes)
    summary = summarize(runs)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "RESULTS.md").write_text(markdown(meta, runs, summary))
    doc = {"meta": meta, "summary": {str(k): v for k, v in summary.items()},
           "targets": [{"target": t, "measured": m, "verdict": v} for t, m, v in targets(meta, summary)],
           "runs": runs}
    (results_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")


def print_ratios(*outs):
    meta, runs = load(*outs)
    summary = summarize(runs)
    for n, s in summary.items():
        for w in WORKLOADS:
            p = _median(summary, n, "play", w)
            parts = []
            for other in ("ansible", "mitogen"):
                o = _median(summary, n, other, w)
                if p and o:
                    parts.append(f"play/{other} {p / o:.3f} ({other} takes {o / p:.1f}x as long)")
                elif other in meta.get("not_run", {}):
                    parts.append(f"play/{other}: {other} not run")
                else:
                    parts.append(f"play/{other}: no data")
            print(f"N={n:<3} {w:16} " + "; ".join(parts))
    for t, m, v in targets(meta, summary):
        print(f"target: {t}: {m} -> {v}")


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(prog="report.py", description="RESULTS.md from one or more run folders")
    p.add_argument("outs", nargs="+", help="bench/out/<stamp> folders, merged in order")
    p.add_argument("--results-dir", default="bench")
    p.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = p.parse_args(argv)
    write(args.outs, args.results_dir, args.note)
    print_ratios(*args.outs)


if __name__ == "__main__":
    main()
