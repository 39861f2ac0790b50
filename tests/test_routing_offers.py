"""Offers on a plain phone: the SMS, Y/N parsing, first accept wins, timeouts and escalation.
Each test runs on SQLite and PostgreSQL; the concurrent-accept proof runs on PostgreSQL. A
volunteer's Y or N by SMS runs on Twilio and on Alibaba Cloud SMS (tests/provider_support.py);
the rest calls routing directly and reaches no carrier's front door."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from hotline.assignment import Answer, answer_offer
from hotline.infra.db import get_db
from hotline.infra.queues import broker_keys
from hotline.offers import expire_due_offers, offer_case
from hotline.routing import route_case
from hotline.volunteer_sms import (
    VolunteerCommand,
    parse_offer_answer,
    parse_volunteer_command,
)
from models import Case, CaseCategory, CaseStatus, EventKind, OfferStatus, Purpose, Volunteer
from models.base import utcnow
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_routing_support import (
    AMOUNT,
    add_case,
    add_volunteer,
    case_state,
    events,
    offers_of,
    outbound,
    volunteer_phone,
)

STAFF = "+8613700000099"


def texts_on(world: World, phone: str, body: str) -> str:
    """What `phone` got back for one text, its parts joined by " / "."""
    return " / ".join(world.text(phone, body))


def route(case_id: int, now: Any = None) -> list[int]:
    """Run one routing step for a case at time `now`."""
    with get_db().begin() as s:
        case = s.get(Case, case_id, with_for_update=True)
        assert case is not None
        return offer_case(s, case, now or utcnow())


PARSE_TABLE = [
    ("Y1024", (True, 1024)), ("y 1024", (True, 1024)), ("Ｙ１０２４", (True, 1024)),
    ("  yes #1024 ", (True, 1024)), ("接受1024", (True, 1024)), ("N1024", (False, 1024)),
    ("ｎ　１０２４", (False, 1024)), ("no 1024", (False, 1024)), ("拒绝 #1024", (False, 1024)),
    ("Y1024。", (True, 1024)), ("Y", None), ("hello", None), ("Y 1024 and call me", None),
    ("1024", None), ("", None),
    # As volunteers text it on a plain phone: 接 / 不接, a lead of 好的 / 我, the number first.
    ("接1024", (True, 1024)), ("我接1024", (True, 1024)), ("好的，我接1024", (True, 1024)),
    ("好的,我接 #1024", (True, 1024)), ("1024我接了", (True, 1024)), ("1024 接", (True, 1024)),
    ("接了1024", (True, 1024)), ("不接1024", (False, 1024)), ("我不接1024", (False, 1024)),
    ("1024不接", (False, 1024)), ("我觉得1024不行", None), ("好的", None),
    ("接1024，马上打电话", None),  # words after the number: the help text, as for Y
    # ... unless they are only said in passing: an acknowledgement, a reason for declining.
    ("Y1024 好的", (True, 1024)), ("Ｙ１０２４，好的！", (True, 1024)), ("y1024 ok", (True, 1024)),
    ("接1024 收到", (True, 1024)), ("N1024 没空，抱歉", (False, 1024)),
    ("n1024 sorry busy", (False, 1024)), ("不接1024，这周没空", (False, 1024)),
    ("Y1024 没空", None), ("N1024 好的", None), ("Y 好的", None), ("Y1024 好的，明天打给他", None),
]


@pytest.mark.parametrize("body,expected", PARSE_TABLE, ids=[b or "empty" for b, _ in PARSE_TABLE])
def test_offer_answer_parsing(body: str, expected: tuple[bool, int] | None) -> None:
    assert parse_offer_answer(body) == expected


def test_other_commands_parse() -> None:
    relay = parse_volunteer_command("R1024 明天上午给您打电话")
    assert relay == parse_volunteer_command("ｒ１０２４：明天上午给您打电话")
    assert parse_volunteer_command("DONE 1024 12000").rest == "12000"  # type: ignore[union-attr]
    assert parse_volunteer_command("上线").action == "on"  # type: ignore[union-attr]
    assert parse_volunteer_command("off").action == "off"  # type: ignore[union-attr]
    assert parse_volunteer_command("CALL1024").number == 1024  # type: ignore[union-attr]
    assert parse_volunteer_command("完成1024").action == "resolved"  # type: ignore[union-attr]
    assert parse_volunteer_command("回复1024 明天打给你") == VolunteerCommand(
        "relay", 1024, "明天打给你")
    # As volunteers text it: the number first, a verb of three characters, 了 after a duty.
    assert parse_volunteer_command("1024结案") == VolunteerCommand("resolved", 1024)
    assert parse_volunteer_command("1024已经解决了，追回一万") == VolunteerCommand(
        "resolved", 1024, "追回一万")
    assert parse_volunteer_command("1024结案了吗？") is None  # a question
    assert parse_volunteer_command("打电话1024") == VolunteerCommand("call", 1024)
    assert parse_volunteer_command("我上线了") == VolunteerCommand("on")
    assert parse_volunteer_command("我要下线") == VolunteerCommand("off")
    assert parse_volunteer_command("上线吧我看看") is None


def test_offer_sms_has_the_facts_and_never_the_workers_phone(app: Flask) -> None:
    vid = add_volunteer(skills=["wages"])
    case_id, number = add_case("+8613812345678", people_affected=3, amount_owed=AMOUNT)
    route(case_id)
    [offer_sms] = outbound(Purpose.OFFER)
    assert offer_sms.body == (f"新案件 #{number} 欠薪 深圳 3人 约¥12000 "
                              f"回复 Y{number} 接受 N{number} 拒绝")
    assert offer_sms.to_number == volunteer_phone(vid)
    assert "13812345678" not in offer_sms.body and "5678" not in offer_sms.body
    assert case_state(case_id).status == CaseStatus.OFFERED


def test_score_breakdown_is_on_the_timeline(app: Flask) -> None:
    best = add_volunteer(skills=["wages"], dialects=["henan"], home_province="河南省",
                         regions=["深圳"])
    add_volunteer(skills=["injury"], regions=["广东"])
    case_id, _ = add_case(home="河南", dialect="河南话")
    route(case_id)
    [routing] = events(case_id, EventKind.ROUTING)
    [chosen] = routing.data["chosen"]
    assert chosen["volunteer_id"] == best
    assert chosen["parts"] == {"skill": 30.0, "dialect": 25.0, "home_province": 20.0,
                               "city": 20.0, "load": 0.0, "fairness": 15.0}
    assert routing.data["candidates"] == 2
    assert routing.data["next_best"][0]["parts"]["province"] == 10.0


def test_accept_by_sms_assigns_and_a_stray_reply_changes_nothing(on_provider: World) -> None:
    offered = add_volunteer()
    case_id, number = add_case()
    route(case_id)
    other = add_volunteer()  # on duty, but was not offered this case
    reply = texts_on(on_provider, volunteer_phone(other), f"Y{number}")
    assert "没有待您回复" in reply
    assert case_state(case_id).status == CaseStatus.OFFERED
    assert texts_on(on_provider, volunteer_phone(offered), "y 99999").count("没有待您回复") == 1
    reply = texts_on(on_provider, volunteer_phone(offered), f"ｙ {number}")
    assert "已分配给您" in reply
    case = case_state(case_id)
    assert (case.status, case.assigned_volunteer_id) == (CaseStatus.ASSIGNED, offered)
    assert "没有待您回复" in texts_on(on_provider, volunteer_phone(offered), f"Y{number}")


def test_a_volunteer_accepts_or_declines_in_their_own_words(on_provider: World) -> None:
    """好的，我接1001 takes the case and 1002不接 passes one on, through the real webhook."""
    vid = add_volunteer()
    (taken, taken_no), (passed, passed_no) = add_case(), add_case()
    route(taken)
    route(passed)
    assert "已分配给您" in texts_on(on_provider, volunteer_phone(vid), f"好的，我接{taken_no}")
    assert (case_state(taken).status, case_state(taken).assigned_volunteer_id) == (
        CaseStatus.ASSIGNED, vid)
    assert "已拒绝" in texts_on(on_provider, volunteer_phone(vid), f"{passed_no}不接")
    assert case_state(passed).status == CaseStatus.NEW


def test_a_bare_y_answers_the_one_offer_waiting(on_provider: World) -> None:
    """"Y" with one offer waiting takes it; with two it asks which (it always asked)."""
    vid = add_volunteer()
    (first, _), (second, second_no) = add_case(), add_case()
    route(first)
    route(second)
    assert "请带上案件号" in texts_on(on_provider, volunteer_phone(vid), "Y")
    assert "已拒绝" in texts_on(on_provider, volunteer_phone(vid), f"N{second_no}")
    assert "请带上案件号" in texts_on(on_provider, volunteer_phone(vid), "是")  # may be for another
    assert "已分配给您" in texts_on(on_provider, volunteer_phone(vid), "接")
    assert case_state(first).assigned_volunteer_id == vid


def test_an_answer_with_an_acknowledgement_or_a_reason_is_still_an_answer(
        on_provider: World) -> None:
    """"Y1001 好的" takes the case and "N1002 没空，抱歉" passes one on (both got the help text)."""
    vid = add_volunteer()
    (taken, taken_no), (passed, passed_no) = add_case(), add_case()
    route(taken)
    route(passed)
    assert "已分配给您" in texts_on(on_provider, volunteer_phone(vid), f"Y{taken_no} 好的")
    assert case_state(taken).assigned_volunteer_id == vid
    assert "已拒绝" in texts_on(on_provider, volunteer_phone(vid), f"N{passed_no} 没空，抱歉")
    assert case_state(passed).status == CaseStatus.NEW


def test_urgent_case_goes_to_several_first_accept_wins_others_told(app: Flask) -> None:
    app.config["URGENT_FANOUT"] = 3
    vids = [add_volunteer(skills=["injury"]) for _ in range(4)]
    case_id, number = add_case(category=CaseCategory.INJURY)
    route(case_id)
    offers = offers_of(case_id)
    assert len(offers) == 3 and case_state(case_id).urgency == "urgent"
    first, second = offers[1].volunteer_id, offers[0].volunteer_id
    with get_db().begin() as s:
        vol = s.get(Volunteer, first)
        assert answer_offer(s, vol, number, True)[0] == Answer.ACCEPTED  # type: ignore[arg-type]
    with get_db().begin() as s:
        vol = s.get(Volunteer, second)
        assert answer_offer(s, vol, number, True)[0] == Answer.TAKEN  # type: ignore[arg-type]
    assert [o.status for o in offers_of(case_id)].count(OfferStatus.WITHDRAWN) == 2
    told = {m.to_number for m in outbound(Purpose.ALERT) if "其他志愿者" in m.body}
    losers = {volunteer_phone(o.volunteer_id) for o in offers if o.volunteer_id != first}
    assert told == losers and len(vids) == 4


def test_decline_goes_to_the_next_candidate(on_provider: World) -> None:
    a, b = add_volunteer(), add_volunteer()
    case_id, number = add_case()
    route(case_id)
    first = offers_of(case_id)[0].volunteer_id
    assert "已拒绝" in texts_on(on_provider, volunteer_phone(first), f"N {number}")
    assert case_state(case_id).status == CaseStatus.NEW
    route_case(case_id)  # what the worker would run after commit
    offers = offers_of(case_id)
    assert [o.volunteer_id for o in offers] == [first, ({a, b} - {first}).pop()]


def test_timeouts_then_escalation_with_controlled_time(app: Flask) -> None:
    app.config.update(OFFER_MAX_TRIES=2, OFFER_TIMEOUT_MINUTES=10, STAFF_NUMBERS=[STAFF])
    for _ in range(3):
        add_volunteer()
    case_id, number = add_case()
    t0 = utcnow()
    route(case_id, t0)
    assert expire_due_offers(t0 + timedelta(minutes=9)) == []  # not yet
    assert expire_due_offers(t0 + timedelta(minutes=10, seconds=1)) == [case_id]
    assert case_state(case_id).status == CaseStatus.NEW
    route(case_id, t0 + timedelta(minutes=11))
    assert expire_due_offers(t0 + timedelta(minutes=22)) == [case_id]
    route(case_id, t0 + timedelta(minutes=23))  # third round > OFFER_MAX_TRIES
    assert case_state(case_id).status == CaseStatus.ESCALATED
    assert [o.status for o in offers_of(case_id)] == [OfferStatus.EXPIRED] * 2
    [alert] = outbound(Purpose.ALERT)
    assert alert.to_number == STAFF and f"#{number}" in alert.body


def test_nobody_eligible_escalates_at_once(app: Flask) -> None:
    app.config["STAFF_NUMBERS"] = [STAFF]
    add_volunteer(on_duty=False)
    add_volunteer(languages=["en"])  # cannot speak with a Mandarin-speaking worker
    add_volunteer(shifts=[{"days": [], "start": "00:00", "end": "00:01"}])  # never on shift
    case_id, _ = add_case()
    route(case_id)
    assert case_state(case_id).status == CaseStatus.ESCALATED
    assert outbound(Purpose.ALERT)[0].to_number == STAFF


def test_concurrent_accepts_give_exactly_one_owner(pg_url: str, fake_twilio: Any,
                                                   redis_client: Any, tmp_path: Any) -> None:
    """Eight volunteers answer Y at the same instant, 20 times: always exactly one owner."""
    from hotline import create_app
    from tests.conftest import app_config, wipe

    wipe(pg_url)
    redis_client.flushdb()
    pg_app = create_app(app_config(pg_url, fake_twilio.base_url, URGENT_FANOUT=8),
                        instance_path=str(tmp_path))
    with pg_app.app_context():
        vids = [add_volunteer(skills=["injury"], capacity=50) for _ in range(8)]
        for _ in range(20):
            case_id, number = add_case(category=CaseCategory.INJURY)
            route(case_id)
            results = race_accepts(vids, number)
            assert sorted(results).count(Answer.ACCEPTED) == 1, results
            assert results.count(Answer.TAKEN) == 7
            owner = case_state(case_id).assigned_volunteer_id
            assert [o.volunteer_id for o in offers_of(case_id)
                    if o.status == OfferStatus.ACCEPTED] == [owner]
    pg_app.extensions["db"].engine.dispose()


def race_accepts(volunteer_ids: list[int], number: int) -> list[Answer]:
    """Each volunteer accepts in its own thread and connection, released together."""
    barrier = threading.Barrier(len(volunteer_ids))
    results: list[Answer] = []
    app = get_current_app()

    def accept(vid: int) -> None:
        with app.app_context(), get_db().begin() as s:
            vol = s.get(Volunteer, vid)
            assert vol is not None
            barrier.wait()
            results.append(answer_offer(s, vol, number, True)[0])

    threads = [threading.Thread(target=accept, args=(v,)) for v in volunteer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def get_current_app() -> Flask:
    """The app of the current context (threads push their own)."""
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]


def queued_tasks(redis_client: Any, queue: str) -> list[tuple[str, str]]:
    """(task name, args) of the messages waiting in a real Redis queue."""
    import json

    out = []
    for raw in (r for key in broker_keys(queue) for r in redis_client.lrange(key, 0, -1)):
        headers = json.loads(raw)["headers"]
        out.append((headers["task"], headers["argsrepr"]))
    return out


def test_beat_sweeper_expires_due_offers_and_reroutes(app: Flask, redis_client: Any) -> None:
    """The Celery beat task (not expire_due_offers) finds offers past their time in the
    database, even when the countdown task was lost; time is controlled by dating the
    offers: one 11 minutes old (due), one 9 minutes old (not yet)."""
    from hotline.sweeper import sweep

    app.config.update(OFFER_TIMEOUT_MINUTES=10)
    add_volunteer()
    add_volunteer()
    due_id, _ = add_case()
    fresh_id, _ = add_case()
    now = utcnow()
    route(due_id, now - timedelta(minutes=11))
    route(fresh_id, now - timedelta(minutes=9))
    redis_client.delete("intake", "urgent")  # the countdown tasks are "lost"
    counts = sweep()
    assert counts["offers_expired"] == 1
    assert [o.status for o in offers_of(due_id)] == [OfferStatus.EXPIRED]
    assert [o.status for o in offers_of(fresh_id)] == [OfferStatus.PENDING]
    assert (case_state(due_id).status, case_state(fresh_id).status) == (CaseStatus.NEW,
                                                                        CaseStatus.OFFERED)
    assert ("hotline.routing.route_case", f"({due_id},)") in queued_tasks(redis_client,
                                                                          "intake")
    [expired] = [e for e in events(due_id, EventKind.OFFER_ANSWER)]
    assert expired.text == "offer expired unanswered"
