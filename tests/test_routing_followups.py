"""Routing follow-ups: rounds restart after a transfer or re-queue, escalated cases can still be
finished, staff close through the volunteers' path, organisations (queue of a new case, origin
keeps sight), escalations that reach nobody say so, urgency from size, the score on the staff
timeline, and the opt-out rule for case messages. SQLite and PostgreSQL each.

The tests where someone texts (a volunteer's DONE, staff going on and off duty, an opted-out
worker's case messages) run on Twilio and on Alibaba Cloud SMS (tests/provider_support.py);
the others text nobody through a carrier and stay on the default (Twilio) app."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.deadlines import check_deadlines
from hotline.infra.db import get_db
from hotline.offers import expire_due_offers, offer_case
from hotline.organisations import hand_over_case
from hotline.routing import route_case
from models import (
    Case,
    CaseStatus,
    EventKind,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Organisation,
    Purpose,
    Role,
    Urgency,
    User,
)
from models.base import utcnow
from notifications.send import deliver
from tests.conftest import WebWorld, csrf_from, web_login
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_relay_bridge import WORKER, assigned_case
from tests.test_routing_support import (
    add_case,
    add_volunteer,
    case_state,
    events,
    offers_of,
    outbound,
    set_case,
    texts,
)

STAFF = "+8613700000099"


def texts_on(world: World, phone: str, body: str) -> str:
    """What `phone` got back for one text, its parts joined by " / "."""
    return " / ".join(world.text(phone, body))


def add_org(name: str, region: str | None = None, staff: list[str] | None = None) -> int:
    """Insert an organisation; return its id."""
    with get_db().begin() as s:
        org = Organisation(name=name, region=region, staff_numbers=staff or [])
        s.add(org)
        s.flush()
        return org.id


def route(case_id: int, now: Any = None) -> list[int]:
    """Run one routing step for a case at time `now`."""
    with get_db().begin() as s:
        case = s.get(Case, case_id, with_for_update=True)
        assert case is not None
        return offer_case(s, case, now or utcnow())


def exhaust_rounds(case_id: int, rounds: int) -> None:
    """Offer the case `rounds` times, each offer expiring unanswered, then route once more."""
    t = utcnow()
    for _ in range(rounds):
        route(case_id, t)
        assert expire_due_offers(t + timedelta(minutes=11)) == [case_id]
        t += timedelta(minutes=12)
    route(case_id, t)


def staff_client(app: Flask, username: str) -> Any:
    """A test client logged in as `username`."""
    client = app.test_client()
    assert web_login(client, username).status_code == 302
    return client


def post_form(client: Any, page: str, action: str, data: dict[str, str]) -> Any:
    """POST a staff form of the case page, with the page's CSRF token."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})


# --- 1. offer rounds restart at a transfer or a staff re-queue ------------------------------

def test_transferred_case_that_used_its_rounds_is_offered_at_the_partner(app: Flask) -> None:
    app.config.update(OFFER_MAX_TRIES=3, STAFF_NUMBERS=[STAFF])
    home, city = add_org("固始县服务站"), add_org("珠海市中心")
    for _ in range(3):
        add_volunteer(organisation_id=home)
    partner = add_volunteer(organisation_id=city)
    case_id, _number = add_case(organisation_id=home)
    exhaust_rounds(case_id, 3)
    assert case_state(case_id).status == CaseStatus.ESCALATED
    with get_db().begin() as s:
        case, org = s.get(Case, case_id), s.get(Organisation, city)
        assert case is not None and org is not None
        hand_over_case(s, case, org, "工友在珠海打工", actor="user:staff1")
    assert route_case(case_id) == "queued 1 message(s)"
    case = case_state(case_id)
    assert case.status == CaseStatus.OFFERED and case.offer_round_base == 3
    pending = [o for o in offers_of(case_id) if o.status == OfferStatus.PENDING]
    assert [(o.volunteer_id, o.round) for o in pending] == [(partner, 4)]


