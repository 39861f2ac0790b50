"""Login, CSRF, throttling, cookies, and every form of the console and the inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    LoginAttempt,
    Message,
    Offer,
    OfferStatus,
    Purpose,
    Volunteer,
)
from tests.conftest import WEB_PASSWORD, WebWorld, csrf_from, web_login


def logged_in(app: Flask, username: str) -> tuple[Any, str]:
    """A client logged in as `username`, and a CSRF token of its session."""
    client = app.test_client()
    assert web_login(client, username).status_code == 302
    return client, csrf_from(client.get("/login?lang=en", follow_redirects=True)
                             .get_data(as_text=True))


def case_of(number: int) -> Case:
    """Re-read a case by number."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


def events(number: int, kind: EventKind) -> list[CaseEvent]:
    """Timeline entries of one kind."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return list(session.scalars(case.events.select().where(CaseEvent.kind == kind)))


# --- CSRF ---------------------------------------------------------------------------------

def ui_post_routes(app: Flask) -> list[tuple[str, str]]:
    """(rule, endpoint) of every state-changing route but the carriers' webhooks (signed, or
    behind a secret path, instead): read from the app, so a new form is covered by the CSRF
    test without editing it."""
    return sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  if rule.methods and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
                  and not rule.rule.startswith(("/twilio/", "/alibaba/")))


def route_url(app: Flask, endpoint: str, rule: str, world: WebWorld, ids: dict[str, int]
              ) -> str:
    """A URL of the route, aimed at real rows of the world (so a bypass would change them)."""
    from werkzeug.routing import Rule

    [found] = [r for r in app.url_map.iter_rules() if r.rule == rule and r.endpoint == endpoint]
    assert isinstance(found, Rule)
    values: dict[str, Any] = {"number": world.assigned_to_a, "volunteer_id": world.vol_a,
                              "action": "start", **ids}
    if endpoint == "volunteer.answer":
        values["number"] = world.offered_to_b
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: v for k, v in values.items() if k in found.arguments})


def world_rows(world: WebWorld) -> dict[str, int]:
    """A call with a recording on case A and a draft campaign of organisation A."""
    from models import Call, CallStatus, Direction, MessageStatus, User
    from models.campaign import Campaign

    with get_db().begin() as session:
        case = session.scalars(select(Case).where(Case.number == world.assigned_to_a)).one()
        call = Call(sid="CA" + "7" * 32, direction=Direction.INBOUND,
                    status=CallStatus.COMPLETED, from_number=world.worker_phone,
                    to_number="+8610086000000", case_id=case.id,
                    recording_url="https://api.twilio.com/x/Recordings/RE" + "0" * 32)
        campaign = Campaign(name="csrf", sender="+8610086000000", organisation_id=world.org_a,
                            created_by="staff_a")
        # A text waiting in the staff inbox, and another account (triage, account admin).
        text = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                       from_number=world.worker_phone, to_number="+8610086000000", body="x",
                       contact_id=case.contact_id, inbox_state="open")
        session.add_all([call, campaign, text])
        session.flush()
        account = session.scalars(select(User.id).where(User.username == "staff_b")).one()
        return {"call_id": call.id, "campaign_id": campaign.id, "message_id": text.id,
                "user_id": account, "contact_id": case.contact_id}


def test_every_post_route_needs_a_csrf_token_and_changes_nothing(
        app: Flask, web_world: WebWorld) -> None:
    from tests.test_web_access import snapshot

    routes = ui_post_routes(app)
    assert len(routes) >= 20 and ("/logout", "auth.logout") in routes
    ids = world_rows(web_world)
    clients = {"vol": logged_in(app, "vol_a")[0], "staff": logged_in(app, "admin")[0],
               "anonymous": app.test_client()}
    before = snapshot()
    form = {"text": "x", "body": "x", "status": "closed", "answer": "accept", "on_duty": "0",
            "volunteer_id": str(web_world.vol_b), "organisation_id": str(web_world.org_b),
            "note": "x", "into": str(web_world.declined_by_a), "name": "x", "text_zh": "x"}
    for rule, endpoint in routes:
        who = ("anonymous" if endpoint == "auth.login"
               else "vol" if endpoint.startswith("volunteer.") else "staff")
        url = route_url(app, endpoint, rule, web_world, ids)
        for data in (form, {**form, "csrf_token": "forged"}):
            resp = clients[who].post(url, data=data)
            assert resp.status_code == 400, (url, who, resp.status_code)
    assert snapshot() == before
    # The clients are still logged in: the refused logout did not log anyone out.
    assert clients["staff"].get("/staff/").status_code == 200


def test_login_form_needs_csrf_token(app: Flask, web_world: WebWorld) -> None:
    resp = app.test_client().post("/login", data={"username": "admin",
                                                  "password": WEB_PASSWORD})
    assert resp.status_code == 400


def test_token_from_another_session_is_refused(app: Flask, web_world: WebWorld) -> None:
    _, other_token = logged_in(app, "staff_b")
    client, _ = logged_in(app, "staff_a")
    resp = client.post(f"/staff/cases/{web_world.assigned_to_a}/note",
                       data={"text": "x", "csrf_token": other_token})
    assert resp.status_code == 400


def test_twilio_webhooks_are_not_csrf_checked(app: Flask, web_world: WebWorld,
                                              post_signed: Any) -> None:
    from tests.conftest import sms_form

    assert post_signed("/twilio/sms", sms_form("+8613700000009", "老板欠薪")).status_code == 200


# --- login, throttling, cookies, logout -----------------------------------------------------

def test_login_sets_a_hardened_session_cookie(app: Flask, web_world: WebWorld) -> None:
    resp = web_login(app.test_client(), "staff_a")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # the test PUBLIC_URL is https


def test_wrong_password_then_throttled_per_account_and_address(app: Flask,
                                                               web_world: WebWorld) -> None:
    client = app.test_client()
    for _ in range(5):
        assert web_login(client, "staff_a", "wrong password!").status_code == 401
    # Even the right password is refused now, from this address...
    assert web_login(client, "staff_a").status_code == 429
    # ...but the owner can still log in from elsewhere, and other accounts are unaffected.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert web_login(elsewhere, "staff_a").status_code == 302
    assert web_login(app.test_client(), "staff_b").status_code == 302
    with get_db().begin() as session:
        failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == "staff_a", LoginAttempt.success.is_(False)))
        assert failures == 5  # refused tries are not checked, so not counted


def test_failures_from_one_address_are_not_wiped_by_a_login_elsewhere(
        app: Flask, web_world: WebWorld) -> None:
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.6.6.6"
    for _ in range(4):
        assert web_login(attacker, "staff_a", "wrong password!").status_code == 401
    owner = app.test_client()  # the real staff_a, at the office
    assert web_login(owner, "staff_a").status_code == 302
    assert web_login(attacker, "staff_a", "wrong password!").status_code == 401
    assert web_login(attacker, "staff_a", "still wrong!!").status_code == 429
    assert web_login(attacker, "staff_a").status_code == 429  # the right one is refused too


def test_password_spraying_from_one_address_is_throttled(app: Flask,
                                                         web_world: WebWorld) -> None:
    from hotline.web.auth import MAX_FAILURES_PER_ADDRESS

    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "10.7.7.7"
    # A few guesses at many accounts (never 5 at one), then one the sprayer may own.
    for i in range(MAX_FAILURES_PER_ADDRESS):
        assert web_login(sprayer, f"user{i % 10}", "Password123!").status_code == 401
    assert web_login(sprayer, "staff_b").status_code == 429
    assert web_login(sprayer, "admin", "Password123!").status_code == 429
    # Other addresses are not affected.
    assert web_login(app.test_client(), "staff_b").status_code == 302


def test_unknown_user_and_empty_password(app: Flask, web_world: WebWorld) -> None:
    assert web_login(app.test_client(), "nobody").status_code == 401
    assert web_login(app.test_client(), "admin", "").status_code == 400


def test_logout_ends_the_session(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.get("/staff/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_copied_session_cookie_dies_at_logout(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    copy = app.test_client()  # someone who copied the cookie (shared computer, stolen file)
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    assert copy.get("/staff/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert copy.get("/staff/").status_code == 302  # sent to the login page
    assert client.get("/staff/").status_code == 302
    # Logging in again makes a session that works (under the new version).
    again, _ = logged_in(app, "staff_a")
    assert again.get("/staff/").status_code == 200


def test_a_new_password_ends_every_session(app: Flask, web_world: WebWorld) -> None:
    from models import User

    client, _ = logged_in(app, "vol_a")
    assert client.get("/inbox/").status_code == 200
    with get_db().begin() as session:
        user = session.scalars(select(User).where(User.username == "vol_a")).one()
        user.set_password("a brand new password")
    assert client.get("/inbox/").status_code == 302
    assert web_login(app.test_client(), "vol_a", "a brand new password").status_code == 302


def test_session_expires_when_idle_and_after_the_cap(app: Flask, web_world: WebWorld) -> None:
    import time

    from hotline.web.auth import LOGIN_AT

    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 120 * 60
    client, _ = logged_in(app, "staff_a")
    resp = client.get("/staff/")
    assert resp.status_code == 200
    assert "Expires=" in resp.headers["Set-Cookie"]  # a permanent, refreshed cookie
    # Idle: Flask refuses a cookie signed longer ago than the lifetime (here: any cookie).
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=-1)
    try:
        assert client.get("/staff/").status_code == 302
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    # Busy but too old: the login began more than SESSION_MAX_HOURS ago.
    client, _ = logged_in(app, "staff_a")
    with client.session_transaction() as sess:
        sess[LOGIN_AT] = time.time() - app.config["SESSION_MAX_HOURS"] * 3600 - 1
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize(("public_url", "flag", "secure"), [
    ("https://hotline.example.org", "", True), ("http://10.0.0.5:8000", "", False),
    ("http://10.0.0.5:8000", "1", True), (None, "yes", True), ("https://x.example", "0", True),
])
def test_secure_cookie_setting(public_url: str | None, flag: str, secure: bool) -> None:
    from hotline.infra.config import web_session_cookies

    cfg = {"PUBLIC_URL": public_url, "SESSION_COOKIE_SECURE": flag,
           "SESSION_IDLE_MINUTES": "30", "SESSION_MAX_HOURS": "8"}
    web_session_cookies(cfg)
    assert cfg["SESSION_COOKIE_SECURE"] is secure
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60


@pytest.mark.parametrize(("next_url", "lands"), [
    ("/staff/cases", "/staff/cases"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
])
def test_login_follows_only_local_next(app: Flask, web_world: WebWorld, next_url: str,
                                       lands: str) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", query_string={"next": next_url},
                       data={"username": "staff_a", "password": WEB_PASSWORD,
                             "csrf_token": token})
    assert resp.headers["Location"] == lands


# --- staff actions --------------------------------------------------------------------------

def test_staff_note_status_and_invalid_status(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.assigned_to_a
    assert client.post(f"/staff/cases/{number}/note",
                       data={"text": "called the employer", "csrf_token": token}
                       ).status_code == 302
    assert [e.text for e in events(number, EventKind.NOTE)] == ["called the employer"]
    assert events(number, EventKind.NOTE)[0].actor == "user:staff_a"
    assert client.post(f"/staff/cases/{number}/note", data={"text": " ", "csrf_token": token}
                       ).status_code == 400
    resp = client.post(f"/staff/cases/{number}/status",
                       data={"status": "in_progress", "note": "started", "csrf_token": token})
    assert resp.status_code == 302 and case_of(number).status == CaseStatus.IN_PROGRESS
    resp = client.post(f"/staff/cases/{number}/status",
                       data={"status": "offered", "csrf_token": token})  # not allowed
    assert resp.status_code == 400 and case_of(number).status == CaseStatus.IN_PROGRESS
    assert client.post(f"/staff/cases/{number}/status", data={"status": "bogus",
                                                               "csrf_token": token}
                       ).status_code == 400


def test_staff_reassign_withdraws_offers(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.offered_to_b
    resp = client.post(f"/staff/cases/{number}/reassign",
                       data={"volunteer_id": web_world.vol_a, "csrf_token": token})
    assert resp.status_code == 302
    case = case_of(number)
    assert case.assigned_volunteer_id == web_world.vol_a and case.status == CaseStatus.ASSIGNED
    with get_db().begin() as session:
        offer = session.scalar(select(Offer).where(Offer.case_id == case.id))
        assert offer is not None and offer.status == OfferStatus.WITHDRAWN
    # A volunteer of another organisation cannot be chosen.
    with get_db().begin() as session:
        stranger = Volunteer(name="外人", phone="+8613900000099",
                             organisation_id=web_world.org_b)
        session.add(stranger)
        session.flush()
        stranger_id = stranger.id
    assert client.post(f"/staff/cases/{number}/reassign",
                       data={"volunteer_id": stranger_id, "csrf_token": token}
                       ).status_code == 400


def test_staff_transfer_moves_case_to_partner_queue(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.declined_by_a
    assert client.post(f"/staff/cases/{number}/transfer",
                       data={"organisation_id": web_world.org_b, "note": "",
                             "csrf_token": token}).status_code == 400
    resp = client.post(f"/staff/cases/{number}/transfer",
                       data={"organisation_id": web_world.org_b, "note": "worker went home",
                             "csrf_token": token})
    assert resp.status_code == 302
    assert case_of(number).organisation_id == web_world.org_b
    # The office that handed it over keeps sight: home county and work city manage it together
    # (tests/test_routing_followups.py has the 404 side).
    assert "worker went home" in client.get(f"/staff/cases/{number}").get_data(as_text=True)
    staff_b, _ = logged_in(app, "staff_b")
    assert "worker went home" in staff_b.get(f"/staff/cases/{number}").get_data(as_text=True)


def test_duty_toggle(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.post(f"/staff/volunteers/{web_world.vol_a}/duty",
                       data={"on_duty": "0", "csrf_token": token}).status_code == 303
    with get_db().begin() as session:
        volunteer = session.get(Volunteer, web_world.vol_a)
        assert volunteer is not None and volunteer.on_duty is False
    staff_b, token_b = logged_in(app, "staff_b")
    assert staff_b.post(f"/staff/volunteers/{web_world.vol_a}/duty",
                        data={"on_duty": "1", "csrf_token": token_b}).status_code == 404


# --- volunteer actions ----------------------------------------------------------------------

def test_volunteer_goes_off_and_on_duty_from_the_inbox(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_a")
    resp = client.post("/inbox/duty", data={"on_duty": "0", "csrf_token": token},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Go on duty" in page
    with get_db().begin() as session:
        assert session.get(Volunteer, web_world.vol_a).on_duty is False  # type: ignore[union-attr]
    resp = client.post("/inbox/duty", data={"on_duty": "1", "csrf_token": token},
                       follow_redirects=True)
    assert "Go off duty" in resp.get_data(as_text=True)
    with get_db().begin() as session:
        assert session.get(Volunteer, web_world.vol_a).on_duty is True  # type: ignore[union-attr]
    assert client.post("/inbox/duty", data={"on_duty": "0"}).status_code == 400  # no CSRF



def test_volunteer_accepts_an_offer(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_b")
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert f"offer-{web_world.offered_to_b}" in inbox
    resp = client.post(f"/inbox/offers/{web_world.offered_to_b}",
                       data={"answer": "accept", "csrf_token": token})
    assert resp.status_code == 303
    case = case_of(web_world.offered_to_b)
    assert case.assigned_volunteer_id == web_world.vol_b and case.status == CaseStatus.ASSIGNED
    # Answering again: the offer is closed, nothing changes.
    again = client.post(f"/inbox/offers/{web_world.offered_to_b}",
                        data={"answer": "decline", "csrf_token": token})
    assert again.status_code == 303
    assert case_of(web_world.offered_to_b).assigned_volunteer_id == web_world.vol_b


def test_volunteer_declines_an_offer_and_loses_sight(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_b")
    client.post(f"/inbox/offers/{web_world.offered_to_b}",
                data={"answer": "decline", "csrf_token": token})
    assert case_of(web_world.offered_to_b).status == CaseStatus.NEW
    assert client.get(f"/inbox/cases/{web_world.offered_to_b}").status_code == 404


def test_volunteer_outcome_with_money_recovered(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_a")
    number = web_world.assigned_to_a
    bad = client.post(f"/inbox/cases/{number}/outcome",
                      data={"status": "resolved", "amount_recovered": "lots",
                            "csrf_token": token})
    assert bad.status_code == 400 and case_of(number).status == CaseStatus.ASSIGNED
    resp = client.post(f"/inbox/cases/{number}/outcome",
                       data={"status": "resolved", "amount_recovered": "1.2万",
                             "note": "paid after mediation", "csrf_token": token})
    assert resp.status_code == 303
    case = case_of(number)
    assert case.status == CaseStatus.RESOLVED and case.amount_recovered == Decimal("12000.00")
    assert case.survey_sent_at is not None  # the routing engine's closing survey went out


def test_volunteer_relays_a_text_from_the_hotline_number(app: Flask,
                                                         web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_a")
    number = web_world.assigned_to_a
    assert client.post(f"/inbox/cases/{number}/relay", data={"body": "", "csrf_token": token}
                       ).status_code == 400
    assert client.post(f"/inbox/cases/{number}/relay",
                       data={"body": "x" * 501, "csrf_token": token}).status_code == 400
    resp = client.post(f"/inbox/cases/{number}/relay",
                       data={"body": "明天上午去劳动监察大队", "csrf_token": token})
    assert resp.status_code == 303
    with get_db().begin() as session:
        msg = session.scalar(select(Message).where(Message.purpose == Purpose.RELAY))
        assert msg is not None and msg.to_number == web_world.worker_phone
        assert msg.from_number == app.config["HOTLINE_NUMBER"]
        assert "明天上午去劳动监察大队" in msg.body
    assert case_of(number).status == CaseStatus.IN_PROGRESS


def test_staff_text_the_worker_of_an_escalated_case(app: Flask, web_world: WebWorld) -> None:
    number = web_world.org_b_case  # nobody has it: staff answer the worker themselves
    other, other_token = logged_in(app, "staff_a")  # another organisation's case: 404
    assert other.post(f"/staff/cases/{number}/text",
                      data={"body": "你好", "csrf_token": other_token}).status_code == 404
    client, token = logged_in(app, "staff_b")
    assert client.post(f"/staff/cases/{number}/text", data={"body": " ", "csrf_token": token}
                       ).status_code == 400
    assert client.post(f"/staff/cases/{number}/text",
                       data={"body": "x" * 501, "csrf_token": token}).status_code == 400
    resp = client.post(f"/staff/cases/{number}/text",
                       data={"body": "请明天带上工资条来中心", "csrf_token": token})
    assert resp.status_code == 303
    with get_db().begin() as session:
        [msg] = session.scalars(select(Message).where(Message.purpose == Purpose.RELAY)).all()
        assert msg.to_number == web_world.worker_phone
        assert msg.from_number == app.config["HOTLINE_NUMBER"]
        assert msg.body == f"工友热线（案件{number}）工作人员：请明天带上工资条来中心"
    [note] = events(number, EventKind.MESSAGE_OUT)
    assert note.actor == "user:staff_b" and "请明天带上工资条来中心" in note.text
    volunteer, vol_token = logged_in(app, "vol_a")
    assert volunteer.post(f"/staff/cases/{web_world.assigned_to_a}/text",
                          data={"body": "x", "csrf_token": vol_token}).status_code == 403


def test_volunteer_asks_for_a_bridged_call(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_a")
    number = web_world.assigned_to_a
    assert client.post(f"/inbox/cases/{number}/call", data={"csrf_token": token}
                       ).status_code == 303
    assert any("asked for a call" in e.text for e in events(number, EventKind.CALL))


@pytest.mark.parametrize("finished", [CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_volunteer_cannot_work_a_finished_case(app: Flask, web_world: WebWorld,
                                               finished: CaseStatus) -> None:
    number = web_world.assigned_to_a
    with get_db().begin() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case.status, case.amount_recovered = finished, Decimal(500)
    client, token = logged_in(app, "vol_a")
    page = client.get(f"/inbox/cases/{number}?lang=en").get_data(as_text=True)
    assert f"/inbox/cases/{number}/relay" not in page
    assert f"/inbox/cases/{number}/call" not in page
    assert f"/inbox/cases/{number}/outcome" not in page
    assert "outcome is final" in page
    for action, form in [("outcome", {"status": "in_progress", "amount_recovered": "9000"}),
                         ("relay", {"body": "还在吗"}), ("call", {})]:
        resp = client.post(f"/inbox/cases/{number}/{action}", data={**form, "csrf_token": token})
        assert resp.status_code == 409, action
        assert "is finished" in resp.get_data(as_text=True)
    case = case_of(number)
    assert case.status == finished and case.amount_recovered == Decimal(500)
    assert case.worker_contacted_at is None
    with get_db().begin() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert events(number, EventKind.CALL) == [] and events(number, EventKind.STATUS) == []
    # A note on the volunteer's own finished case is still fine (the record stays complete).
    assert client.post(f"/inbox/cases/{number}/note",
                       data={"text": "worker thanked us", "csrf_token": token}
                       ).status_code == 303
