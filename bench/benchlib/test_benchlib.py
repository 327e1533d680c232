"""Checks of the benchmark's own logic that need no testbed: recap parsing, the per-workload
run checks, and the report (stats, ratios, targets) on made-up measurements.

    PYTHONPATH=bench /usr/bin/python3 -m unittest benchlib.test_benchlib
"""

import json
import tempfile
import unittest
from pathlib import Path

from . import measure, report, tools

ANSIBLE_RECAP = """
PLAY RECAP *********************************************************************
vm1                        : ok=11   changed=6    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
vm2                        : ok=10   changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
"""
PLAY_RECAP = """
PLAY RECAP ********************************************************************
vm1 : ok=5    changed=0    unreachable=0    failed=1    skipped=4    rescued=0    ignored=0
"""


def run(n, tool, workload, wall, rnd=1, ok=True, **kw):
    rec = {
        "n": n, "round": rnd, "tool": tool, "workload": workload, "wall_s": wall, "rc": 0,
        "timed_out": False, "maxrss_kb": 20000, "tree_peak_rss_kb": 20000, "bastion_rx_bytes": 1000,
        "bastion_tx_bytes": 2000, "agent_bytes_uploaded": 0 if tool == "play" else None,
        "agent_vmhwm_kb": 9000 if tool == "play" else None, "ok": ok, "problem": "" if ok else "exit 2",
        "load1_at_start": 1.0,
    }
    rec.update(kw)
    return rec


class RecapTests(unittest.TestCase):
    def test_ansible_and_play_recaps_parse(self):
        r = measure.parse_recap(ANSIBLE_RECAP)
        self.assertEqual(r["vm1"], {"ok": 11, "changed": 6, "unreachable": 0, "failed": 0})
        self.assertEqual(r["vm2"]["unreachable"], 1)
        self.assertEqual(measure.parse_recap(PLAY_RECAP)["vm1"]["failed"], 1)

    def test_only_the_last_recap_counts(self):
        text = ANSIBLE_RECAP + PLAY_RECAP
        self.assertEqual(set(measure.parse_recap(text)), {"vm1"})

    def test_checks_per_workload(self):
        ok = {"vm1": {"ok": 3, "changed": 2, "unreachable": 0, "failed": 0}}
        same = {"vm1": {"ok": 3, "changed": 0, "unreachable": 0, "failed": 0}}
        self.assertEqual(tools.check_recap("a_first_release", ok, ["vm1"]), "")
        self.assertIn("nothing changed", tools.check_recap("a_first_release", same, ["vm1"]))
        self.assertEqual(tools.check_recap("b_rerun", same, ["vm1"]), "")
        self.assertIn("no-change rerun", tools.check_recap("b_rerun", ok, ["vm1"]))
        self.assertIn("no recap line for vm2", tools.check_recap("b_rerun", same, ["vm1", "vm2"]))
        bad = {"vm1": {"ok": 1, "changed": 1, "unreachable": 1, "failed": 0}}
        self.assertIn("unreachable=1", tools.check_recap("c_new_tag", bad, ["vm1"]))


