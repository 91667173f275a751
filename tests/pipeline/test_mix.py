"""The data mix through the real pipeline (tokenize pass histograms -> PlanMixFromHistograms ->
ChooseInWindows -> RouteCopies -> shards), on real documents of the sample corpus tokenized with the real
GPT-NeoX tokenizer: the copies in the shards are exactly those the pure modules choose, whatever the
input order; natural, rescaled, temperature and empty mixes; shortfalls and mix statement mistakes."""
import collections
import functools
import glob
import gzip
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from mixers.plan import plan_mix
from mixers.selection import bucket_of, select_copies
from mixers.weights import MixStatement, SourceWeight
from pipeline.config import MixConfig, SourceConfig, mix_statement
from pipeline.config_base import ConfigError
from pipeline.document import Document
from pipeline.run import RunFailed
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.mix import mix_hash
from pipeline.transforms.tokenize_pass import sparse_histogram
from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON
from tests.pipeline.shard_segments import eos_segments
from tests.pipeline.stage_runner import run_documents

# Source -> (files under examples/data, documents taken from each file). The math source keeps well
# over 2 x WINDOW_DOCS documents so that whole hash buckets are taken before the exact window.
SAMPLE = {"web": ("web/*.jsonl.gz", 60), "math": ("math/*.jsonl.gz", 700),
          "forum": ("forum/*.jsonl.gz", 150), "multilingual": ("multilingual/*.jsonl.gz", 60)}
LLAMA_WEIGHTS = {"web": 0.5, "math": 0.25, "forum": 0.17, "multilingual": 0.08}
SEQ_LEN = 512


@pytest.fixture(scope="module")
def corpus():
    docs = []
    for source, (pattern, per_file) in SAMPLE.items():
        for path in sorted(glob.glob(os.path.join(SAMPLE_DATA, pattern))):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                records = [json.loads(line) for _, line in zip(range(per_file), f)]
            docs += [Document(f"{os.path.basename(path)}:{r['id']}", source, r["text"]) for r in records]
    return docs


@pytest.fixture(scope="module")
def tokens(corpus):
    """id -> the document's tokens (EOS included), as the tokenize pass encodes them."""
    tok = DocumentTokenizer.from_file(TOKENIZER_JSON, "<|endoftext|>")
    return {d.id: t for d, t in zip(corpus, tok.encode_documents([d.text for d in corpus]))}


def settings(weights=None, max_repeats=None):
    """The `sources` entries' mix keys, in SAMPLE order (the config order)."""
    return {name: {k: v for k, v in (("weight", (weights or {}).get(name)),
                                     ("max_repeats", (max_repeats or {}).get(name))) if v is not None}
            for name in SAMPLE}


def mix_run(docs, tmp, name, seed, weights=None, max_repeats=None, **mix):
    return run_documents(docs, tmp, name=name, seed=seed, seq_len=SEQ_LEN, source_settings=settings(weights, max_repeats),
                         mix=mix)


def reference_copies(docs, tokens, weights, seed, **mix) -> dict[str, int]:
    """id -> copies, computed by the pure modules on one machine."""
    by_source = collections.defaultdict(list)
    for d in docs:
        by_source[d.source].append((mix_hash(seed, d.id), d.id, len(tokens[d.id])))
    plan = plan_mix(MixStatement([SourceWeight(n, weights.get(n)) for n in SAMPLE], **mix),
                    {s: sum(n for *_, n in v) for s, v in by_source.items()})
    out = {}
    for source, entries in by_source.items():
        p = plan.sources[source]
        out.update(select_copies(entries, p.whole_repeats, p.extra_tokens))
    return out


def shard_copies(run) -> tuple[collections.Counter, int]:
    """Token sequences (EOS excluded) of every whole document copy in the shards, and how many copies lost
    their EOS to the dropped partial last row of a shard."""
    manifest, found = eos_segments(Path(run.output))
    segments = collections.Counter(tuple(t) for split in found.values() for _, t in split)
    return segments, sum(block["dropped_tail_documents"] for block in manifest["splits"].values())


def check_copies(run, copies: dict[str, int], tokens) -> None:
    """The shards hold exactly `copies` of each document, but for the copies cut off with a shard's tail."""
    expected = collections.Counter()
    for doc_id, k in copies.items():
        if k:
            expected[tuple(tokens[doc_id][:-1].tolist())] += k
    segments, cut_off = shard_copies(run)
    assert not segments - expected
    assert sum((expected - segments).values()) == cut_off


