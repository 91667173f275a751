"""PII redaction, a formatter: e-mail addresses, IP addresses and phone numbers become `<EMAIL>`, `<IP>` and
`<PHONE>`; the document is never dropped, and the replacements are counted per kind.

What counts as PII (and what deliberately does not):
* e-mail: datatrove's PIIFormatter pattern (RFC 5322-like local part, dotted domain or bracketed IP).
* IPv4: datatrove's dotted-quad pattern, but not inside a longer dotted number (`1.2.3.4.5`), not
  right after a version word (`version 1.2.3.4`, `v1.2.3.4`, `release`, `build`, `rev`), and, like
  datatrove by default, only globally routable addresses (`10.0.0.1`, `127.0.0.1`, `192.168.1.1`
  identify nobody and stay). A bare `1.2.3.4` in running text is an address and is replaced.
* IPv6: colon-hex runs that `ipaddress` accepts, with at least three groups (so `a::b` in code and
  `12:30:45` times stay), globally routable only.
* phone: `+` and a country code followed by 7-14 more digits in groups (`+44 20 7946 0958`,
  `+1 (555) 123-4567`), or North-American `(555) 123-4567` / `555-123-4567` / `555.123.4567`. Dates
  (`2021-03-15`, `15.03.2021`), ISBNs (`978-0-306-40615-7`), SSN-shaped `123-45-6789`, and plain
  digit runs do not have these group shapes and stay.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Callable

from datatrove.pipeline.formatters.pii import PIIFormatter

from filters.base import KEEP, Decision, Filter
from pipeline.document import Document

_DATATROVE = PIIFormatter()
EMAIL = _DATATROVE.emails_replacer.regex
IPV4 = re.compile(r"(?<![\w.])(?:" + _DATATROVE.ip_replacer.regex.pattern + r")(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:]|\.\w)")
PHONE = re.compile(
    r"(?<![\w+.-])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}"  # international
    r"|(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"  # North American
    r")(?![\w]|[.-]\d)"
)
_VERSION_CONTEXT = re.compile(r"(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\brev(?:ision)?)\s*[:#]?\s*$", re.I)

PLACEHOLDERS = {"email": "<EMAIL>", "ip": "<IP>", "phone": "<PHONE>"}


def _ip_is_pii(address: str, only_public: bool) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and sum(1 for group in address.split(":") if group) < 3:
        return False
    return ip.is_global or not only_public


def _phone_is_pii(number: str) -> bool:
    digits = sum(c.isdigit() for c in number)
    return 10 <= digits <= 15 if number.startswith("+") else digits in (10, 11)


def _replace(text: str, pattern: re.Pattern, placeholder: str, is_pii: Callable[[re.Match], bool]) -> tuple[str, int]:
    count = 0

    def substitute(m: re.Match) -> str:
        nonlocal count
        if not is_pii(m):
            return m.group(0)
        count += 1
        return placeholder

    return pattern.sub(substitute, text), count


class PiiRedaction(Filter):
    name = "pii_v1"
    params = {"emails": bool, "ips": bool, "phones": bool, "only_public_ips": bool}

    def __init__(self, emails: bool = True, ips: bool = True, phones: bool = True, only_public_ips: bool = True):
        self.emails, self.ips, self.phones, self.only_public_ips = emails, ips, phones, only_public_ips

    def _ipv4_is_pii(self, m: re.Match) -> bool:
        before = m.string[max(0, m.start() - 24):m.start()]
        return not _VERSION_CONTEXT.search(before) and _ip_is_pii(m.group(0), self.only_public_ips)

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        # E-mails first: a bracketed IP is part of an address; IPs before phones: a dotted quad is no phone.
        steps: list[tuple[str, re.Pattern, Callable[[re.Match], bool]]] = []
        if self.emails:
            steps.append(("email", EMAIL, lambda m: True))
        if self.ips:
            steps.append(("ip", IPV4, self._ipv4_is_pii))
            steps.append(("ip", IPV6, lambda m: _ip_is_pii(m.group(0), self.only_public_ips)))
        if self.phones:
            steps.append(("phone", PHONE, lambda m: _phone_is_pii(m.group(0))))
        for kind, pattern, is_pii in steps:
            text, n = _replace(text, pattern, PLACEHOLDERS[kind], is_pii)
            if n:
                counts[kind] = counts.get(kind, 0) + n
        return text, counts

    def __call__(self, doc: Document) -> Decision:
        text, counts = self.redact(doc.text)
        return Decision(keep=True, text=text, counts=counts) if counts else KEEP
