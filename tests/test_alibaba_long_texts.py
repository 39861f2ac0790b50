"""A worker's long words on a carrier that sends only templates (Alibaba), beside Twilio.

- The SMS intake's confirmation echoes the worker's answers, each a template variable of its
  own, which Alibaba refuses past 35 characters: there a longer answer is echoed as its first 30
  characters and "…", cut between whole graphemes (an emoji family, a flag or a skin tone is
  never split); Twilio echoes it as before.
- A worker's text forwarded to their volunteer ("#N工友：…") goes as a template only while the
  words fit one variable and the carrier's content rules; otherwise the volunteer gets the
  approved notice to read it in the hotline inbox, and with no approved template for either,
  nothing is queued and the timeline says so.

On both providers and both databases, through each provider's front door and real client.
"""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import delete, select

from hotline.infra.db import get_db
from ivr_flows.sms import carrier_size
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    SmsTemplate,
)
from notifications.segments import graphemes
from tests.provider_support import World, fake_alibaba, on_provider
from tests.test_routing_support import add_case, add_volunteer

__all__ = ["fake_alibaba", "on_provider"]
WORKER = "+8613800138091"
VOLUNTEER = "+8613900091001"


def failed_sends() -> list[str]:
    """Why outbound texts failed (none should)."""
    with get_db().begin() as s:
        return [m.error_message or "" for m in s.scalars(select(Message).where(
            Message.direction == Direction.OUTBOUND, Message.status == MessageStatus.FAILED))]


def sent_params(world: World) -> dict[str, str]:
    """The template parameters of the last text the worker got on Alibaba."""
    assert world.fake_alibaba is not None
    return dict(world.fake_alibaba.sent_to(WORKER)[-1]["params"])


def confirm_with_employer(world: World, employer: str, first: str = "我需要帮助",
                          place: str = "广东深圳") -> str:
    """Walk the wages intake by SMS, naming `employer`; the confirmation the worker got."""
    answers = [first, "1", place, "1", employer, "12000", "3", "5", "1"]
    got: list[str] = []
    for body in answers:
        got = world.text(WORKER, body)
        assert got, f"no answer to {body!r}"
    return got[-1]


def cut_whole(clipped: str, original: str) -> None:
    """`clipped` is `original` cut between whole graphemes, marked with "…" ("..." in ASCII
    words), within a variable."""
    mark = "..." if original.isascii() else "…"
    assert clipped.endswith(mark) and carrier_size(clipped) <= 35, clipped
    kept = graphemes(clipped.removesuffix(mark))
    assert kept == graphemes(original)[:len(kept)], (clipped, original)
    assert carrier_size(clipped) >= 15, clipped  # still enough for the worker to know it


# (employer as the worker wrote it, echoed whole by Twilio's two-part reply)
LONG_EMPLOYERS = [
    ("深圳市宝安区福永街道某某某某某某电子科技有限公司第二分厂生产车间某某某某", True),  # 36
    ("深圳市龍崗區ＡＢＣ電子廠（第二分廠）宿舍樓下那個老闆姓陳的那家工廠，就在地鐵站旁邊", True),
    ("Shenzhen Longgang Happy Prosperous Electronics Manufacturing Co Ltd", True),
    ("👨‍👩‍👧‍👦老板姓王👨‍👩‍👧‍👦工地🏗️在龙华👷🏽‍♂️👷🏽‍♂️包工头跑了👨‍👩‍👧‍👦", False),
    ("🇨🇳鸿运来五金塑胶制品厂👍🏽🇨🇳东莞长安镇👍🏽🇨🇳🇨🇳🇨🇳", False),
    ("鸿运来五金厂" + "😭" * 30, False),
]


@pytest.mark.parametrize("employer, whole_on_twilio", LONG_EMPLOYERS)
def test_a_long_answer_is_echoed_within_one_template_variable(
        on_provider: World, employer: str, whole_on_twilio: bool) -> None:
    confirmation = confirm_with_employer(on_provider, employer)
    assert confirmation.startswith("您说的是：欠薪，广东深圳，"), confirmation
    with get_db().begin() as s:
        kept = s.scalar(select(Case.employer).where(Case.employer.is_not(None)))
    # The case keeps every word (full-width letters and brackets read as plain ones).
    assert kept is not None and kept == unicodedata.normalize("NFKC", employer)
    if on_provider.provider == "alibaba":
        echoed = sent_params(on_provider)["employer"]
        cut_whole(echoed, kept)
        assert f"，{echoed}，欠12000元" in confirmation
        assert all(carrier_size(v) <= 35 for v in sent_params(on_provider).values())
    elif whole_on_twilio:
        assert f"，{kept}，欠12000元" in confirmation  # Twilio: as before, whole
    assert failed_sends() == []


