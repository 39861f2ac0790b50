"""Who may see what: every role rule of the web UI, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.infra.db import get_db
from models import AuditAction, AuditLog, Case, User
from tests.conftest import ACCOUNT_SID, WebWorld, web_login


def client_as(app: Flask, username: str | None) -> Any:
    """A test client, logged in as `username` (None: anonymous)."""
    client = app.test_client()
    if username is not None:
        resp = web_login(client, username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


@pytest.mark.parametrize("path", ["/staff/", "/staff/cases", "/staff/cases/1001", "/inbox/",
                                  "/inbox/cases/1001", "/staff/reports/monthly.csv",
                                  "/staff/volunteers", "/staff/opt-outs"])
def test_anonymous_is_sent_to_login(app: Flask, path: str) -> None:
    resp = app.test_client().get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def case_status_for(app: Flask, username: str, world: WebWorld) -> dict[str, int]:
    """HTTP status of each world case's page for this user."""
    client = client_as(app, username)
    prefix = "/inbox" if username.startswith("vol") else "/staff"
    return {name: client.get(f"{prefix}/cases/{getattr(world, name)}").status_code
            for name in ("assigned_to_a", "offered_to_b", "org_b_case", "declined_by_a")}


@pytest.mark.parametrize(("username", "expected"), [
    # A volunteer sees only cases assigned to them or offered to them now; all else is 404.
    ("vol_a", {"assigned_to_a": 200, "offered_to_b": 404, "org_b_case": 404,
               "declined_by_a": 404}),
    ("vol_b", {"assigned_to_a": 404, "offered_to_b": 200, "org_b_case": 404,
               "declined_by_a": 404}),
    # Staff see their own organisation's queue only; admins see every organisation's.
    ("staff_a", {"assigned_to_a": 200, "offered_to_b": 200, "org_b_case": 404,
                 "declined_by_a": 200}),
    ("staff_b", {"assigned_to_a": 404, "offered_to_b": 404, "org_b_case": 200,
                 "declined_by_a": 404}),
    ("admin", {"assigned_to_a": 200, "offered_to_b": 200, "org_b_case": 200,
               "declined_by_a": 200}),
])
def test_case_visibility_by_role(app: Flask, web_world: WebWorld, username: str,
                                 expected: dict[str, int]) -> None:
    assert case_status_for(app, username, web_world) == expected


def test_unknown_case_is_404_for_everyone(app: Flask, web_world: WebWorld) -> None:
    assert client_as(app, "admin").get("/staff/cases/999999").status_code == 404
    assert client_as(app, "vol_a").get("/inbox/cases/999999").status_code == 404


@pytest.mark.parametrize(("username", "path", "status"), [
    ("vol_a", "/staff/", 403), ("vol_a", "/staff/cases", 403), ("vol_a", "/staff/audit", 403),
    ("staff_a", "/inbox/", 403), ("staff_a", "/staff/audit", 403), ("admin", "/staff/audit", 200),
])
def test_sections_are_closed_to_other_roles(app: Flask, web_world: WebWorld, username: str,
                                            path: str, status: int) -> None:
    assert client_as(app, username).get(path).status_code == status


def test_case_list_shows_only_own_organisation(app: Flask, web_world: WebWorld) -> None:
    html = client_as(app, "staff_b").get("/staff/cases?status=all").get_data(as_text=True)
    assert f"#{web_world.org_b_case}<" in html
    for other in (web_world.assigned_to_a, web_world.offered_to_b, web_world.declined_by_a):
        assert f"#{other}<" not in html


def test_volunteer_cannot_work_a_case_only_offered(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "vol_b")
    page = client.get(f"/inbox/cases/{web_world.offered_to_b}").get_data(as_text=True)
    token = csrf_of(page)
    resp = client.post(f"/inbox/cases/{web_world.offered_to_b}/note",
                       data={"text": "hello", "csrf_token": token})
    assert resp.status_code == 404


def test_volunteer_a_posting_to_b_case_is_404(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "vol_a")
    token = csrf_of(client.get("/inbox/").get_data(as_text=True))
    for action in ("note", "outcome", "relay", "call"):
        resp = client.post(f"/inbox/cases/{web_world.offered_to_b}/{action}",
                           data={"text": "x", "body": "x", "status": "resolved",
                                 "csrf_token": token})
        assert resp.status_code == 404, action


def csrf_of(html: str) -> str:
    """The first CSRF token on a page."""
    from tests.conftest import csrf_from

    return csrf_from(html)


