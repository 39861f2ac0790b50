"""Workers' answers to a campaign: an RSVP keyword, a re-check of their number, or an opt-out
that counts against the campaign that prompted it. Runs in the intake's transaction."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Exists, SQLColumnExpression, and_, exists, select
from sqlalchemy.orm import Session

from hotline.replies import say
from models import (
    Campaign,
    CampaignKind,
    Contact,
    Recipient,
    RecipientStatus,
    utcnow,
)


def normalize_reply(body: str) -> str:
    """What a reply says, compared loosely: full-width digits folded, case and spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", body or "")).upper().rstrip("。.!！")


# A campaign text older than this is never answered (no reply window is longer).
REACH_LOOKBACK = timedelta(hours=24 * 30)
REACHED = (RecipientStatus.ACCEPTED, RecipientStatus.SENT, RecipientStatus.DELIVERED,
           RecipientStatus.UNKNOWN)


def _reached(contact_id: Any, since: Any = None) -> ColumnElement[bool]:
    return and_(Recipient.contact_id == contact_id,
                Recipient.sent_at >= (utcnow() - REACH_LOOKBACK if since is None else since),
                Recipient.status.in_(REACHED))


def reach_since() -> datetime:
    """How far back a campaign text may have reached a contact whose reply it could be."""
    return utcnow() - REACH_LOOKBACK


def recently_reached(contact_id: SQLColumnExpression[int], since: Any = None) -> Exists:
    """EXISTS: a campaign text reached this contact since `since` (default: `reach_since()`,
    or a bound parameter for a statement built once) on the contact/sent_at index, to put in
    the query that loads the contact: most texts come from workers no campaign reached, and
    they need no campaign lookup at all."""
    return exists().where(_reached(contact_id, since))


def latest_campaign_reach(session: Session, contact: Contact
                          ) -> tuple[Recipient, Campaign] | None:
    """The contact's most recent campaign text still within its reply window, if any."""
    row = session.execute(
        select(Recipient, Campaign).join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(_reached(contact.id)).order_by(Recipient.sent_at.desc()).limit(1)).first()
    if row is None:
        return None
    recipient, campaign = row
    window = timedelta(hours=campaign.reply_window_hours)
    if recipient.sent_at is None or utcnow() - recipient.sent_at > window:
        return None
    return recipient, campaign


def note_campaign_opt_out(session: Session, contact: Contact) -> None:
    """A TD/STOP that answers a recent campaign counts against that campaign (once)."""
    reach = latest_campaign_reach(session, contact)
    if reach is not None and reach[0].opted_out_at is None:
        reach[0].opted_out_at = utcnow()


# Answers to a re-check that are not a "1": yes-words confirm too; no-words mean the number
# now belongs to someone else. Anything longer is a real message and goes to intake.
RECHECK_YES = {"是", "是的", "对", "对的", "YES", "Y", "OK", "好", "好的", "嗯", "收到", "谢谢"}
RECHECK_NO = {"2", "0", "不是", "否", "NO", "N", "错号", "打错了", "不是我"}


def handle_campaign_reply(session: Session, contact: Contact, body: str) -> str | None:
    """Count an RSVP keyword (or a re-check answer) for the contact's latest campaign.

    Returns the text to answer with, or None when the reply is not for a campaign (then it
    goes to intake as usual). Runs in the caller's transaction.
    """
    word = normalize_reply(body)
    reach = latest_campaign_reach(session, contact)
    if reach is None:
        return None
    recipient, campaign = reach
    language = contact.language or "zh"
    if campaign.kind == CampaignKind.RECHECK:
        return _recheck_answer(contact, recipient, campaign, word, language)
    if word not in campaign.rsvp_keywords:
        return None
    if recipient.reply is not None:
        return say("rsvp_again", language)
    recipient.reply, recipient.replied_at = word, utcnow()
    return say("rsvp_signup", language)


def _recheck_answer(contact: Contact, recipient: Recipient, campaign: Campaign, word: str,
                    language: str) -> str | None:
    if word in campaign.rsvp_keywords or word in RECHECK_YES:
        contact.verified_at, contact.stale_at = utcnow(), None
        if recipient.reply is None:
            recipient.reply, recipient.replied_at = "1", utcnow()
        return say("rsvp_verified", language)
    if word in RECHECK_NO:
        # Not their number any more: stale now, not when the reply window closes. No reply is
        # sent (the new owner did not ask for our texts); the answer is kept on the row.
        contact.stale_at, contact.verified_at = utcnow(), None
        recipient.reply, recipient.replied_at = word[:20], utcnow()
        return ""
    return None
