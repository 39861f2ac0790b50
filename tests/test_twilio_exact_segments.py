"""Segment counts as Twilio bills them: a multipart SMS is cut between grapheme clusters, so a
family emoji, a flag, a keycap or a thumbs-up with its skin tone is never split across parts.

Every UCS-2 case of interest sits at the 67-unit part boundary (70 for a single part), with
Chinese text around the emoji as a worker's or volunteer's message would have it.
"""

from __future__ import annotations

import pytest

from notifications.segments import count_segments, graphemes

FAMILY = "👨‍👩‍👧"  # man ZWJ woman ZWJ girl: 8 UTF-16 units, one character on screen
FLAG = "🇨🇳"  # two regional indicators: 4 units
KEYCAP = "1️⃣"  # digit, variation selector 16, combining enclosing keycap: 3 units
THUMBS = "👍🏽"  # thumbs up with a medium skin tone: 4 units
ZH = "工"  # any one-unit Chinese character

CASES = [
    # (body, encoding, units, segments)
    # GSM-7, with extension characters costing two septets (an escape and the character).
    ("Your case 1024 is with a volunteer now.", "GSM-7", 39, 1),
    ("Wage owed: 3000€ [May] ~ {June}", "GSM-7", 37, 1),
    ("a" * 158 + "€", "GSM-7", 160, 1),
    ("a" * 159 + "€", "GSM-7", 161, 2),
    ("a" * 152 + "^" + "a" * 152, "GSM-7", 306, 3),  # the escape pair never straddles parts
    # A CR LF line break is two characters to Twilio: the part may end between them.
    ("a" * 152 + "\r\n" + "a" * 152, "GSM-7", 306, 2),
    # UCS-2: one part holds 70 units, each part of a longer message 67.
    ("您的案件1024已有志愿者跟进" + THUMBS, "UCS-2", 19, 1),
    (ZH * 66 + THUMBS, "UCS-2", 70, 1),
    (ZH * 67 + THUMBS, "UCS-2", 71, 2),
    (ZH * 62 + FAMILY, "UCS-2", 70, 1),
    (ZH * 63 + FAMILY, "UCS-2", 71, 2),
    (ZH * 63 + THUMBS + ZH * 3, "UCS-2", 70, 1),
    # 134 units fit two parts only if a part may end inside the emoji; it may not.
    (ZH * 64 + FAMILY + ZH * 62, "UCS-2", 134, 3),
    (ZH * 65 + FLAG + ZH * 65, "UCS-2", 134, 3),
    (ZH * 65 + KEYCAP + ZH * 66, "UCS-2", 134, 3),
    (ZH * 65 + THUMBS + ZH * 65, "UCS-2", 134, 3),
    # The same emoji placed so that it ends a part exactly: two parts.
    (ZH * 59 + FAMILY + ZH * 67, "UCS-2", 134, 2),
    (ZH * 63 + FLAG + ZH * 67, "UCS-2", 134, 2),
    (ZH * 64 + KEYCAP + ZH * 67, "UCS-2", 134, 2),
    (ZH * 63 + THUMBS + ZH * 67, "UCS-2", 134, 2),
    # Emoji only: 17 families (136 units) need 3 parts of 67, cut between families.
    (FAMILY * 8 + FAMILY * 8, "UCS-2", 128, 2),
    (FAMILY * 17, "UCS-2", 136, 3),
    # Two flags side by side are two characters: a part may end between them.
    (ZH * 63 + FLAG + FLAG + ZH * 63, "UCS-2", 134, 2),
]


@pytest.mark.parametrize(("body", "encoding", "units", "segments"), CASES)
def test_segments_as_twilio_counts_them(body: str, encoding: str, units: int,
                                        segments: int) -> None:
    result = count_segments(body)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


@pytest.mark.parametrize(("text", "clusters"), [
    (FAMILY, [FAMILY]),
    (FLAG + FLAG, [FLAG, FLAG]),
    (KEYCAP + "号", [KEYCAP, "号"]),
    ("好" + THUMBS, ["好", THUMBS]),
    ("a\r\nb", ["a", "\r", "\n", "b"]),
    ("e\u0301", ["e\u0301"]),  # a letter and its combining accent are one character
])
def test_grapheme_clusters(text: str, clusters: list[str]) -> None:
    assert graphemes(text) == clusters