@pytest.fixture(scope="module")
def weighted(corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mix-weighted")
    shuffled = list(corpus)
    random.Random(5).shuffle(shuffled)
    return [mix_run(corpus, tmp, "in-order", 7, LLAMA_WEIGHTS), mix_run(shuffled, tmp, "shuffled", 7, LLAMA_WEIGHTS)]


def test_four_source_mix_hits_every_target_within_half_a_point_whatever_the_input_order(corpus, tokens, weighted):
    expected = reference_copies(corpus, tokens, LLAMA_WEIGHTS, seed=7)
    assert expected != reference_copies(corpus, tokens, LLAMA_WEIGHTS, seed=8)  # the seed matters
    available = collections.Counter(d.source for d in corpus)
    for run in weighted:
        assert set(run.kept) == {d.id for d in corpus}
        table = run.report["mix"]
        assert set(table) == set(SAMPLE)  # report.json keys are sorted
        for source, row in table.items():
            assert row["available_documents"] == available[source]
            assert row["available_tokens"] == sum(len(tokens[d.id]) for d in corpus if d.source == source)
            assert row["target_fraction"] == pytest.approx(LLAMA_WEIGHTS[source])
            assert abs(row["realized_fraction"] - row["target_fraction"]) < 0.005
            assert row["repeats"] == pytest.approx(row["tokens_sampled"] / row["available_tokens"], abs=1e-6)  # rounded
            assert (row["documents_sampled"], row["tokens_sampled"]) == (row["documents"], row["tokens"])
            copies = {d.id: expected[d.id] for d in corpus if d.source == source}
            assert row["documents_sampled"] == sum(copies.values())
            assert row["tokens_sampled"] == sum(k * len(tokens[i]) for i, k in copies.items())
        assert table["math"]["repeats"] > 1 > table["multilingual"]["repeats"]  # both directions used
        check_copies(run, expected, tokens)
    assert weighted[0].report["mix"] == weighted[1].report["mix"]
    shards = [json.load(open(os.path.join(run.output, "manifest.json")))["splits"] for run in weighted]
    assert shards[0] == shards[1]  # the same rows in the same order: the shards' digests agree


def test_natural_mix_keeps_every_document_once(corpus, tokens, tmp_path):
    docs = corpus[::3]
    run = mix_run(docs, tmp_path, "natural", 3)
    for row in run.report["mix"].values():
        assert row["repeats"] == 1.0 and row["documents"] == row["available_documents"]
        assert row["realized_fraction"] == pytest.approx(row["target_fraction"])
    check_copies(run, {d.id: 1 for d in docs}, tokens)


def test_rescaled_and_temperature_mixes(corpus, tokens, tmp_path):
    corpus = corpus[::2]
    budget = 3 * sum(len(tokens[d.id]) for d in corpus)
    rescaled = mix_run(corpus, tmp_path, "rescaled", 1, LLAMA_WEIGHTS, {"web": 1.0},
                       total_tokens=budget, on_shortfall="rescale").report["mix"]
    web = rescaled["web"]
    assert web["tokens_sampled"] <= web["available_tokens"]  # max_repeats 1
    assert sum(row["tokens_sampled"] for row in rescaled.values()) < budget  # shrunk: web cannot supply half
    for row in rescaled.values():
        assert abs(row["realized_fraction"] - row["target_fraction"]) < 0.005

    tempered = mix_run(corpus, tmp_path, "tempered", 1, temperature=3.0).report["mix"]
    sizes = {s: row["available_tokens"] for s, row in tempered.items()}
    for row in tempered.values():
        assert abs(row["realized_fraction"] - row["target_fraction"]) < 0.005
    assert tempered[min(sizes, key=sizes.get)]["repeats"] > 1 > tempered[max(sizes, key=sizes.get)]["repeats"]
    total = sum(sizes.values())
    natural = {s: n / total for s, n in sizes.items()}
    assert max(row["target_fraction"] for row in tempered.values()) < max(natural.values())  # flatter


def test_a_mix_over_no_documents_is_refused_with_a_zero_row_per_source(corpus, tmp_path):
    empty = [Document(d.id, d.source, "   ") for d in corpus[::100]]  # every one rejected as empty
    assert {d.source for d in empty} == set(SAMPLE)
    with pytest.raises(RunFailed, match="the train split holds no row: no document reached it"):
        mix_run(empty, tmp_path, "empty", 3, temperature=2.0)
    out = tmp_path / "empty-out"
    assert not (out / "manifest.json").exists()
    refused = json.loads((out / ".tmp" / "report.json").read_text())  # the refused run's report
    assert set(refused["sources"]) == set(SAMPLE)
    assert all(s["kept"] == 0 and s["rejected"] == s["read"] > 0 for s in refused["sources"].values())


def test_a_shortfall_fails_the_run_naming_the_source(corpus, tmp_path):
    few = [d for k, d in enumerate(corpus) if k % 20 == 0]
    assert {d.source for d in few} == set(SAMPLE)
    with pytest.raises(RunFailed, match="source 'web' is short by [0-9,]+ tokens"):
        mix_run(few, tmp_path, "short", 1, LLAMA_WEIGHTS, {"web": 1.0}, total_tokens=10**8)
    assert not (tmp_path / "short-out" / "manifest.json").exists()


def test_a_mix_statement_mistake_is_refused_before_any_work(corpus, tmp_path):
    sources = [SourceConfig(name=name, paths=["unused"], weight={"web": 0.5}.get(name)) for name in SAMPLE]
    with pytest.raises(ValueError, match=r"sources\.1\.weight \(math\)"):
        mix_statement(sources, MixConfig())
    with pytest.raises(ConfigError, match=r"mix: .*sources\.1\.weight \(math\)"):
        mix_run(corpus[:50], tmp_path, "mistake", 1, {"web": 0.5})
    assert not (tmp_path / "mistake-out").exists()


@functools.lru_cache(maxsize=None)
def _hashes(n: int, seed: int) -> list[int]:
    return [mix_hash(seed, f"doc-{i}") for i in range(n)]


def test_sparse_histogram_counts_documents_and_tokens_per_hash_bucket():
    hashes = _hashes(500, 1) + [0, 1, (1 << 64) - 1]
    sizes = [(i % 7) + 1 for i in range(len(hashes))]
    used, docs, toks = sparse_histogram(hashes, sizes)
    assert list(used) == sorted(set(bucket_of(h) for h in hashes))
    dense = np.zeros((2, 1 << 16), dtype=np.int64)
    for h, n in zip(hashes, sizes):
        dense[0, bucket_of(h)] += 1
        dense[1, bucket_of(h)] += n
    assert docs.tolist() == dense[0, used].tolist() and toks.tolist() == dense[1, used].tolist()
    assert docs.dtype == np.int64 and toks.dtype == np.int64
    assert docs.sum() == len(hashes) and toks.sum() == sum(sizes)
    used, docs, toks = sparse_histogram([], [])
    assert len(used) == len(docs) == len(toks) == 0