@pytest.mark.parametrize("employer", [
    "深圳市宝安区福永街道某某某某某某电子科技有限公司第二分厂生产车",  # 35: fits
    "👍🏽" * 8 + "王老板",  # 8 skin-toned thumbs: 32 UTF-16 units + 3
    "某某厂",
])
def test_an_answer_that_fits_is_echoed_whole_on_both(on_provider: World, employer: str
                                                      ) -> None:
    confirmation = confirm_with_employer(on_provider, employer)
    assert f"，{employer}，欠12000元" in confirmation
    if on_provider.provider == "alibaba":
        assert sent_params(on_provider)["employer"] == employer
    assert failed_sends() == []


def test_an_english_worker_gets_the_english_confirmation_cut_at_a_word(
        on_provider: World) -> None:
    employer = "Dongguan Changan Hongyunlai Hardware and Plastic Products Factory No 2"
    confirmation = confirm_with_employer(on_provider, employer, first="I need help",
                                         place="Shenzhen Guangdong")
    assert confirmation.startswith("You said: unpaid wages, "), confirmation
    if on_provider.provider == "alibaba":
        echoed = sent_params(on_provider)["employer"]
        cut_whole(echoed, employer)
        assert echoed == "Dongguan Changan Hongyunlai..."  # a whole word, not "Har..."
        assert f", {echoed}, ¥12000" in confirmation
    else:
        assert f", {employer}, ¥12000" in confirmation
    assert failed_sends() == []


# --- the worker's words forwarded to the volunteer ------------------------------------------

FITS = ["好的，明天几点？", "收到👍", "OK I will bring the payslip", "老板今天又不给钱",
        "在的"]
UNFIT = [
    "老板说下个月才发工资，可是我们已经三个月没拿到钱了，房租都交不起，怎么办啊",  # 38
    "I talked to the boss again today and he said wait until next month",  # long, English
    "合同照片在 http://t.cn/abc123 这里",  # a link
    "合同在www.example.com",
    "我要维权",  # a banned subject, however short
    "欠我¥12000",  # a symbol that is refused or garbled
    "【紧急】老板跑了",  # the signature's brackets
    "😭" * 20,  # 20 emoji: 40 UTF-16 units
    "👨‍👩‍👧‍👦" * 4,  # 4 families: 44 units
]


def assigned_case(world: World) -> int:
    """The worker's case, assigned to the volunteer; its number."""
    volunteer = add_volunteer(phone=VOLUNTEER)
    _, number = add_case(WORKER, status=CaseStatus.IN_PROGRESS, assigned_volunteer_id=volunteer)
    return number


@pytest.mark.parametrize("words", FITS)
def test_words_that_fit_reach_the_volunteer_as_written(on_provider: World, words: str
                                                       ) -> None:
    number = assigned_case(on_provider)
    on_provider.text(WORKER, words)
    assert on_provider.got(VOLUNTEER) == [f"#{number}工友：{words}"]
    assert failed_sends() == []


@pytest.mark.parametrize("words", UNFIT)
def test_words_a_carrier_cannot_carry_become_the_inbox_notice(on_provider: World, words: str
                                                              ) -> None:
    number = assigned_case(on_provider)
    on_provider.text(WORKER, words)
    got = on_provider.got(VOLUNTEER)
    with get_db().begin() as s:
        notes = list(s.scalars(select(CaseEvent.text).where(CaseEvent.kind == EventKind.NOTE)))
        kept = s.scalar(select(Message.body).where(Message.direction == Direction.INBOUND,
                                                   Message.from_number == WORKER))
    assert kept == words  # the case keeps the words themselves
    if on_provider.provider == "twilio":
        assert got == [f"#{number}工友：{words}"]  # Twilio carries them as written
    else:
        assert got == [f"#{number}工友发来新消息，请在热线收件箱查看和回复。"]
        assert any("volunteer was texted to read them in the hotline inbox" in n
                   for n in notes), notes
    assert failed_sends() == []


def test_with_no_approved_template_nothing_is_queued_and_the_timeline_says_so(
        on_provider: World) -> None:
    if on_provider.provider == "twilio":
        pytest.skip("Twilio needs no templates")
    with get_db().begin() as s:
        s.execute(delete(SmsTemplate).where(SmsTemplate.purpose.in_(
            ["worker_to_volunteer", "worker_wrote_to_volunteer"])))
    number = assigned_case(on_provider)
    on_provider.text(WORKER, "好的")
    assert on_provider.got(VOLUNTEER) == []
    with get_db().begin() as s:
        notes = list(s.scalars(select(CaseEvent.text).where(CaseEvent.kind == EventKind.NOTE)))
        to_volunteer = list(s.scalars(select(Message.id).where(
            Message.to_number == VOLUNTEER)))
    assert to_volunteer == []  # nothing queued to fail later
    assert any("not forwarded to the volunteer" in n for n in notes), notes
    assert on_provider.got(WORKER)  # the worker is still answered
    assert failed_sends() == []
    assert number
