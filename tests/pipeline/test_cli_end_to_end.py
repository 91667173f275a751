"""The whole `tokenmill` CLI on the bundled sample: run, verify, inspect, determinism, failures."""
import collections
import gzip
import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
import yaml
from tokenizers import Tokenizer

from pipeline.cli import main
from tests.pipeline.shard_segments import eos_segments

pytestmark = pytest.mark.slow


def write_config(tmp_path, sample_data, tokenizer_path, **extra):
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(sample_data, data, ignore=shutil.ignore_patterns("math", "multilingual"))
        # exact duplicates (case and spacing differ) and records that cannot be read
        with gzip.open(data / "web" / "dups.jsonl.gz", "wt", encoding="utf-8") as f:
            with gzip.open(data / "web" / "cc_dolma.jsonl.gz", "rt", encoding="utf-8") as src:
                for i, line in enumerate(src):
                    if i < 5:
                        d = json.loads(line)
                        f.write(json.dumps({"id": f"dup-{i}", "text": d["text"].upper() + "  "}) + "\n")
            f.write("{not json\n")
            f.write(json.dumps({"id": "no-text", "body": "x"}) + "\n")
    cfg = {
        "output": str(tmp_path / "out"), "seed": 99, "seq_len": 256,
        "tokenizer": {"path": tokenizer_path, "eos": "<|endoftext|>", "max_chunk_chars": 5000},
        "validation_fraction": 0.05, "shards": {"train": 4, "validation": 2},
        "sources": [
            {"name": "web", "paths": [str(data / "web" / "*.jsonl.gz")], "id_field": "id"},
            {"name": "warc", "paths": [str(data / "web" / "warc" / "*.warc.gz")], "format": "warc"},
            {"name": "books", "paths": [str(data / "books" / "*.jsonl.gz")], "id_field": "id"},
            {"name": "play", "paths": [str(data / "books" / "*.txt")], "format": "text"},
            {"name": "forum", "paths": [str(data / "forum" / "*.jsonl.gz")]},
        ],
        "dedup": {"exact": True},
    }
    cfg.update(extra)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, cfg


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_data=None):
    from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

    tmp = tmp_path_factory.mktemp("e2e")
    path, cfg = write_config(tmp, SAMPLE_DATA, TOKENIZER_JSON)
    assert main(["run", str(path)]) == 0
    return tmp, path, cfg


def segments(out):
    """Every EOS-terminated token segment of every shard, by split."""
    manifest, found = eos_segments(out)
    return manifest, {split: [tuple(tokens) for _, tokens in segs] for split, segs in found.items()}


def test_every_kept_document_is_in_the_shards_exactly_once_and_decodes_to_its_text(built, tokenizer_path):
    tmp, _, _ = built
    out = tmp / "out"
    manifest, found = segments(out)
    tok = Tokenizer.from_file(tokenizer_path)
    tok.encode_special_tokens = True
    curated = pq.ParquetDataset(str(out / "curated")).read().to_pylist()
    expected = {tuple(tok.encode(d["text"], add_special_tokens=False).ids): d["id"] for d in curated}
    all_segments = found["train"] + found["validation"]
    counts = collections.Counter(all_segments)
    assert all(seg in expected for seg in counts), "a segment that is no kept document"
    assert max(counts.values()) == 1, "a document appears twice"
    lost_in_tails = sum(s["dropped_tail_documents"] for b in manifest["splits"].values() for s in b["shards"])
    assert len(counts) == len(expected) - lost_in_tails
    assert not set(found["train"]) & set(found["validation"])
    for seg in list(counts)[:200]:
        text = next(d["text"] for d in curated if d["id"] == expected[seg])
        assert tok.decode(list(seg), skip_special_tokens=False) == __import__("unicodedata").normalize("NFC", text)


def test_report_accounts_for_every_record(built):
    tmp, _, _ = built
    report = json.load(open(tmp / "out" / "report.json"))
    web = report["sources"]["web"]
    assert web["read"] == 150 + 5 + 2 and web["unreadable"] == 2 and web["duplicates"] == 5
    assert web["duplicates_by_reason"] == {"dedup_exact:exact_duplicate": 5}
    for name, s in report["sources"].items():
        assert s["read"] == s["kept"] + s["rejected"] + s["duplicates"] + s["unreadable"], name
    errors = [json.loads(l) for f in (tmp / "out" / "errors").iterdir() for l in open(f)]
    assert sorted(e["error"][:14] for e in errors) == ["malformed JSON", "missing field "]
    assert all(e["file"].endswith("dups.jsonl.gz") for e in errors)
    rejects = pq.ParquetDataset(str(tmp / "out" / "rejects")).read().to_pylist()
    assert sorted(r["duplicate_of"] for r in rejects if r["stage"] == "dedup_exact") == sorted(
        r["duplicate_of"] for r in rejects if r["reason"] == "exact_duplicate")
    assert all(r["id"].startswith("dup-") for r in rejects)  # the originals have the smaller ids


def test_manifest_matches_the_contract(built):
    tmp, _, _ = built
    m = json.load(open(tmp / "out" / "manifest.json"))
    assert m["format"] == "tokenmill.shards/1" and m["seq_len"] == 256 and m["dtype"] == "uint16" and m["seed"] == 99
    assert set(m["tokenizer"]) >= {"sha256", "vocab_size", "eos_id"}
    assert len(m["splits"]["train"]["shards"]) == 4 and len(m["splits"]["validation"]["shards"]) == 2
    for block in m["splits"].values():
        assert block["rows"] == sum(s["rows"] for s in block["shards"])
        for s in block["shards"]:
            assert set(s) >= {"path", "rows", "tokens", "dropped_tail_tokens", "xxh64"}
    assert abs(sum(s["realized_fraction"] for s in m["sources"].values()) - 1) < 1e-4
    assert set(m["sources"]["web"]) >= {"documents", "tokens", "target_fraction", "realized_fraction", "repeats"}