class ReportTests(unittest.TestCase):
    def write(self, runs, not_run=None):
        d = Path(tempfile.mkdtemp())
        meta = {
            "started": "t0", "finished": "t1", "args": {"vms": [20], "rounds": [3], "tools": list(tools.TOOLS)},
            "machine": {"nproc": 2, "cpu": "x", "memory_gib": 24, "kernel": "k", "os": "o"},
            "versions": {"play": "play 0.1.0", "play_commit": "abc", "agent_binary_bytes": 6 * 1024 * 1024,
                         "ansible": "12.3.0", "ansible_core": "2.19", "mitogen": "0.3.54",
                         "community_docker": "4.8.5", "python_controller": "Python 3.11", "docker_host": "20.10"},
            "load_at_start": [1, 1, 1], "not_run": not_run or {}, "completed_n": [20],
        }
        (d / "meta.json").write_text(json.dumps(meta))
        (d / "measurements.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs))
        return d

    def test_medians_ratios_and_targets(self):
        runs = [run(20, "play", "b_rerun", w, rnd=i) for i, w in enumerate([1.0, 2.0, 9.0])]
        runs += [run(20, "ansible", "b_rerun", w) for w in (30.0, 40.0)]
        runs += [run(20, "mitogen", "b_rerun", 10.0)]
        runs += [run(20, "ansible", "b_rerun", 1.0, ok=False)]  # a failed run does not count
        runs += [run(20, "play", "d_noop50", 1.0), run(20, "play", "e_noop1", 0.02)]
        d = self.write(runs)
        meta, loaded = report.load(d)
        s = report.summarize(loaded)
        self.assertEqual(s[20]["play"]["workloads"]["b_rerun"]["wall_s"]["median"], 2.0)
        self.assertEqual(s[20]["ansible"]["workloads"]["b_rerun"]["wall_s"]["median"], 35.0)
        self.assertEqual(s[20]["ansible"]["ok_runs"], 2)
        self.assertEqual(s[20]["play"]["ms_per_task_per_host"]["median"], 1.0)  # 1 s / (50 * 20)
        verdicts = {t: v for t, _, v in report.targets(meta, s)}
        self.assertEqual(verdicts["no-change rerun on 20 VMs ≥15x faster than ansible"], "met")  # 17.5x
        self.assertEqual(verdicts["no-change rerun on 20 VMs faster than mitogen"], "met")
        per_task = "per-task overhead ≤2 ms per task per host (one more task: (d − e) / (49·N))"
        self.assertEqual(verdicts[per_task], "met")
        # (1.0 - 0.02) s over 49 extra tasks on 20 hosts = 1 ms
        self.assertAlmostEqual(s[20]["play"]["ms_per_extra_task_per_host"]["median"], 1.0)
        self.assertEqual(verdicts["controller peak RSS at 50 VMs ≤64 MiB"], "not measured")
        self.assertEqual(verdicts["a rerun uploads 0 agent bytes"], "met")
        report.write(d, d)
        md = (d / "RESULTS.md").read_text()
        self.assertIn("| b) no-change rerun, s | 2.00 (1.00–9.00) | 35.00 (30.00–40.00) | 10.00 | 0.06 | 0.20 |", md)
        self.assertIn("round 1 b_rerun: exit 2", md)

    def test_a_tool_that_could_not_run_is_said_so(self):
        runs = [run(20, "play", "b_rerun", 1.0), run(20, "ansible", "b_rerun", 20.0)]
        d = self.write(runs, not_run={"mitogen": "ERROR! mitogen does not support this ansible"})
        report.write(d, d)
        md = (d / "RESULTS.md").read_text()
        self.assertIn("mitogen: not run: ERROR! mitogen does not support this ansible", md)
        self.assertIn("| not run |", md)

    def test_two_run_folders_merge(self):
        a = self.write([run(20, "play", "b_rerun", 1.0), run(20, "ansible", "b_rerun", 20.0)])
        b = self.write([run(50, "play", "b_rerun", 3.0, maxrss_kb=80 * 1024)])
        meta = json.loads((b / "meta.json").read_text())
        meta.update(args={"vms": [50], "rounds": [1], "tools": ["play"]}, completed_n=[50])
        (b / "meta.json").write_text(json.dumps(meta))
        report.write([a, b], a, notes=["a note"])
        md = (a / "RESULTS.md").read_text()
        self.assertIn("## N = 20 VMs", md)
        self.assertIn("## N = 50 VMs", md)
        self.assertIn("`--vms 50 --rounds 1 --tools play`", md)
        self.assertIn("N = 50: ansible, mitogen not run (left out with --tools)", md)
        self.assertIn("| controller peak RSS at 50 VMs ≤64 MiB | 80.0 MiB | **missed** |", md)
        self.assertIn("- a note", md)


if __name__ == "__main__":
    unittest.main()
