"""Status callbacks for campaign recipients: signed, one UPDATE, never backwards, unknown SIDs
ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import Campaign, Contact, Recipient, RecipientStatus
from tests.conftest import ACCOUNT_SID

R = RecipientStatus
SID = "SM" + "a" * 32


def recipient(status: R = R.ACCEPTED, sid: str | None = SID) -> int:
    """One recipient row in the given state."""
    with get_db().begin() as s:
        contact = Contact(phone="+8613800138000")
        campaign = Campaign(name="c", sender="+8610000")
        s.add_all([contact, campaign])
        s.flush()
        row = Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=contact.phone,
                        language="zh", timezone="Asia/Shanghai", status=status,
                        provider_sid=sid)
        s.add(row)
        s.flush()
        return row.id


def form(status: str, sid: str = SID, **extra: str) -> dict[str, str]:
    """A status callback form as Twilio posts it."""
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": ACCOUNT_SID, "To": "+8613800138000", **extra}


def state(rid: int) -> tuple[R, str | None, int | None]:
    """(status, sid, error code) of a recipient."""
    with get_db().begin() as s:
        row = s.get(Recipient, rid)
        assert row is not None
        return row.status, row.provider_sid, row.error_code


SEQUENCES = [
    # (starting status, starting sid, callbacks in arrival order, final status)
    (R.ACCEPTED, SID, ["sent", "delivered"], R.DELIVERED),
    (R.ACCEPTED, SID, ["delivered", "sent", "queued"], R.DELIVERED),  # late ones ignored
    (R.SENDING, None, ["sent"], R.SENT),  # callback before the task recorded the SID
    (R.UNKNOWN, None, ["delivered"], R.DELIVERED),  # a timed-out send that did go
    (R.ACCEPTED, SID, ["undelivered", "delivered"], R.UNDELIVERED),
    (R.PENDING, None, ["delivered"], R.PENDING),  # never sent: no report can apply
]


@pytest.mark.parametrize(("start", "sid", "statuses", "final"), SEQUENCES)
def test_status_only_moves_forward(app: Flask, post_signed: Callable[..., Any], start: R,
                                   sid: str | None, statuses: list[str], final: R) -> None:
    rid = recipient(start, sid)
    for status in statuses:
        assert post_signed(f"/twilio/status/campaign?r={rid}", form(status)).status_code == 204
    assert state(rid)[0] == final
    if final != R.PENDING:
        assert state(rid)[1] == SID


def test_error_code_recorded(app: Flask, post_signed: Callable[..., Any]) -> None:
    rid = recipient()
    post_signed(f"/twilio/status/campaign?r={rid}", form("undelivered", ErrorCode="30003"))
    assert state(rid) == (R.UNDELIVERED, SID, 30003)


@pytest.mark.parametrize("path", ["/twilio/status/campaign?r=999", "/twilio/status/campaign",
                                  "/twilio/status/campaign?r=abc"])
def test_unknown_sid_or_id_ignored(app: Flask, post_signed: Callable[..., Any],
                                   path: str) -> None:
    rid = recipient()
    resp = post_signed(path, form("delivered", sid="SM" + "b" * 32))
    assert resp.status_code == 204
    assert state(rid) == (R.ACCEPTED, SID, None)


def test_r_pointing_at_another_rows_sid_is_ignored(app: Flask,
                                                    post_signed: Callable[..., Any]) -> None:
    rid = recipient()
    post_signed(f"/twilio/status/campaign?r={rid}", form("failed", sid="SM" + "c" * 32))
    assert state(rid) == (R.ACCEPTED, SID, None)


def test_without_r_matches_by_sid(app: Flask, post_signed: Callable[..., Any]) -> None:
    rid = recipient()
    post_signed("/twilio/status/campaign", form("delivered"))
    assert state(rid)[0] == R.DELIVERED


@pytest.mark.parametrize(("headers", "token"), [({}, "wrong-token"),
                                                ({"X-Twilio-Signature": ""}, None)])
def test_unsigned_or_forged_rejected(app: Flask, post_signed: Callable[..., Any],
                                     headers: dict[str, str], token: str | None) -> None:
    rid = recipient()
    path = f"/twilio/status/campaign?r={rid}"
    if token:
        resp = post_signed(path, form("failed"), token=token)
    else:
        resp = app.test_client().post(path, data=form("failed"), headers=headers)
    assert resp.status_code == 403
    with get_db().begin() as s:
        assert s.scalar(select(Recipient.status)) == R.ACCEPTED