def test_phone_is_masked_and_reveal_is_audited(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "staff_a")
    url = f"/staff/cases/{web_world.assigned_to_a}"
    page = client.get(url).get_data(as_text=True)
    assert web_world.worker_phone not in page
    assert "+86 138****8000" in page
    resp = client.post(url + "/reveal", data={"csrf_token": csrf_of(page)},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert web_world.worker_phone in resp.get_data(as_text=True)
    with get_db().begin() as session:
        entry = session.scalars(select(AuditLog)).one()
        user = session.get(User, entry.user_id)
        case = session.get(Case, entry.case_id)
        assert user is not None and user.username == "staff_a"
        assert case is not None and case.number == web_world.assigned_to_a
        assert entry.action == AuditAction.REVEAL_PHONE and entry.at is not None
        case_id = case.id
    # The audit page names the case by the number staff know, not by its row id.
    audit_page = client_as(app, "admin").get("/staff/audit").get_data(as_text=True)
    assert f"#{web_world.assigned_to_a}" in audit_page
    assert f"<td>{case_id}</td>" not in audit_page


def test_staff_cannot_reveal_another_organisations_number(app: Flask,
                                                           web_world: WebWorld) -> None:
    client = client_as(app, "staff_b")
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    resp = client.post(f"/staff/cases/{web_world.assigned_to_a}/reveal",
                       data={"csrf_token": token})
    assert resp.status_code == 404
    with get_db().begin() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_volunteer_never_sees_the_full_number(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "vol_a")
    page = client.get(f"/inbox/cases/{web_world.assigned_to_a}").get_data(as_text=True)
    assert web_world.worker_phone not in page
    assert "/reveal" not in page
    assert client.post(f"/staff/cases/{web_world.assigned_to_a}/reveal",
                       data={"csrf_token": csrf_of(page)}).status_code == 403


def test_report_export_is_audited(app: Flask, web_world: WebWorld) -> None:
    resp = client_as(app, "staff_a").get("/staff/reports/monthly.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    with get_db().begin() as session:
        entry = session.scalars(select(AuditLog)).one()
        assert entry.action == AuditAction.EXPORT_REPORT


def _call_with_recording(case_number: int, url: str) -> int:
    """A finished inbound call on the case whose voicemail is held at `url`."""
    from models import Call, CallStatus, Direction, EventKind

    with get_db().begin() as session:
        n = session.scalar(select(func.count()).select_from(Call)) or 0
        case = session.scalars(select(Case).where(Case.number == case_number)).one()
        call = Call(sid=f"CA{n:032d}", direction=Direction.INBOUND,
                    status=CallStatus.COMPLETED, from_number="+8613800138000",
                    to_number="+8675500000000", recording_url=url, case_id=case.id)
        session.add(call)
        session.flush()
        case.log(EventKind.CALL, "incoming call", call_id=call.id)
        case.log(EventKind.CALL, "recording ready (voicemail)", call_id=call.id)
        return call.id


def test_recording_is_fetched_with_our_credentials_and_audited(
        app: Flask, web_world: WebWorld, fake_twilio: Any) -> None:
    call_id = _call_with_recording(web_world.assigned_to_a, fake_twilio.add_recording(0.5))
    client = client_as(app, "staff_a")
    page = client.get(f"/staff/cases/{web_world.assigned_to_a}").get_data(as_text=True)
    assert page.count(f"/staff/calls/{call_id}/recording") == 1  # one player per call
    assert "/Recordings/" not in page  # the provider's address never reaches the browser
    token = csrf_of(page)
    resp = client.post(f"/staff/calls/{call_id}/recording", data={"csrf_token": token})
    assert resp.status_code == 200 and resp.mimetype == "audio/x-wav"
    assert resp.data[:4] == b"RIFF" and len(resp.data) > 8000  # 0.5 s of 16-bit 8 kHz audio
    assert resp.headers["Cache-Control"] == "no-store"
    fetched = [r for r in fake_twilio.requests if "/Recordings/" in r["path"]]
    assert [r["status"] for r in fetched] == [200]
    with get_db().begin() as session:
        entry = session.scalars(select(AuditLog)).one()
        assert entry.action == AuditAction.PLAY_RECORDING


def test_recording_of_another_organisation_is_404_and_not_fetched(
        app: Flask, web_world: WebWorld, fake_twilio: Any) -> None:
    call_id = _call_with_recording(web_world.assigned_to_a, fake_twilio.add_recording(0.2))
    client = client_as(app, "staff_b")
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    assert client.post(f"/staff/calls/{call_id}/recording",
                       data={"csrf_token": token}).status_code == 404
    assert not [r for r in fake_twilio.requests if "/Recordings/" in r["path"]]
    with get_db().begin() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize("url", [
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'0' * 32}",
    "https://api.twilio.com/2010-04-01/Accounts/AC" + "a" * 32 + "/Recordings/RE" + "0" * 32,
    "https://evil.example/steal?u=/2010-04-01/Accounts/",
])
def test_missing_or_foreign_recording_is_a_clear_message(
        app: Flask, web_world: WebWorld, url: str) -> None:
    call_id = _call_with_recording(web_world.assigned_to_a, url)
    client = client_as(app, "staff_a")
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    resp = client.post(f"/staff/calls/{call_id}/recording", data={"csrf_token": token},
                       follow_redirects=True)
    assert resp.status_code == 200
    assert "无法取回录音" in resp.get_data(as_text=True)


def test_volunteer_hears_recordings_of_own_cases_only(
        app: Flask, web_world: WebWorld, fake_twilio: Any) -> None:
    mine = _call_with_recording(web_world.assigned_to_a, fake_twilio.add_recording(0.2))
    client = client_as(app, "vol_a")
    page = client.get(f"/inbox/cases/{web_world.assigned_to_a}").get_data(as_text=True)
    assert f"/inbox/calls/{mine}/recording" in page
    resp = client.post(f"/inbox/calls/{mine}/recording", data={"csrf_token": csrf_of(page)})
    assert resp.status_code == 200 and resp.data[:4] == b"RIFF"
    offered = _call_with_recording(web_world.offered_to_b, fake_twilio.add_recording(0.2))
    other = client_as(app, "vol_b")  # only offered the case: may read it, not hear the worker
    page = other.get(f"/inbox/cases/{web_world.offered_to_b}").get_data(as_text=True)
    assert "/recording" not in page
    assert other.post(f"/inbox/calls/{offered}/recording",
                      data={"csrf_token": csrf_of(page)}).status_code == 404
    with get_db().begin() as session:
        [entry] = session.scalars(select(AuditLog)).all()
        assert session.get(User, entry.user_id).username == "vol_a"  # type: ignore[union-attr]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    from models import Base

    with get_db().begin() as session:
        return {table.name: sorted(tuple(map(repr, row)) for row in
                                   session.execute(select(table)).all())
                for table in Base.metadata.sorted_tables}


@pytest.mark.parametrize("action", ["status", "note", "reassign", "transfer", "text", "merge",
                                    "reveal"])
def test_staff_of_another_organisation_cannot_act_on_a_case(
        app: Flask, web_world: WebWorld, action: str) -> None:
    client = client_as(app, "staff_b")
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    before = snapshot()
    for target in (web_world.assigned_to_a, web_world.offered_to_b):
        resp = client.post(f"/staff/cases/{target}/{action}", data={
            "csrf_token": token, "status": "closed", "note": "mine now", "text": "mine now",
            "body": "你好", "volunteer_id": str(web_world.vol_a),
            "organisation_id": str(web_world.org_b), "into": str(web_world.org_b_case),
            "survivor": str(web_world.org_b_case)})
        assert resp.status_code == 404, (action, target)
    assert snapshot() == before


def test_staff_cannot_merge_their_case_into_another_organisations(
        app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "staff_b")
    page = client.get(f"/staff/cases/{web_world.org_b_case}").get_data(as_text=True)
    before = snapshot()
    client.post(f"/staff/cases/{web_world.org_b_case}/merge",
                data={"csrf_token": csrf_of(page), "into": str(web_world.assigned_to_a),
                      "survivor": str(web_world.assigned_to_a)})
    assert snapshot() == before


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_volunteer_cannot_answer_another_volunteers_offer(
        app: Flask, web_world: WebWorld, answer: str) -> None:
    client = client_as(app, "vol_a")
    token = csrf_of(client.get("/inbox/").get_data(as_text=True))
    before = snapshot()
    resp = client.post(f"/inbox/offers/{web_world.offered_to_b}?lang=en",
                       data={"answer": answer, "csrf_token": token}, follow_redirects=True)
    assert resp.status_code in (200, 404)
    if resp.status_code == 200:
        assert "no longer offered to you" in resp.get_data(as_text=True)
    assert snapshot() == before
    # Nor work it, nor hear it.
    for action in ("note", "outcome", "relay", "call"):
        assert client.post(f"/inbox/cases/{web_world.offered_to_b}/{action}",
                           data={"text": "x", "body": "x", "status": "resolved",
                                 "csrf_token": token}).status_code == 404
    assert snapshot() == before
