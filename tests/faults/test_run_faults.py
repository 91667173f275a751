"""Usage and job faults: a bad option, runner or config value, an output directory that holds the
run's inputs or files in the way, a run that must not be committed, and a run killed part-way: each
leaves the previous dataset exactly as it was (and verifiable), and the user's own files untouched."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, SAMPLE_DATA
from tests.faults.conftest import jsonl_bytes, sample_records

GOOD = sample_records(10)


def _inside_output(ws):
    path = os.path.join(ws.out, "train", "more.jsonl")
    with open(path, "wb") as f:
        f.write(jsonl_bytes(GOOD[:2]))
    return ["--set", f"sources.0.paths=[{os.path.join(ws.out, 'train', '*.jsonl')}]"]


def _filter_list_inside_output(ws):
    path = os.path.join(ws.out, "errors", "blocked-domains.txt")
    with open(path, "w") as f:
        f.write("example.com\n")
    return ["--set", f"filters=[{{name: url_blocklist, domains_file: {path}}}]"]


def _side_output_in_the_way(ws):
    with open(os.path.join(ws.out, "errors", "errors-00000-of-00009.jsonl"), "w") as f:
        f.write("not written by tokenmill\n")
    return []


# name: (extra CLI arguments, given the workspace; exit code; words of the message)
CASES = {
    "bad_runner": (lambda ws: ["--", "--runner=NoSuchRunner"], 2, "Unexpected pipeline runner: NoSuchRunner"),
    "bad_option_value": (lambda ws: ["--", "--direct_num_workers=abc"], 2, "--direct_num_workers: invalid int value"),
    "bad_config_type": (lambda ws: ["--set", "seq_len=true"], 2, "seq_len: Input should be a valid integer"),
    "seq_len_beyond_the_maximum": (lambda ws: ["--set", "seq_len=2000000"], 2, "seq_len: Input should be less than"),
    "sources_inside_output": (_inside_output, 2, "sources.0.paths.0"),
    "tokenizer_inside_output": (lambda ws: ["--set", f"tokenizer.path={os.path.join(ws.out, 'tokenizer.json')}"],
                                2, "tokenizer.path"),
    "filter_list_inside_output": (_filter_list_inside_output, 2, "filters.0.domains_file"),
    "output_is_the_data_folder": (lambda ws: ["--output", ws.data], 2, "holds inputs of this run"),
    "foreign_file_in_the_way": (_side_output_in_the_way, 2, "errors/errors-00000-of-00009.jsonl"),
    "all_documents_in_the_dropped_tail": (lambda ws: ["--set", "seq_len=100000"], 1,
                                          "fell in the dropped tails"),
    "too_many_unreadable_records": (lambda ws: ["--set", "max_error_fraction=0.01"], 1, "too many unreadable records"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_run_leaves_the_previous_dataset_as_it_was(ws, case):
    extra, code, words = CASES[case]
    ws.write_input("good.jsonl", jsonl_bytes(GOOD) + b"{broken\n")
    config = ws.config()
    args = extra(ws)
    before, protected = ws.previous(), ws.protected()
    rc, out, err = ws.run("run", config, *args)
    assert rc == code and words in err, err
    assert "Traceback" not in err and "usage:" not in err
    assert ws.previous() == before and ws.protected() == protected
    assert ws.run("verify", ws.out)[0] == 0
    if code == 1:  # the failed run's report is kept apart, and it still accounts for every record
        import json

        with open(os.path.join(ws.out, ".tmp", "report.json")) as f:
            report = json.load(f)
        assert report["failed"] and report["totals"]["identity_holds"]


def test_a_run_killed_part_way_leaves_the_previous_dataset_and_a_rerun_succeeds(ws):
    """SIGKILL once the job has started writing: the previous dataset is still complete and verifies;
    the next run clears the leftovers and commits."""
    with open(os.path.join(SAMPLE_DATA, "books", "speeches.jsonl.gz"), "rb") as f:
        ws.write_input("speeches.jsonl.gz", f.read())
    config = ws.config()
    before, protected = ws.previous(), ws.protected()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", config], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": REPO}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staging = os.path.join(ws.out, ".tmp")
    deadline = time.monotonic() + 120
    while not os.path.exists(staging):
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ws.previous() == before, "the kill came after the commit had begun: give the run more data"
    assert ws.protected() == protected
    assert ws.run("verify", ws.out)[0] == 0
    rc, out, err = ws.run("run", config)
    assert rc == 0, err
    assert not os.path.exists(staging) and ws.protected() == protected
    assert ws.report()["totals"]["identity_holds"] and ws.run("verify", ws.out)[0] == 0
    assert ws.report()["totals"]["read"] > 100  # the new dataset, not the previous one
