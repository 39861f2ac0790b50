"""Place names as workers and volunteers write them: '河南省' and '河南', '深圳市' and '深圳' are
one place, for matching a volunteer to a case and for choosing a campaign's audience."""

from __future__ import annotations

import unicodedata

PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市", "地区", "州", "县", "区")


def place_key(name: str | None) -> str:
    """'河南省' and '河南', '深圳市' and '深圳' compare equal."""
    text = unicodedata.normalize("NFKC", name or "").strip().casefold()
    for suffix in PLACE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def place_variants(names: list[str], suffix: str) -> list[str]:
    """Every spelling a place may be stored under: '深圳市' finds '深圳' and the reverse."""
    found: set[str] = set()
    for name in names:
        base = place_key(name)
        found |= {name.strip(), base, base + suffix} - {"", suffix}
    return sorted(found)
