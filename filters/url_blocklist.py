"""URL and domain blocklists: datatrove's URLFilter (its bundled adult/malware/... domain and URL lists,
banned words and sub-words) plus the user's own domains (`extra_domains`, `domains_file`, one per line,
`#` comments). A URL is put in the lists' form (`url_as_blocklist_entry`) before matching; documents
without a URL are kept.

A user domain blocks that host and every host under it (`evil.com` blocks `www.evil.com` and
`a.b.evil.com`), with the reason `user_domain`; it works for any host, also those whose suffix is not
on the Public Suffix List. The bundled lists keep datatrove's reasons: `domain`, `subdomain`, `url`,
`hard_blacklisted`, `soft_blacklisted`, `blacklisted_subword`.

Memory: the bundled lists hold ~4.5 million domains (~800 MB in Python sets, ~8 s to load); they are
loaded once per process per configuration and shared by every thread. `use_integrated_lists: false`
keeps only the user's lists.
"""
from __future__ import annotations

import os
import threading
from typing import Optional
from urllib.parse import urlsplit, urlunsplit

from filters.base import KEEP, Decision, Filter, drop
from pipeline.document import Document, Evidence

_loaded: dict[tuple, object] = {}
_lock = threading.Lock()


def url_as_blocklist_entry(url: str) -> str:
    """`host[:port]/path[?query]`, the form of datatrove's URL blocklist entries: no scheme, user info,
    default port, fragment or trailing slash; host lower-cased without a trailing dot. Path and query
    keep their case (they are case-sensitive)."""
    url = url.strip()
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a malformed port is no part of the host
        port = None
    netloc = f"{host}:{port}" if port not in (None, 80, 443) else host
    return urlunsplit(("", netloc, parts.path.rstrip("/"), parts.query, "")).removeprefix("//")


def normalize_domain(entry: str) -> str:
    """A domain as the blocklist stores it: `Example.COM.`, `https://example.com/x` -> `example.com`."""
    entry = entry.strip()
    return (urlsplit(entry if "://" in entry else "http://" + entry).hostname or "").rstrip(".")


def read_domains_file(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


def host_and_parents(normalized_url: str) -> list[str]:
    """`a.b.example.com/x` -> [a.b.example.com, b.example.com, example.com, com]."""
    host = normalized_url.split("/", 1)[0].rsplit(":", 1)[0] if not normalized_url.startswith("[") else ""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))] if host else []


def _build_url_filter(soft_word_threshold: int, use_integrated_lists: bool):
    from datatrove.pipeline.filters import URLFilter
    from tldextract import TLDExtract

    url_filter = URLFilter(soft_word_threshold=soft_word_threshold, use_integrated_lists=use_integrated_lists)
    # The bundled Public Suffix List snapshot: the default extractor would try to download a fresh one.
    url_filter.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None)
    url_filter.download_data()
    return url_filter


class UrlBlocklist(Filter):
    name = "url_blocklist_v1"
    params = {
        "extra_domains": Optional[list[str]],
        "domains_file": Optional[str],
        "soft_word_threshold": int,
        "use_integrated_lists": bool,
    }

    def __init__(self, extra_domains: Optional[list[str]] = None, domains_file: Optional[str] = None,
                 soft_word_threshold: int = 2, use_integrated_lists: bool = True):
        if domains_file is not None and not os.path.isfile(domains_file):
            raise FileNotFoundError(f"domains_file not found: {domains_file}")
        if soft_word_threshold < 1:
            raise ValueError(f"soft_word_threshold must be at least 1, got {soft_word_threshold}")
        self.extra_domains = list(extra_domains or [])
        self.domains_file = domains_file
        self.soft_word_threshold = soft_word_threshold
        self.use_integrated_lists = use_integrated_lists
        self._filter = None
        self._user_domains: frozenset[str] = frozenset()

    def setup(self) -> None:
        if self._filter is not None:
            return
        domains = self.extra_domains + (read_domains_file(self.domains_file) if self.domains_file else [])
        self._user_domains = frozenset(normalize_domain(d) for d in domains) - {""}
        key = (self.soft_word_threshold, self.use_integrated_lists)
        with _lock:
            if key not in _loaded:
                _loaded[key] = _build_url_filter(*key)
            self._filter = _loaded[key]

    def __call__(self, doc: Document) -> Decision:
        if not doc.url:
            return KEEP
        self.setup()
        url = url_as_blocklist_entry(doc.url)
        blocked = [host for host in host_and_parents(url) if host in self._user_domains]
        if blocked:
            return drop("user_domain", evidence=_host_evidence(doc.url, blocked[0], "user domain"))
        from datatrove.data import Document as DatatroveDocument

        result = self._filter.filter(DatatroveDocument(text="", id=doc.id, metadata={"url": url}))
        if result is True:
            return KEEP
        reason = result[1]
        found = None
        if reason in ("domain", "subdomain"):  # only on a drop: one more suffix-list lookup
            parts = self._filter.tldextractor(url)
            found = parts.registered_domain if reason == "domain" else parts.fqdn
        return drop(reason, evidence=_host_evidence(doc.url, found, "listed " + reason) if found else None)


def _host_evidence(url: str, host: str, what: str) -> Evidence:
    start = url.lower().find(host)
    return Evidence(note=f"{what} {host}", url_spans=((start, start + len(host)),) if start >= 0 else ())