def test_staff_requeue_gives_an_escalated_case_fresh_rounds(app: Flask,
                                                            web_world: WebWorld) -> None:
    app.config.update(OFFER_MAX_TRIES=1, STAFF_NUMBERS=[STAFF])
    number = web_world.declined_by_a  # org A, NEW; volunteer A declined it, B never offered
    with get_db().begin() as s:
        case_id = s.scalar(select(Case.id).where(Case.number == number))
    assert case_id is not None
    route(case_id)  # volunteer A's declined offer was its one round: escalates at once
    assert case_state(case_id).status == CaseStatus.ESCALATED
    fresh = add_volunteer(organisation_id=web_world.org_a)
    client = staff_client(app, "staff_a")
    page = f"/staff/cases/{number}"
    resp = post_form(client, page, f"{page}/status", {"status": "new", "note": "再试一次"})
    assert resp.status_code == 302
    assert case_state(case_id).status == CaseStatus.NEW
    route_case(case_id)  # what the worker runs after the commit
    assert case_state(case_id).status == CaseStatus.OFFERED
    assert offers_of(case_id)[-1].volunteer_id == fresh


# --- 2. a stale, escalated case can still be finished by its volunteer ----------------------

def test_volunteer_finishes_a_case_escalated_for_staleness(on_provider: World) -> None:
    on_provider.app.config.update(STALE_CASE_DAYS=7, STALE_ESCALATE_DAYS=3, STAFF_NUMBERS=[STAFF])
    case_id, number, vid, vphone = assigned_case()
    now = utcnow()
    check_deadlines(now + timedelta(days=8))
    assert check_deadlines(now + timedelta(days=11, minutes=1))["escalated"] == 1
    case = case_state(case_id)
    assert (case.status, case.assigned_volunteer_id) == (CaseStatus.ESCALATED, vid)
    assert "已办结" in texts_on(on_provider, vphone, f"DONE {number} 12000")
    case = case_state(case_id)
    assert (case.status, case.amount_recovered) == (CaseStatus.RESOLVED, Decimal("12000.00"))
    assert case.survey_sent_at is not None
    assert [m for m in outbound(Purpose.REPLY, to=WORKER) if "1-5" in m.body]


# --- 3. staff close through the volunteers' close path ----------------------------------------

def test_staff_closing_withdraws_offers_and_sends_the_survey(app: Flask,
                                                             web_world: WebWorld) -> None:
    number = web_world.offered_to_b  # org A, one pending offer to volunteer B
    client = staff_client(app, "staff_a")
    page = f"/staff/cases/{number}"
    resp = post_form(client, page, f"{page}/status", {"status": "closed", "note": "已电话解决"})
    assert resp.status_code == 302
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        assert case.status == CaseStatus.CLOSED and case.survey_sent_at is not None
        offers = s.scalars(select(Offer).where(Offer.case_id == case.id)).all()
        assert [o.status for o in offers] == [OfferStatus.WITHDRAWN]
        case_id = case.id
    [survey] = [m for m in outbound(Purpose.REPLY, to=web_world.worker_phone) if "1-5" in m.body]
    assert survey.case_id == case_id
    [told] = outbound(Purpose.ALERT, to="+8613900000002")
    assert f"#{number}" in told.body and "已结束" in told.body
    [note] = [e for e in events(case_id, EventKind.NOTE) if e.data.get("outcome")]
    assert note.actor == "user:staff_a" and "已电话解决" in note.text


# --- 4. organisations: the queue of a new case, origin and destination both see it ----------

def test_new_case_goes_to_the_organisation_of_its_work_place(app: Flask,
                                                             post_signed: Any) -> None:
    home = add_org("固始县服务站", region="河南省固始县")
    city = add_org("珠海市中心", region="广东省珠海市")
    app.config["DEFAULT_ORGANISATION"] = "固始县服务站"
    zhuhai, _ = add_case(work_city="珠海", work_province="广东")
    guangdong, _ = add_case(work_city="东莞", work_province="广东省")
    elsewhere, _ = add_case(work_city="杭州", work_province="浙江")
    for case_id in (zhuhai, guangdong, elsewhere):
        route_case(case_id)
    assert [case_state(c).organisation_id for c in (zhuhai, guangdong, elsewhere)] == [
        city, city, home]
    [queue] = [e for e in events(zhuhai, EventKind.ROUTING) if "queue" in e.text]
    assert "珠海" in queue.text
    # An SMS intake case is in a queue from its first message (the default, until routing
    # knows where the worker works).
    texts(post_signed, "+8613812340001", "老板欠我工资")
    with get_db().begin() as s:
        opened = s.scalar(select(Case).order_by(Case.id.desc()).limit(1))
        assert opened is not None and opened.organisation_id == home


