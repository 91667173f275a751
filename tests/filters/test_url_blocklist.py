"""URL blocklist: normalization, the user's domain lists, and datatrove's bundled lists."""
import pytest

from filters.url_blocklist import UrlBlocklist, normalize_domain, url_as_blocklist_entry
from tests.filters.conftest import doc


@pytest.mark.parametrize("url, normalized", [
    ("https://WWW.Example.COM:443/A/b/?q=1#frag", "www.example.com/A/b?q=1"),
    ("example.com", "example.com"),
    ("http://user:pw@Example.com.:8080/x/", "example.com:8080/x"),
    ("  HTTP://Example.com/  ", "example.com"),
    ("http://[2001:db8::1]:80/p", "[2001:db8::1]/p"),
    ("http://host:99999/x", "host/x"),
])
def test_url_as_blocklist_entry(url, normalized):
    assert url_as_blocklist_entry(url) == normalized


@pytest.mark.parametrize("entry, domain", [
    ("Example.COM.", "example.com"), ("https://Bad.example.org/path", "bad.example.org"), (" spam.net \n", "spam.net"),
])
def test_normalize_domain(entry, domain):
    assert normalize_domain(entry) == domain


def test_user_domains_from_list_and_file(tmp_path):
    listing = tmp_path / "blocked.txt"
    listing.write_text("# my list\nSpam.Example.NET\n\nsub.tracker.io\n  # indented comment\n")
    blocklist = UrlBlocklist(extra_domains=["https://Evil.COM/"], domains_file=str(listing), use_integrated_lists=False)
    cases = {
        "https://www.evil.com/page": "user_domain",
        "HTTP://EVIL.COM.": "user_domain",
        "http://spam.example.net/a": "user_domain",
        "http://deep.spam.example.net/a": "user_domain",
        "http://example.net/": None,  # only spam.example.net is listed
        "https://sub.tracker.io/x": "user_domain",
        "https://other.tracker.io/x": None,
        "https://good.org/evil.com": None,
        "https://evil.com.good.org/": None,
        "http://intranet.corp.local/x": None,
    }
    for url, reason in cases.items():
        assert blocklist(doc("text", url=url)).reason == reason, url


def test_user_domains_work_without_a_public_suffix():
    blocklist = UrlBlocklist(extra_domains=["corp.local"], use_integrated_lists=False)
    assert blocklist(doc("t", url="http://intranet.corp.local/x")).reason == "user_domain"


def test_documents_without_url_are_kept():
    assert UrlBlocklist(extra_domains=["evil.com"], use_integrated_lists=False)(doc("no url here")).keep


def test_missing_domains_file():
    with pytest.raises(FileNotFoundError, match="domains_file"):
        UrlBlocklist(domains_file="/no/such/list.txt")


def test_bundled_lists_and_banned_words():
    """Loads datatrove's bundled lists (~8 s, ~800 MB), once per process."""
    blocklist = UrlBlocklist()
    assert blocklist(doc("t", url="https://www.PornHub.com/view?x=1")).reason == "domain"
    assert blocklist(doc("t", url="https://en.wikipedia.org/wiki/Sex_education")).keep
    assert blocklist(doc("t", url="https://example.com/hardcore-porn-videos")).reason == "hard_blacklisted"
    assert blocklist(doc("t", url="https://example.com/news/today")).keep
