import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup.urls import is_tracking_param, url_dedup_key


@pytest.mark.parametrize("a, b", [
    ("HTTP://Example.COM/a/b", "http://example.com/a/b"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?utm_source=x&id=7&fbclid=abc&gclid=1&UTM_Medium=m", "https://example.com/a?id=7"),
    ("https://example.com/%7euser/%41", "https://example.com/~user/A"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
])
def test_equivalent_urls_share_a_key(a, b):
    assert url_dedup_key(a) == url_dedup_key(b)


@pytest.mark.parametrize("a, b", [
    ("http://example.com/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com/a"),
    ("https://example.com/A", "https://example.com/a"),
    ("https://example.com/a?id=1", "https://example.com/a?id=2"),
    ("https://example.com/a?id=1", "https://example.com/a"),
    ("https://example.com/a", "https://example.org/a"),
])
def test_different_pages_keep_different_keys(a, b):
    assert url_dedup_key(a) != url_dedup_key(b)


def test_normalized_form():
    url = "HTTPS://Docs.Python.org:443/3/library/?utm_campaign=x&b=2&a=1#top"
    assert url_dedup_key(url) == "https://docs.python.org/3/library?a=1&b=2"
    assert url_dedup_key(url_dedup_key(url)) == url_dedup_key(url)


def test_missing_and_unparseable_urls():
    assert url_dedup_key(None) is None
    assert url_dedup_key("   ") is None
    assert url_dedup_key("not a url") == "not a url"
    assert url_dedup_key("http://example.com:notaport/x") == "http://example.com:notaport/x"


def test_tracking_params():
    assert is_tracking_param("utm_term") and is_tracking_param("FBCLID") and is_tracking_param("msclkid")
    assert not is_tracking_param("id") and not is_tracking_param("page")


_word = st.text("abcXYZ019-._~%", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(host=st.text("abcdefXYZ", min_size=1, max_size=8), path=st.lists(_word, max_size=4),
       params=st.lists(st.tuples(st.text("abcdef", min_size=1, max_size=4), _word), max_size=4, unique_by=lambda kv: kv[0]),
       tracking=st.lists(st.sampled_from(["utm_source", "utm_medium", "fbclid", "gclid", "msclkid"]), max_size=3),
       data=st.data())
def test_normalization_is_idempotent_and_ignores_order_and_tracking(host, path, params, tracking, data):
    base = f"https://{host}.org/" + "/".join(path)
    query = [f"{k}={v}" for k, v in params]
    key = url_dedup_key(base + ("?" + "&".join(query) if query else ""))
    assert url_dedup_key(key) == key
    shuffled = data.draw(st.permutations(query + [f"{t}=x" for t in tracking]))
    variant = f"HTTPS://{host.upper()}.ORG:443/" + "/".join(path) + ("?" + "&".join(shuffled) if shuffled else "")
    assert url_dedup_key(variant + "#frag") == key
