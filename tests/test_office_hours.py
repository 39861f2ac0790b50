"""Office hours as a centre writes them (OFFICE_HOURS), and when the phone is answered."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from hotline.infra.config import load_config
from ivr_flows.model import OfficeHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("text", "days", "opens", "closes"), [
    ("mon-sat 09:00-21:00", (0, 1, 2, 3, 4, 5), time(9), time(21)),
    ("MON-FRI 08:30-17:30", (0, 1, 2, 3, 4), time(8, 30), time(17, 30)),
    ("mon,wed,fri 14:00-18:00", (0, 2, 4), time(14), time(18)),
    ("sat-mon 10:00-16:00", (0, 5, 6), time(10), time(16)),
    ("  sun 09:00-12:00 ", (6,), time(9), time(12)),
    ("always", (0, 1, 2, 3, 4, 5, 6), time(0), time(0)),
])
def test_office_hours_read_as_written(text: str, days: tuple[int, ...], opens: time,
                                      closes: time) -> None:
    hours = OfficeHours.parse(text)
    assert (hours.days, hours.open, hours.close) == (days, opens, closes)


@pytest.mark.parametrize("text", ["weekdays", "mon-sat", "mon-sat 9-21", "monday 09:00-17:00",
                                  "mon-sat 09:00", "mon-sat 25:00-26:00", "mon sat 09:00-21:00"])
def test_unreadable_office_hours_are_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(ValueError):
        OfficeHours.parse(text)


@pytest.mark.parametrize(("local", "open_"), [
    (datetime(2026, 12, 3, 8, 59), False),   # Thursday before nine
    (datetime(2026, 12, 3, 9, 0), True),
    (datetime(2026, 12, 3, 20, 59), True),
    (datetime(2026, 12, 3, 21, 0), False),   # closing time itself is closed
    (datetime(2026, 12, 6, 12, 0), False),   # Sunday
])
def test_open_by_the_centre_s_clock(local: datetime, open_: bool) -> None:
    hours = OfficeHours.parse("mon-sat 09:00-21:00")
    assert hours.is_open(local.replace(tzinfo=SHANGHAI)) is open_


def test_always_is_open_at_midnight_on_sunday() -> None:
    assert OfficeHours.parse("always").is_open(datetime(2026, 12, 6, 0, 0, tzinfo=SHANGHAI))


def test_config_reads_office_hours_in_the_centre_s_timezone(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: object) -> None:
    monkeypatch.setenv("OFFICE_HOURS", "mon-fri 09:00-18:00")
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Asia/Urumqi")
    cfg = load_config(str(tmp_path), {"TESTING": True})
    assert cfg["OFFICE_HOURS"] == OfficeHours(timezone="Asia/Urumqi", days=(0, 1, 2, 3, 4),
                                              open=time(9), close=time(18))
    monkeypatch.delenv("OFFICE_HOURS")
    assert load_config(str(tmp_path), {"TESTING": True})["OFFICE_HOURS"] is None


def test_a_mistyped_setting_stops_the_start(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: object) -> None:
    monkeypatch.setenv("OFFICE_HOURS", "weekdays")
    with pytest.raises(ValueError, match="mon-sat 09:00-21:00"):
        load_config(str(tmp_path), {"TESTING": True})
