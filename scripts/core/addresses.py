"""E-mail addresses: how they are found wherever a string could carry one, and kept out of messages.

Text is compared after NFKC normalization, so the full-width and small commercial ats (＠, ﹫) count as
"@". An address is anything of the shape local@domain: a quoted or bare local part, and a domain of any
letters (internationalized ones too) or an IP literal in brackets. The stand-ins of restored annotators
(annotator-N@annotators.invalid, a reserved domain) are no one's address and do not count. The published one-line strings may
hold no "@" of any form at all (scripts/core/export_model.py), so none can carry an address.
"""
from __future__ import annotations

import re
import unicodedata

_LOCAL = r'(?:"[^"\n]{1,64}"|[^\s@<>()\[\],;:"\'`]{1,64})'
_LABEL = r'[^\s@<>()\[\],;:"\'`.]{1,63}'
EMAIL = re.compile(rf"{_LOCAL}@(?:\[[^\]\s]{{1,64}}\]|(?:{_LABEL}\.){{1,8}}{_LABEL}|localhost\b)")
# Bytes that may spell an "@" in JSON: itself, the full-width and small ats (raw UTF-8), or any escape of them.
AT_BYTES = re.compile(rb"@|\xef\xbc\xa0|\xef\xb9\xab|\\u(?:0040|ff20|fe6b)", re.IGNORECASE)
RESERVED_DOMAIN = "annotators.invalid"  # the restored annotators' stand-in addresses (scripts/annotate/restore.py): no one's
RESERVED = "@" + RESERVED_DOMAIN
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]")


def normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text) if any(ord(c) > 127 for c in text) else text


def addresses_in(text: str) -> list[str]:
    """The e-mail addresses in a text, looked for only around each "@" (fast on a 100 MB export)."""
    text = normalized(text)
    found, at = [], text.find("@")
    while at != -1:
        start = max(0, at - 70)
        match = next((m for m in EMAIL.finditer(text, start, at + 600) if m.start() <= at < m.end()), None)
        if match and not match.group().lower().endswith(RESERVED):
            found.append(match.group())
        at = text.find("@", at + 1)
    return found


def may_hold_one(raw: bytes) -> bool:
    """Whether JSON bytes could spell an "@" at all (most tasks cannot: nothing to look for)."""
    return AT_BYTES.search(raw) is not None


def safe(message: str) -> str:
    """A message fit for a terminal and a log: addresses and control characters never echoed."""
    message = EMAIL.sub("<an e-mail address>", normalized(message))
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", message)
