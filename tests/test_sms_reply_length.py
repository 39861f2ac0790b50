"""An English intake confirmation that echoes Chinese answers (UCS-2) still fits in 2 SMS."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ivr_flows.engine import clip_text
from notifications.segments import count_segments
from tests.test_sms_flow_conversation import the_case
from tests.test_sms_flow_conversation import twilio_text as text

LONG_EMPLOYER = "深圳市宝安区某某建筑劳务工程有限公司第三分公司"


def walk_to_confirmation(post_signed: Any, answers: list[str]) -> str:
    """An English SMS intake up to the 'You said: … 1 correct, 2 start again' question."""
    replies = [text(post_signed, body) for body in ["Hello, I need help", *answers]]
    confirmation = replies[-1]
    assert confirmation is not None and confirmation.startswith("You said:"), replies
    return confirmation


def test_a_long_chinese_employer_is_cut_so_the_confirmation_takes_two_sms(
        app: Flask, post_signed: Any) -> None:
    # A Chinese place and a 23-character Chinese employer: echoed whole, this English
    # text would be UCS-2 and take 3 segments.
    reply = walk_to_confirmation(post_signed, ["1", "广东省深圳市宝安区", "河南", LONG_EMPLOYER,
                                               "12000", "3", "12", "yes"])
    whole = ("You said: unpaid wages, 广东省深圳市宝安区, " + LONG_EMPLOYER
             + ", ¥12000, 3 months, 12 workers, still there. "
               "Reply with a number: 1 correct, 2 start again")
    assert count_segments(whole).segments == 3  # what the worker would have paid for
    counted = count_segments(reply)
    assert counted.encoding == "UCS-2" and counted.segments <= 2, reply
    assert "深圳市宝" in reply and "…" in reply  # recognisable, visibly shortened
    # Only the worker's own words are cut: the menu answers and the numbers are whole.
    assert "unpaid wages" in reply and "¥12000, 3 months, 12 workers, still there" in reply
    assert reply.endswith("Reply with a number: 1 correct, 2 start again")
    assert (text(post_signed, "1") or "").startswith("Thank you.")
    assert the_case().employer == LONG_EMPLOYER  # the case keeps the whole name


def test_a_confirmation_that_fits_is_left_whole(app: Flask, post_signed: Any) -> None:
    reply = walk_to_confirmation(post_signed, ["3", "Guangdong Dongguan", "Henan",
                                               "Dongguan Hongda Shoe Factory", "no",
                                               "1 November", "no"])
    assert ("Dongguan Hongda Shoe Factory; dismissed or contract ended 1 Nov 2026; no written "
            "contract." in reply and "..." not in reply), reply
    assert count_segments(reply).segments <= 2


@pytest.mark.parametrize(("value", "limit", "cut"), [
    ("ACME Shoes Manufacturing Ltd", 12, "ACME Shoe..."),  # ASCII stays GSM-7
    ("深圳市某某电子有限公司", 6, "深圳市某某…"),
    ("short", 8, "short"),
])
def test_clip_text(value: str, limit: int, cut: str) -> None:
    assert clip_text(value, limit) == cut and len(cut) <= limit
