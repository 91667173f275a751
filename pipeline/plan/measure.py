"""Running the pipeline on a sample and measuring it, for `tokenmill plan build`: wall time, CPU time of the
whole process tree (os.wait4's rusage: the child and every worker it waited for), peak resident memory of
the tree (summed over its processes, sampled every 0.2 s from /proc), and what the run wrote: report.json
(per-pass CPU seconds, shuffle bytes, accounting), manifest.json (tokens) and the bytes of each output folder.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict

from pipeline.dataset.manifest import Manifest
from pipeline.plan.extrapolate import SampleRun
from pipeline.run_report import RunReport

SAMPLE_EVERY_S = 0.2
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SampleFailed(RuntimeError):
    """The pipeline failed on a sample: the full build would fail the same way."""


def process_tree(root: int) -> list[int]:
    children = defaultdict(list)
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def tree_rss(root: int) -> int:
    total = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def folder_bytes(path: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            sizes[entry.name] = sum(os.path.getsize(os.path.join(d, f))
                                    for d, _, files in os.walk(entry.path) for f in files)
        else:
            sizes[entry.name] = entry.stat().st_size
    return sizes


def run_process(cmd: list[str], log_path: str, timeout_s: float = 24 * 3600) -> tuple[int, float, float, int]:
    """(exit code, wall seconds, CPU seconds of the process tree, peak tree RSS) of cmd, run from the repository
    with its output in log_path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        peak = 0
        while True:
            pid, raw_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(proc.pid))
            if time.perf_counter() - start > timeout_s:
                proc.kill()
            time.sleep(SAMPLE_EVERY_S)
        proc.returncode = os.waitstatus_to_exitcode(raw_status)
    return proc.returncode, time.perf_counter() - start, usage.ru_utime + usage.ru_stime, peak


def run_sample(label: str, config: dict, workers: int, work_dir: str, stored_bytes: dict, text_bytes: dict) -> SampleRun:
    path = os.path.join(work_dir, f"config-{label}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    log_path = os.path.join(work_dir, f"run-{label}.log")
    status, wall, cpu, peak = run_process([sys.executable, "-m", "pipeline.plan.sample_run", path, str(workers)], log_path)
    if status != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-3000:]
        raise SampleFailed(f"the pipeline failed on the {label} sample (exit {status}); the full build would too:\n{tail}")
    out = config["output"]
    with open(os.path.join(out, "report.json")) as f:
        report = RunReport.from_json(json.load(f))
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = Manifest.from_json(json.load(f))
    return SampleRun(label=label, stored_bytes=dict(stored_bytes), text_bytes=dict(text_bytes), wall_s=wall, cpu_s=cpu,
                     peak_rss=peak, report=report, manifest=manifest, output_bytes=folder_bytes(out))