def test_origin_and_destination_staff_see_a_transferred_case_a_third_gets_404(
        app: Flask, web_world: WebWorld) -> None:
    third = add_org("深圳法律援助站")
    with get_db().begin() as s:
        staff_c = User(username="staff_c", role=Role.STAFF, organisation_id=third,
                       password_hash=s.scalar(select(User.password_hash).where(
                           User.username == "staff_a")))
        s.add(staff_c)
    number = web_world.assigned_to_a
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        case.log(EventKind.NOTE, "第一次通话：工地在固始", actor="user:staff_a")
    client_a = staff_client(app, "staff_a")
    page = f"/staff/cases/{number}"
    resp = post_form(client_a, page, f"{page}/transfer",
                     {"organisation_id": str(web_world.org_b), "note": "工友已到珠海"})
    assert resp.status_code == 302
    case = case_state_by_number(number)
    assert (case.organisation_id, case.origin_organisation_id) == (web_world.org_b,
                                                                   web_world.org_a)
    for username in ("staff_a", "staff_b"):
        html = staff_client(app, username).get(page).get_data(as_text=True)
        assert "工友已到珠海" in html  # the transfer note, on the shared timeline
        assert "第一次通话：工地在固始" in html  # and the history from before the transfer
        assert re.search(r'<p class="queue">[^<]*珠海市中心[^<]*固始县服务站', html)
    assert staff_client(app, "staff_c").get(page).status_code == 404
    listing = staff_client(app, "staff_a").get("/staff/cases?status=all").get_data(as_text=True)
    assert f"#{number}<" in listing


def case_state_by_number(number: int) -> Case:
    """A detached copy of the case with this number."""
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


# --- 5. escalations reach on-duty staff, or say that they reached nobody ---------------------

def test_escalation_texts_on_duty_staff_accounts(app: Flask) -> None:
    org = add_org("珠海市中心")
    with get_db().begin() as s:
        s.add_all([User(username="on", role=Role.STAFF, organisation_id=org, password_hash="x",
                        phone="+8613700000011", on_duty=True),
                   User(username="off", role=Role.STAFF, organisation_id=org,
                        password_hash="x", phone="+8613700000012", on_duty=False),
                   User(username="elsewhere", role=Role.STAFF, password_hash="x",
                        phone="+8613700000013", on_duty=True)])
    case_id, number = add_case(organisation_id=org)
    route(case_id)  # nobody eligible: escalates
    assert case_state(case_id).status == CaseStatus.ESCALATED
    assert [(m.to_number, f"#{number}" in m.body) for m in outbound(Purpose.ALERT)] == [
        ("+8613700000011", True)]


def test_staff_go_on_and_off_duty_by_sms(on_provider: World) -> None:
    org = add_org("珠海市中心")
    phone = "+8613700000021"
    with get_db().begin() as s:
        s.add(User(username="duty", role=Role.STAFF, organisation_id=org, password_hash="x",
                   phone=phone))
    assert "已值班" in texts_on(on_provider, phone, "上线")
    first, _ = add_case(organisation_id=org)
    route(first)
    assert [m.to_number for m in outbound(Purpose.ALERT)] == [phone]
    assert "已下班" in texts_on(on_provider, phone, "ＯＦＦ")
    second, _ = add_case(organisation_id=org)
    route(second)
    assert len(outbound(Purpose.ALERT)) == 1  # nobody on duty now: the timeline says so
    assert any("no staff" in e.text for e in events(second, EventKind.ROUTING))
    # As people text it: "我上线了", "下线啦".
    assert "已值班" in texts_on(on_provider, phone, "我上线了")
    assert "已下班" in texts_on(on_provider, phone, "下线啦")


def test_escalation_with_nobody_to_text_is_on_the_timeline(app: Flask, caplog: Any) -> None:
    app.config["STAFF_NUMBERS"] = []
    case_id, _number = add_case()
    route(case_id)
    assert case_state(case_id).status == CaseStatus.ESCALATED
    assert outbound(Purpose.ALERT) == []
    [note] = [e for e in events(case_id, EventKind.ROUTING) if "no staff" in e.text]
    assert note.data == {"alert": "staff_escalation", "texted": []}
    assert any("reached nobody" in r.getMessage() for r in caplog.records)


