"""Segment counting: a table of known cases plus property tests."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SegmentCount,
    count_segments,
    graphemes,
    is_gsm7,
)

CASES = [
    # (body, encoding, units, segments)
    ("", "GSM-7", 0, 1),
    ("hello", "GSM-7", 5, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("a" * 459, "GSM-7", 459, 3),
    ("a" * 460, "GSM-7", 460, 4),
    ("€" * 80, "GSM-7", 160, 1),
    ("€" * 81, "GSM-7", 162, 2),
    ("a" * 159 + "€", "GSM-7", 161, 2),
    ("a" * 158 + "{", "GSM-7", 160, 1),
    # 152 septets then an escape pair: the pair must not straddle parts 1 and 2.
    ("a" * 152 + "[" + "a" * 152, "GSM-7", 306, 3),
    ("a" * 151 + "[" + "a" * 153, "GSM-7", 306, 2),
    ("^{}\\[~]|€\f", "GSM-7", 20, 1),
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\r\n", "GSM-7", 44, 1),
    # Not in GSM-7: lowercase ç, á, í, straight accents used in Spanish/Portuguese.
    ("ç", "UCS-2", 1, 1),
    ("Olá, você está bem?", "UCS-2", 19, 1),
    ("中" * 70, "UCS-2", 70, 1),
    ("中" * 71, "UCS-2", 71, 2),
    ("中" * 134, "UCS-2", 134, 2),
    ("中" * 135, "UCS-2", 135, 3),
    ("😀", "UCS-2", 2, 1),
    ("😀" * 35, "UCS-2", 70, 1),
    ("😀" * 36, "UCS-2", 72, 2),
    # 66 units then an emoji: the surrogate pair must not be split across parts.
    ("中" * 66 + "😀" + "中" * 66, "UCS-2", 134, 3),
    ("中" * 65 + "😀" + "中" * 67, "UCS-2", 134, 2),
    ("Hi 😀 there", "UCS-2", 11, 1),
    # Mixed: one non-GSM char switches the whole message to UCS-2.
    ("a" * 69 + "中", "UCS-2", 70, 1),
    ("a" * 70 + "中", "UCS-2", 71, 2),
    ("€" * 35 + "中", "UCS-2", 36, 1),
    ("Hola, tu cita es mañana a las 10:00", "GSM-7", 35, 1),
]


@pytest.mark.parametrize(("body", "encoding", "units", "segments"), CASES)
def test_table(body: str, encoding: str, units: int, segments: int) -> None:
    result = count_segments(body)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_capacity_reported() -> None:
    assert count_segments("a").chars_per_segment == 160
    assert count_segments("a" * 161).chars_per_segment == 153
    assert count_segments("中").chars_per_segment == 70
    assert count_segments("中" * 71).chars_per_segment == 67


def test_result_is_frozen() -> None:
    result = count_segments("x")
    assert isinstance(result, SegmentCount)
    with pytest.raises(AttributeError):
        result.segments = 3  # type: ignore[misc]


def test_gsm_basic_table_is_exact() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes minus the escape
    assert not GSM7_BASIC & GSM7_EXTENSION
    for ch in "`çáíóúâêôãõ\t":
        assert not is_gsm7(ch), repr(ch)


GSM_BASIC_CHARS = st.sampled_from(sorted(GSM7_BASIC))
GSM_ANY_CHARS = st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION))
# BMP CJK and astral emoji: always UCS-2, with 1- and 2-unit characters.
UCS2_CHARS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1F5FF),
)


def _check_bounds(result: SegmentCount, body: str = "") -> None:
    """Segments are never 0 and sit between the ideal packing and the worst-case padding
    (a part may end early by up to one unit less than the widest character, kept whole)."""
    assert result.segments >= 1
    if result.segments > 1:
        cap = result.chars_per_segment
        widest = max((len(c.encode("utf-16-le")) // 2 for c in graphemes(body)), default=2)
        assert math.ceil(result.units / cap) <= result.segments
        assert result.segments <= math.ceil(result.units / (cap - min(max(widest, 2), cap) + 1))


@given(st.text(GSM_ANY_CHARS, max_size=700))
def test_gsm_units_consistent(body: str) -> None:
    result = count_segments(body)
    assert result.encoding == "GSM-7"
    assert result.units == len(body) + sum(ch in GSM7_EXTENSION for ch in body)
    _check_bounds(result, body)


@given(st.text(GSM_BASIC_CHARS, max_size=700))
def test_gsm_basic_is_exact_division(body: str) -> None:
    result = count_segments(body)
    expected = 1 if len(body) <= 160 else math.ceil(len(body) / 153)
    assert result.segments == expected


@given(st.text(UCS2_CHARS, min_size=1, max_size=300))
def test_ucs2_units_consistent(body: str) -> None:
    result = count_segments(body)
    assert result.encoding == "UCS-2"
    assert result.units == len(body.encode("utf-16-le")) // 2
    _check_bounds(result, body)


@given(st.text(GSM_ANY_CHARS, max_size=500), st.text(GSM_ANY_CHARS, min_size=1, max_size=50))
def test_gsm_monotonic(body: str, extra: str) -> None:
    assert count_segments(body + extra).segments >= count_segments(body).segments


@given(st.text(UCS2_CHARS, min_size=1, max_size=200), st.text(UCS2_CHARS, min_size=1, max_size=30))
def test_ucs2_monotonic(body: str, extra: str) -> None:
    assert count_segments(body + extra).segments >= count_segments(body).segments


@given(st.text(max_size=400))
def test_any_text_never_zero(body: str) -> None:
    result = count_segments(body)
    assert result.segments >= 1
    assert result.encoding == ("GSM-7" if is_gsm7(body) else "UCS-2")
    _check_bounds(result, body)
