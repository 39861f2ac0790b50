"""Campaign texts: placeholders, fallbacks, signature and footer, quiet hours. No database."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Campaign
from notifications.campaigns.compose import parse_quiet_hours
from notifications.campaigns.rendering import (
    MissingField,
    TemplateError,
    compose,
    in_quiet_hours,
    placeholders,
    render,
)
from notifications.campaigns.replies import normalize_reply
from notifications.segments import count_segments

RENDER = [
    ("{name}您好", {"name": "李强"}, "李强您好"),
    ("{name|工友}您好", {"name": None}, "工友您好"),
    ("{name|工友}您好", {"name": "  "}, "工友您好"),
    ("案件{case_number}", {"case_number": 1024}, "案件1024"),
    # The fields by their Chinese names, as staff write them.
    ("{姓名|工友}您好，您的案件{案件编号}", {"name": "", "case_number": 1024},
     "工友您好，您的案件1024"),
    ("{城市}培训", {"city": "东莞"}, "东莞培训"),
    ("{{不是占位符}}", {}, "{不是占位符}"),
]


@pytest.mark.parametrize(("template", "values", "expected"), RENDER)
def test_render(template: str, values: dict[str, object], expected: str) -> None:
    assert render(template, values) == expected


def test_missing_field_is_an_error_not_a_blank() -> None:
    with pytest.raises(MissingField) as info:
        render("{name}您好，{city}培训", {"name": "", "city": "东莞"})
    assert info.value.field == "name"


@pytest.mark.parametrize(("template", "message"), [
    ("{nmae}您好", "unknown placeholder"),
    ("工资{", "unbalanced"),
    ("}工资", "unbalanced"),
])
def test_bad_templates(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        placeholders(template)


def test_signature_and_footer_and_their_segments() -> None:
    campaign = Campaign(signature="工友热线", footer=True)
    body = compose(campaign, "周六上午九点在街道办举办劳动法讲座，欢迎参加", "zh")
    assert body == "【工友热线】周六上午九点在街道办举办劳动法讲座，欢迎参加 回复TD退订"
    assert count_segments(body).segments == 1 and count_segments(body).encoding == "UCS-2"
    long = compose(campaign, "欠" * 60, "zh")  # 6 + 60 + 6 = 72 UCS-2 units: two parts
    assert count_segments(long).segments == 2
    english = compose(Campaign(signature=None, footer=True), "Training on Saturday", "en")
    assert english == "Training on Saturday Reply TD to opt out"
    assert count_segments(english).encoding == "GSM-7"


QUIET = [
    ("21:00-08:00", 22, 0, True), ("21:00-08:00", 7, 59, True), ("21:00-08:00", 8, 0, False),
    ("21:00-08:00", 20, 59, False), ("12:00-14:00", 13, 0, True), ("12:00-14:00", 14, 0, False),
    ("00:00-00:00", 3, 0, False),
]


@pytest.mark.parametrize(("window", "hour", "minute", "quiet"), QUIET)
def test_quiet_hours(window: str, hour: int, minute: int, quiet: bool) -> None:
    start, end = parse_quiet_hours(window)
    campaign = Campaign(quiet_start=start, quiet_end=end)
    assert in_quiet_hours(campaign, datetime(2025, 1, 1, hour, minute)) is quiet


@pytest.mark.parametrize("bad", ["9pm-8am", "25:00-08:00", "21:00", ""])
def test_bad_quiet_hours(bad: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        parse_quiet_hours(bad)


def test_reply_normalisation() -> None:
    assert normalize_reply(" １ ") == "1"
    assert normalize_reply("yes.") == "YES"