# --- 6. many workers in one report are urgent ------------------------------------------------

def test_a_single_report_for_many_workers_is_urgent(app: Flask) -> None:
    app.config.update(COLLECTIVE_MIN_WORKERS=3, URGENT_FANOUT=2)
    for _ in range(3):
        add_volunteer()
    small, _ = add_case(people_affected=2)
    big, _ = add_case(people_affected=8)
    route(small)
    route(big)
    assert case_state(small).urgency == Urgency.NORMAL and len(offers_of(small)) == 1
    assert case_state(big).urgency == Urgency.URGENT and len(offers_of(big)) == 2
    assert any("8 workers affected" in e.text for e in events(big, EventKind.ROUTING))


# --- 7. the score breakdown on the staff timeline ---------------------------------------------

def test_staff_case_page_shows_why_the_volunteer_was_chosen(app: Flask,
                                                            web_world: WebWorld) -> None:
    number = web_world.org_b_case
    vid = add_volunteer(organisation_id=web_world.org_b, skills=["wages"], regions=["深圳"],
                        name="赵律师")
    case = case_state_by_number(number)
    set_case(case.id, work_city="深圳", work_province="广东")
    route(case.id)
    html = staff_client(app, "staff_b").get(f"/staff/cases/{number}").get_data(as_text=True)
    offer = next(e for e in events(case.id, EventKind.OFFER))
    assert offer.data["volunteer_id"] == vid
    assert f"Score {offer.data['total']}" in html or f"匹配得分 {offer.data['total']}" in html
    for part, points in offer.data["parts"].items():
        assert f'data-part="{part}"' in html
        assert f"{points:+g}" in html


# --- 8. opted-out workers get case messages only if they texted since --------------------------

def test_worker_who_only_said_stop_gets_no_survey_or_relay(on_provider: World) -> None:
    case_id, number, _vid, vphone = assigned_case()
    texts_on(on_provider, WORKER, "STOP")
    texts_on(on_provider, vphone, f"R{number} 明天给您打电话")
    [relay] = outbound(Purpose.RELAY, to=WORKER)
    deliver(relay.id)
    with get_db().begin() as s:
        sent = s.get(Message, relay.id)
        assert sent is not None and sent.status == MessageStatus.FAILED
        assert sent.error_message == "recipient opted out and has not texted since"
    assert any("not sent" in e.text for e in events(case_id, EventKind.MESSAGE_OUT))
    texts_on(on_provider, vphone, f"DONE {number}")
    assert case_state(case_id).survey_sent_at is None
    assert [m for m in outbound(Purpose.REPLY, to=WORKER) if "1-5" in m.body] == []
    assert any("not sent" in e.text for e in events(case_id, EventKind.SURVEY))


def test_worker_who_texted_after_stop_still_gets_case_messages(on_provider: World) -> None:
    case_id, number, _vid, vphone = assigned_case()
    texts_on(on_provider, WORKER, "退订")
    texts_on(on_provider, WORKER, "老板还没给钱，怎么办")  # writing about their case again
    texts_on(on_provider, vphone, f"R{number} 明天给您打电话")
    [relay] = outbound(Purpose.RELAY, to=WORKER)
    deliver(relay.id)
    with get_db().begin() as s:
        sent = s.get(Message, relay.id)
        assert sent is not None and sent.status != MessageStatus.FAILED
    texts_on(on_provider, vphone, f"DONE {number}")
    assert case_state(case_id).survey_sent_at is not None


def test_campaigns_stay_blocked_even_after_a_text(on_provider: World) -> None:
    from hotline.optout import OPTED_OUT, refusal
    from models import Contact

    texts_on(on_provider, WORKER, "STOP")
    texts_on(on_provider, WORKER, "我的案子怎么样了")
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == WORKER))
        assert contact is not None
        assert refusal(s, contact, Purpose.CAMPAIGN) == OPTED_OUT
        assert refusal(s, contact, Purpose.RELAY) is None
