"""SMS segment counting as carriers (and Twilio's bill) see it: GSM-7 septets or UCS-2 units.

A multipart message is cut between user-perceived characters (Unicode extended grapheme
clusters), never inside one: a family emoji, a flag, a keycap or a thumbs-up with its skin tone
stays whole in one part, as Twilio's segmenting (and its segment calculator) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

# \X is UAX #29's extended grapheme cluster, from the regex package's Unicode tables (kept
# current with each Unicode release, unlike the standard library's re, which has no \X).
_GRAPHEME = regex.compile(r"\X", regex.DOTALL)

# GSM 03.38 / 3GPP TS 23.038 default alphabet, in code order 0x00-0x7F. 0x1B is the escape to
# the extension table, so it is not a character of its own (kept as a placeholder here).
_GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_GSM7_TABLE) == 128
GSM7_BASIC = frozenset(_GSM7_TABLE) - {"\x1b"}
# Extension table: each is sent as ESC + char, so it costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_MULTI = 160, 153  # a multipart part loses 7 septets to the UDH
UCS2_SINGLE, UCS2_MULTI = 70, 67  # a multipart part loses 3 UTF-16 units to the UDH


@dataclass(frozen=True)
class SegmentCount:
    """How a body is encoded and how many billed SMS segments it takes."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    chars_per_segment: int  # capacity in units of one segment at this length


def is_gsm7(body: str) -> bool:
    """True if every character is in the GSM-7 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body)


def graphemes(body: str) -> list[str]:
    """The body's user-perceived characters, each whole; CR LF counts as two, as Twilio's
    calculator counts it (a line break may end one part and the next part start)."""
    clusters: list[str] = []
    for cluster in _GRAPHEME.findall(body):
        if cluster == "\r\n":
            clusters += ["\r", "\n"]
        else:
            clusters.append(cluster)
    return clusters


def _gsm7_cost(cluster: str) -> int:
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in cluster)


def _ucs2_cost(cluster: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in cluster)  # astral: a surrogate pair


def _parts(costs: list[int], capacity: int) -> int:
    """Count parts by walking, so a character (an escape pair, a surrogate pair, a whole
    grapheme cluster) is never split across two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity and used:
            parts, used = parts + 1, 0
        while cost > capacity:  # a cluster longer than a part cannot stay whole: it spills
            parts, cost = parts + 1, cost - capacity
        used += cost
    return parts


def count_segments(body: str) -> SegmentCount:
    """Return the encoding, unit count and segment count of an SMS body."""
    clusters = graphemes(body)
    if is_gsm7(body):
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
        costs = [_gsm7_cost(c) for c in clusters]
        single, multi = GSM_SINGLE, GSM_MULTI
    else:
        encoding = "UCS-2"
        costs = [_ucs2_cost(c) for c in clusters]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    units = sum(costs)
    if units <= single:
        # An empty body is still billed by Twilio as one segment.
        return SegmentCount(encoding, units, 1, single)
    return SegmentCount(encoding, units, _parts(costs, multi), multi)
