"""URL normalization for URL deduplication (the survivor among documents sharing a URL is
`pipeline.dedup.keys.url_survivor_rank`).

Two URLs are the same page when they differ only in scheme or host case, a default port, a trailing
slash, a fragment, the escaping of unreserved characters, tracking parameters, or the order of the
remaining query parameters.
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}

# Query parameters that only say how a visitor arrived, never which page it is.
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "rb_clickid", "s_cid",
})

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalize_escapes(part: str) -> str:
    """RFC 3986 6.2.2: decode escaped unreserved characters, upper-case the hex of the others."""

    def fix(m: re.Match) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else "%" + m.group(1).upper()

    return _ESCAPE.sub(fix, part)


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def url_dedup_key(url: Optional[str]) -> Optional[str]:
    """The dedup key of a URL, or None for a missing or blank one. A string without a host (not a
    URL we can parse) is its own key, stripped."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number: compare the raw string
        return url
    if not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = _normalize_escapes(parts.path) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query = urlencode(sorted(query_pairs), quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))

