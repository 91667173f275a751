"""A small run whose report has every kind of sample: filter drops with evidence, exact and near
duplicates, kept documents, text with markup; shared by the report tests (tests/pipeline/conftest.py)."""
import dataclasses

from pipeline.document import Document
from tests.pipeline.dedup.real_docs import replace_words, speeches
from tests.pipeline.stage_runner import run_documents

SEED, K, KEPT_K, EXCERPT = 1234, 2, 2, 300
FILTERS = [{"name": "doc_length", "min_chars": 40}, {"name": "gopher_repetition"}]


def _corpus():
    prose = speeches(400)[:8]
    a, b = prose[0], prose[1]
    near = [dataclasses.replace(a, id=a.id + f"~copy{i}", text=replace_words(a.text, 0.01, i)) for i in (1, 2, 3)]
    near.append(dataclasses.replace(b, id=b.id + "~copy", text=replace_words(b.text, 0.01, 9)))
    exact = [dataclasses.replace(prose[2], id=prose[2].id + "~same")]
    spam = [Document(f"spam-{i}", "forum", f"intro {i}. " + "buy cheap pills now " * (30 + i) + f" end {i}.")
            for i in range(7)]
    tiny = [Document(f"tiny-{i}", "forum", f"ok {i}") for i in range(3)]
    chat = [Document(f"chat-{i}", "forum", f"<b>&amp; {i}</b> " + " ".join(d.text.split()[:120])) for i, d in
            enumerate(speeches(400)[8:14])]
    return prose + near + exact + spam + tiny + chat


def report_run(tmp):
    return run_documents(_corpus(), tmp, name="report", seed=SEED, filters=FILTERS,
                         dedup={"exact": True, "near": True},
                         report={"samples": K, "kept_samples": KEPT_K, "excerpt_chars": EXCERPT})
