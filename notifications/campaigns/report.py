"""Progress and reports of a campaign, computed with GROUP BY (never by loading recipients)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hotline.phones import mask_phone
from models import Campaign, Recipient, RecipientStatus
from models.campaign import AT_PROVIDER, FINAL
from notifications.csv_safe import safe_writer

R = RecipientStatus


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """Recipients per status (every status present, zero when none)."""
    rows = session.execute(select(Recipient.status, func.count()).where(
        Recipient.campaign_id == campaign_id).group_by(Recipient.status)).all()
    counts = {str(s): 0 for s in RecipientStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def progress(session: Session, campaign: Campaign, counts: dict[str, int] | None = None
             ) -> dict[str, Any]:
    """What the web UI and `hotline campaign send --follow` show, as JSON-able data."""
    counts = status_counts(session, campaign.id) if counts is None else counts
    total = sum(counts.values())
    finished = sum(counts[str(s)] for s in FINAL)
    return {
        "id": campaign.id, "name": campaign.name, "status": str(campaign.status),
        "total": total, "finished": finished, "counts": counts,
        "percent": round(100.0 * finished / total, 1) if total else 0.0,
        "materialized": campaign.materialized_at is not None,
        "hold_until": campaign.hold_until.isoformat() if campaign.hold_until else None,
        "scheduled_at": campaign.scheduled_at.isoformat() if campaign.scheduled_at else None,
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
    }


def report(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Totals by status, delivery rate, failures by error code, opt-outs, sign-ups, cost."""
    cid = campaign.id
    counts = status_counts(session, cid)
    reached = sum(counts[str(s)] for s in AT_PROVIDER)
    failures = session.execute(
        select(Recipient.error_code, Recipient.status, func.count())
        .where(Recipient.campaign_id == cid,
               Recipient.status.in_([R.FAILED, R.UNDELIVERED, R.OPTED_OUT]))
        .group_by(Recipient.error_code, Recipient.status)
        .order_by(func.count().desc())).all()
    segments = int(session.scalar(select(func.coalesce(func.sum(Recipient.segments), 0)).where(
        Recipient.campaign_id == cid, Recipient.status.in_(AT_PROVIDER))) or 0)
    signups = int(session.scalar(select(func.count()).where(
        Recipient.campaign_id == cid, Recipient.reply.is_not(None))) or 0)
    # People who answered this campaign with TD/退订/STOP (within its reply window, counted
    # against the latest campaign they got only), not every later opt-out for any reason.
    opted_after = int(session.scalar(select(func.count()).where(
        Recipient.campaign_id == cid, Recipient.opted_out_at.is_not(None))) or 0)
    price = Decimal(campaign.price_per_segment)
    return {
        "id": cid, "name": campaign.name, "kind": str(campaign.kind),
        "status": str(campaign.status), "recipients": sum(counts.values()), "counts": counts,
        "reached_provider": reached, "delivered": counts[R.DELIVERED],
        "delivery_rate": round(counts[R.DELIVERED] / reached, 4) if reached else None,
        "failures": [{"error_code": code, "status": str(status), "count": int(n)}
                     for code, status, n in failures],
        "opted_out_before_send": counts[R.OPTED_OUT],
        "opted_out_after_send": opted_after, "signups": signups,
        "segments": segments, "price_per_segment": str(price), "cost": str(price * segments),
    }


def write_report_csv(data: dict[str, Any], out: IO[str]) -> None:
    """The report as a two-column CSV (metric, value), failures one row per error code."""
    writer = safe_writer(out)
    writer.writerow(["metric", "value"])
    for key in ("id", "name", "kind", "status", "recipients", "reached_provider", "delivered",
                "delivery_rate", "opted_out_before_send", "opted_out_after_send", "signups",
                "segments", "price_per_segment", "cost"):
        writer.writerow([key, "" if data[key] is None else data[key]])
    for status, n in data["counts"].items():
        writer.writerow([f"status:{status}", n])
    for failure in data["failures"]:
        writer.writerow([f"error:{failure['error_code'] or 'none'}:{failure['status']}",
                         failure["count"]])


def recipient_rows(session: Session, campaign_id: int, full_phones: bool = False
                   ) -> Iterator[list[Any]]:
    """Every recipient of a campaign as CSV rows (header first), streamed from the database."""
    yield ["recipient_id", "phone", "language", "status", "segments", "error_code",
           "error_message", "provider_sid", "sent_at", "reply"]
    query = (select(Recipient.id, Recipient.phone, Recipient.language, Recipient.status,
                    Recipient.segments, Recipient.error_code, Recipient.error_message,
                    Recipient.provider_sid, Recipient.sent_at, Recipient.reply)
             .where(and_(Recipient.campaign_id == campaign_id)).order_by(Recipient.id)
             .execution_options(yield_per=5000))
    for row in session.execute(query):
        phone = row.phone if full_phones else mask_phone(row.phone)
        yield [row.id, phone, row.language, str(row.status), row.segments, row.error_code,
               row.error_message, row.provider_sid,
               row.sent_at.isoformat() if row.sent_at else "", row.reply or ""]
