from collections import Counter

from pipeline.dedup.lines import line_counts, line_key, normalize_line, remove_lines, too_short

from .real_docs import pydocs


def test_normalize_line_keeps_digits_and_punctuation():
    assert normalize_line("  Accept   ALL Cookies\t") == "accept all cookies"
    assert line_key("#### 18") != line_key("#### 72")
    assert line_key("Accept all cookies") == line_key(" accept ALL  cookies ")
    assert line_key("   ") is None


def test_line_counts_count_each_occurrence_and_skip_blank_lines():
    counts = line_counts("Menu\nHome\n\nMenu\r\nbody text\n  \nmenu")
    assert counts == Counter({line_key("menu"): 3, line_key("home"): 1, line_key("body text"): 1})


def test_remove_lines_keeps_the_other_lines_and_their_endings():
    text = "Menu\r\nFirst paragraph.\n\nMENU\nSecond paragraph.\nFooter"
    new, lines, chars = remove_lines(text, {line_key("menu"), line_key("footer")})
    assert new == "First paragraph.\n\nSecond paragraph.\n"
    assert (lines, chars) == (3, len(text) - len(new))
    assert remove_lines(text, set()) == (text, 0, 0)


def test_navigation_boilerplate_of_real_pages_is_what_repeats():
    docs = pydocs()
    total = Counter()
    for d in docs:
        total.update(line_counts(d.text))
    frequent = {k for k, c in total.items() if c > 6}
    assert {line_key("Navigation"), line_key("Report a Bug"), line_key("Show Source")} <= frequent
    for d in docs[:20]:
        new, lines, chars = remove_lines(d.text, frequent)
        assert len(d.text) - len(new) == chars and 0 < lines
        assert all(line_key(line) not in frequent for line in new.splitlines())


def test_too_short():
    assert too_short(" \n ", 1) and not too_short(" x ", 1) and not too_short("", 0)


def test_the_evidence_of_a_document_left_too_short_is_its_frequent_lines():
    from pipeline.dedup.lines import line_key, removed_lines_evidence

    text = "Home | About\nreal content\nHome  |  about\n"
    evidence = removed_lines_evidence(text, {line_key("home | about")})
    assert [text[s:e] for s, e in evidence.spans] == ["Home | About", "Home  |  about"]
