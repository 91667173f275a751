import numpy as np

from pipeline.dedup.shingles import jaccard, normalize_for_near_dedup, shingle_hashes, word_shingles


def test_normalization_removes_case_accents_punctuation_digits_and_spacing():
    assert normalize_for_near_dedup("Café,  RÉSUMÉ!\n2024 — año_1") == "cafe resume 0000 ano 0"


def test_word_shingles():
    assert word_shingles("a b c d", 2) == {"a b", "b c", "c d"}
    assert word_shingles("A, b. C!", 3) == {"a b c"}
    assert word_shingles("only two", 5) == {"only two"}
    assert word_shingles("  ... ", 5) == set()


def test_formatting_changes_keep_every_shingle():
    text = "The quick brown fox jumps over the lazy dog near 12 rivers."
    assert word_shingles(text, 3) == word_shingles("the QUICK brown fox,\n jumps over  the lazy dog near 99 rivers", 3)


def test_shingle_hashes_are_distinct_sorted_and_stable():
    text = "one two three one two three one two three"
    h = shingle_hashes(text, 3)
    assert h.dtype == np.uint64
    assert len(h) == len(word_shingles(text, 3)) == 3
    assert np.all(np.diff(h.astype(np.float64)) > 0)
    assert np.array_equal(h, shingle_hashes(text, 3))
    assert shingle_hashes("", 3).size == 0


def test_jaccard():
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard(set(), set()) == 1.0
