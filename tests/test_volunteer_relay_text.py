"""A volunteer's relayed words reach the worker as typed: the command is read folded (full-width
letters and digits), the message itself keeps its Chinese punctuation."""

from __future__ import annotations

import pytest

from hotline.volunteer_sms import parse_volunteer_command


@pytest.mark.parametrize("body, action, number, rest", [
    ("R1024 老板说：明天发工资！你放心？", "relay", 1024, "老板说：明天发工资！你放心？"),
    ("ｒ１０２４ 好的，（明天）到。", "relay", 1024, "好的，（明天）到。"),
    ("转告1024：请带上工资条、考勤表。", "relay", 1024, "请带上工资条、考勤表。"),
    ("R 1024: hi, see you at 3pm", "relay", 1024, "hi, see you at 3pm"),
    ("DONE 1024 １２０００ 已付清，谢谢", "resolved", 1024, "１２０００ 已付清，谢谢"),
    ("Ｙ１０２４", "accept", 1024, ""),
    ("y 1024！", "accept", 1024, "！"),
    # The case's number first, as the offer SMS writes it (#1024), then the words.
    ("#1024 您好，我是李律师，请问您有劳动合同吗？", "relay", 1024,
     "您好，我是李律师，请问您有劳动合同吗？"),
    ("＃１０２４：明天上午十点，带上工资条。", "relay", 1024, "明天上午十点，带上工资条。"),
    ("#1024, call me back pls", "relay", 1024, "call me back pls"),
    ("# 1024\n请把欠条拍照发给我", "relay", 1024, "请把欠条拍照发给我"),
    # A number first that is an answer or a finish is still that, not words for the worker.
    ("#1024 我接了", "accept", 1024, ""),
    ("#1024 结案 追回12000", "resolved", 1024, "追回12000"),
])
def test_relay_keeps_what_the_volunteer_typed(body: str, action: str, number: int,
                                              rest: str) -> None:
    cmd = parse_volunteer_command(body)
    assert cmd is not None
    assert (cmd.action, cmd.number, cmd.rest) == (action, number, rest)


@pytest.mark.parametrize("body", ["#1024", "# 1024 ", "1024 您好", "12000 已追回"])
def test_a_number_alone_or_without_its_hash_is_no_relay(body: str) -> None:
    cmd = parse_volunteer_command(body)
    assert cmd is None or cmd.action != "relay"
