"""The registry: versioned names and aliases, parameter checks with clear messages, cheap validation."""
import pytest

from filters.heuristics import GopherQuality
from filters.registry import ALIASES, FILTERS, build_chain, build_filter, validate_filter_spec

CONTRACT_NAMES = ["gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality", "language",
                  "fasttext_quality", "url_blocklist", "pii"]


def test_contract_names_alias_versioned_filters():
    for name in CONTRACT_NAMES:
        assert ALIASES[name] in FILTERS and ALIASES[name].endswith("_v1")
    assert all(name.rsplit("_v", 1)[1].isdigit() for name in FILTERS)


def test_aliases_and_versioned_names_build_the_same_filter():
    assert type(build_filter({"name": "gopher_quality"})) is type(build_filter({"name": "gopher_quality_v1"})) is GopherQuality


@pytest.mark.parametrize("spec, error, message", [
    ({"name": "gopher_quality", "min_wrds": 3}, ValueError, "gopher_quality: unknown parameter 'min_wrds'"),
    ({"name": "gopher_quality", "min_doc_words": "fifty"}, ValueError, "gopher_quality: parameter 'min_doc_words'"),
    ({"name": "no_such_filter"}, ValueError, "unknown filter 'no_such_filter'"),
    ({"min_doc_words": 3}, ValueError, "needs a 'name'"),
    ("gopher_quality", ValueError, "must be a mapping"),
    ({"name": "fasttext_quality"}, ValueError, "fasttext_quality: missing required parameter 'model'"),
    ({"name": "fasttext_quality", "model": "/no/such/model.bin"}, FileNotFoundError, "fasttext_quality: model file not found"),
    ({"name": "url_blocklist", "domains_file": "/no/such/list"}, FileNotFoundError, "url_blocklist: domains_file not found"),
    ({"name": "language", "languages": ["xx"]}, ValueError, "language: lid.176.ftz does not know"),
    ({"name": "language", "threshold": 2}, ValueError, "language: threshold must be between 0 and 1"),
    ({"name": "c4_quality", "language": "klingon"}, ValueError, "c4_quality: no word tokenizer for language 'klingon'"),
    ({"name": "doc_length", "min_chars": 10, "max_chars": 5}, ValueError, "doc_length: min_chars (10) is larger"),
    ({"name": "pii", "emails": "maybe"}, ValueError, "pii: parameter 'emails'"),
])
def test_bad_specs_name_the_problem(spec, error, message):
    with pytest.raises(error) as info:
        validate_filter_spec(spec)
    assert message in str(info.value)


def test_yaml_lists_become_the_tuples_datatrove_expects():
    f = build_filter({"name": "gopher_repetition", "top_n_grams": [[2, 0.3], [3, 0.2]]})
    assert f._filter.top_n_grams == ((2, 0.3), (3, 0.2))


def test_validation_does_not_load_the_blocklists():
    import filters.url_blocklist as url_module

    before = dict(url_module._loaded)
    validate_filter_spec({"name": "url_blocklist", "extra_domains": ["a-new-domain-for-this-test.com"]})
    assert url_module._loaded == before


def test_build_chain_keeps_order():
    chain = build_chain([{"name": "pii"}, {"name": "doc_length", "min_chars": 1}, {"name": "gopher_quality"}])
    assert [f.name for f in chain] == ["pii_v1", "doc_length_v1", "gopher_quality_v1"]
