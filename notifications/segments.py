"""SMS segment counting as carriers (and Twilio's bill) see it: GSM-7 septets or UCS-2 units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


def _parts(costs: list[int], capacity: int) -> int:
    """Count parts by walking, so a multi-unit character is never split across two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts, used = parts + 1, 0
        used += cost
    return parts


def count_segments(body: str) -> SegmentCount:
    """Return the encoding, unit count and segment count of an SMS body."""
    if is_gsm7(body):
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in body]
        single, multi = GSM_SINGLE, GSM_MULTI
    else:
        encoding = "UCS-2"
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in body]  # astral chars are surrogate pairs
        single, multi = UCS2_SINGLE, UCS2_MULTI
    units = sum(costs)
    if units <= single:
        # An empty body is still billed by Twilio as one segment.
        return SegmentCount(encoding, units, 1, single)
    return SegmentCount(encoding, units, _parts(costs, multi), multi)
