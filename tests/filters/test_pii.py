"""PII redaction: what is replaced, what only looks like PII and stays, and the counts per kind."""
import pytest

from filters.pii import PiiRedaction
from tests.filters.conftest import doc

CASES = [
    # e-mail
    ("write to john.doe@example.com today", "write to <EMAIL> today", {"email": 1}),
    ("a+tag@mail.co.uk, b_c@sub.example.org.", "<EMAIL>, <EMAIL>.", {"email": 2}),
    ("not an address: @handle or user@ or a@b", "not an address: @handle or user@ or a@b", {}),
    # IPv4
    ("server 8.8.8.8 answered", "server <IP> answered", {"ip": 1}),
    ("a bare 1.2.3.4 is an address", "a bare <IP> is an address", {"ip": 1}),
    ("private 10.0.0.1, 192.168.1.1, 127.0.0.1 stay", "private 10.0.0.1, 192.168.1.1, 127.0.0.1 stay", {}),
    ("version 1.2.3.4 and Version: 2.0.1.5", "version 1.2.3.4 and Version: 2.0.1.5", {}),
    ("v1.2.3.4, release 4.3.2.1, build 5.6.7.8", "v1.2.3.4, release 4.3.2.1, build 5.6.7.8", {}),
    ("section 1.2.3.4.5 and 300.1.1.1", "section 1.2.3.4.5 and 300.1.1.1", {}),
    ("at 8.8.4.4.", "at <IP>.", {"ip": 1}),
    # IPv6
    ("host 2001:4860:4860::8888 up", "host <IP> up", {"ip": 1}),
    ("loopback ::1 and link fe80::1 stay", "loopback ::1 and link fe80::1 stay", {}),
    ("time 12:30:45, std::vector, a::b", "time 12:30:45, std::vector, a::b", {}),
    # phone
    ("call (555) 123-4567 now", "call <PHONE> now", {"phone": 1}),
    ("555-123-4567 or 555.123.4567 or 1-555-123-4567", "<PHONE> or <PHONE> or <PHONE>", {"phone": 3}),
    ("+44 20 7946 0958 and +1 (555) 123-4567.", "<PHONE> and <PHONE>.", {"phone": 2}),
    ("dates 2021-03-15, 15.03.2021, 03/15/2021", "dates 2021-03-15, 15.03.2021, 03/15/2021", {}),
    ("ISBN 978-0-306-40615-7 and 0-306-40615-2", "ISBN 978-0-306-40615-7 and 0-306-40615-2", {}),
    ("ssn-shaped 123-45-6789, pi 3.14159, 1234567890", "ssn-shaped 123-45-6789, pi 3.14159, 1234567890", {}),
    ("years 1990-1995 and 2000 - 2010", "years 1990-1995 and 2000 - 2010", {}),
    # all kinds together
    ("mail a@example.com from 8.8.8.8 or +1 555 123 4567", "mail <EMAIL> from <IP> or <PHONE>",
     {"email": 1, "ip": 1, "phone": 1}),
]


@pytest.mark.parametrize("text, redacted, counts", CASES)
def test_redaction(text, redacted, counts):
    d = PiiRedaction()(doc(text))
    assert d.keep
    assert (d.text if d.text is not None else text) == redacted
    assert dict(d.counts) == counts


def test_kinds_can_be_switched_off():
    text = "mail a@example.com from 8.8.8.8 or 555-123-4567"
    assert PiiRedaction(emails=False, phones=False).redact(text) == ("mail a@example.com from <IP> or 555-123-4567", {"ip": 1})
    assert PiiRedaction(only_public_ips=False).redact("lan 192.168.1.1")[0] == "lan <IP>"


def test_nothing_found_leaves_the_text_alone():
    d = PiiRedaction()(doc("nothing personal here"))
    assert d.keep and d.text is None and not d.counts