def test_verify_and_inspect(built, capsys):
    tmp, _, _ = built
    out = tmp / "out"
    assert main(["verify", str(out)]) == 0
    assert "6 shard(s) checked: all good" in capsys.readouterr().out
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "train" in text and "validation" in text and "realized" in text and "row 0" in text


def test_inspect_html_rerenders_the_report_page(built, tmp_path, capsys):
    tmp, _, _ = built
    out = tmp / "out"
    target = tmp_path / "page.html"
    assert main(["inspect", str(out), "--html", str(target)]) == 0
    assert f"{target} written" in capsys.readouterr().out
    page = target.read_text(encoding="utf-8")
    with open(out / "report.html", encoding="utf-8") as f:
        assert f.read() == page  # the run's own page: same report.json, same page (CPU seconds included)
    assert 'data-source="web"' in page and "exact_duplicate" in page and 'class="sample"' in page
    assert main(["inspect", str(tmp_path), "--html"]) == 2  # not a dataset


def test_verify_names_a_corrupted_shard(built, tmp_path, capsys):
    tmp, _, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(tmp / "out", copy)
    shard = copy / "train" / "shard-00002-of-00004.arrow"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert main(["verify", str(copy)]) == 1
    assert "train/shard-00002-of-00004.arrow" in capsys.readouterr().out
    (copy / "manifest.json").unlink()
    assert main(["inspect", str(copy)]) == 2


def test_same_config_gives_identical_shards_whatever_workers_and_file_order(built, tmp_path):
    tmp, path, cfg = built
    cfg2 = dict(cfg, output=str(tmp_path / "again"))
    cfg2["sources"] = list(reversed(cfg["sources"]))
    path2 = tmp_path / "reordered.yaml"
    path2.write_text(yaml.safe_dump(cfg2))
    assert main(["run", str(path2), "--", "--direct_running_mode=multi_processing", "--direct_num_workers=2"]) == 0
    a = json.load(open(tmp / "out" / "manifest.json"))
    b = json.load(open(tmp_path / "again" / "manifest.json"))
    assert a["splits"] == b["splits"]
    for block in a["splits"].values():
        for s in block["shards"]:
            assert (tmp / "out" / s["path"]).read_bytes() == (tmp_path / "again" / s["path"]).read_bytes()


def test_bad_config_exits_2_naming_the_key_before_any_work(tmp_path, capsys, sample_data, tokenizer_path):
    path, _ = write_config(tmp_path, sample_data, tokenizer_path)
    assert main(["run", str(path), "--set", "seq_len=0"]) == 2
    assert "seq_len" in capsys.readouterr().err
    assert main(["run", str(path), "--set", "tokenizer.eos=<nope>"]) == 2
    assert "tokenizer.eos" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_flood_of_unreadable_records_fails_the_run_without_a_manifest(tmp_path, capsys, tokenizer_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(["{oops\n"] * 8 + [json.dumps({"text": "fine"}) + "\n"] * 2))
    cfg = {"output": str(tmp_path / "out"), "seq_len": 16, "tokenizer": {"path": tokenizer_path},
           "sources": [{"name": "bad", "paths": [str(bad)]}], "max_error_fraction": 0.5}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["run", str(tmp_path / "c.yaml")]) == 1
    assert "8 of 10 records unreadable" in capsys.readouterr().err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_console_script_is_installed_and_prints_usage():
    exe = os.path.join(os.path.dirname(sys.executable), "tokenmill")
    res = subprocess.run([exe, "run"], capture_output=True, text=True)
    assert res.returncode == 2 and "config" in res.stderr


def test_shards_load_with_hugging_face_datasets(built):
    datasets = pytest.importorskip("datasets")
    tmp, _, _ = built
    m = json.load(open(tmp / "out" / "manifest.json"))
    files = [str(tmp / "out" / s["path"]) for s in m["splits"]["train"]["shards"]]
    ds = datasets.load_dataset("arrow", data_files=files, split="train", cache_dir=str(tmp / "hf-cache"))
    assert len(ds) == m["splits"]["train"]["rows"] and len(ds[0]["input_ids"]) == 257


def _jsonl_records(folder):
    for path in folder.glob("*/*.jsonl.gz"):
        for line in gzip.open(path, "rt", encoding="utf-8"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "text" in record:
                yield record


def test_only_decisions_and_counts_cross_the_shuffles_and_every_pass_is_timed(built):
    tmp, _, cfg = built
    report = json.load(open(tmp / "out" / "report.json"))
    shuffle = report["shuffle"]
    text_bytes = sum(len(d["text"].encode()) for d in _jsonl_records(tmp / "data"))
    assert shuffle["total"] == sum(v for k, v in shuffle.items() if k not in ("total", "input_bytes", "per_input_byte"))
    # documents and tokens never cross: what does is a small fraction of the text (well under 0.15 per byte)
    assert shuffle["total"] < 0.02 * text_bytes and shuffle["per_input_byte"] < 0.15
    assert {"read", "curate", "tokenize", "route", "write_shards"} <= set(report["cpu_seconds"])
    assert report["cpu_seconds"]["tokenize"] > 0
    assert not (tmp / "out" / ".tmp").exists()  # the spilled documents, tokens and keys are gone after the commit
