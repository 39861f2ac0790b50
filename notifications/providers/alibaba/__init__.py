"""Alibaba Cloud SMS (dysmsapi 2017-05-25) through Alibaba's own SDK.

Every text goes out as an approved template (`models.SmsTemplate`, provider "alibaba") under
its registered signature: the rendered body is matched back to its template and parameters
(notifications.templates), and a body no approved template carries is refused with NoTemplate
before anything is sent. OutId names the hotline's row (m<message id> / r<recipient id>, taken
from the status callback URL the send paths already build), so a delivery report or a lookup
after a crash finds its row even when the send's answer was lost. The office the row belongs
to sends with its extend code (SmsUpExtendCode), so a reply comes back naming that office
(SmsUp dest_code). Alibaba SMS has no voice: `start_call` always refuses.

Errors: errors.py (one table of codes). Pushed reports and replies: push.py, served by
hotline/webhooks/alibaba.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as api_models
from darabonba.runtime import RuntimeOptions
from sqlalchemy import select

from hotline.infra.db import Database, get_db
from models import Campaign, Case, Message, MessageStatus, Organisation, Recipient
from notifications.providers.alibaba import errors
from notifications.providers.alibaba.push import (
    SYNTHETIC,
    out_id,
    parse_out_id,
    to_alibaba,
)
from notifications.providers.base import (
    PermanentFailure,
    ProviderMessage,
    SendResult,
)
from notifications.segments import count_segments
from notifications.templates import SIGNATURE_PREFIX, match_template

log = logging.getLogger(__name__)
PROVIDER = "alibaba"
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
CHINA = ZoneInfo("Asia/Shanghai")  # Alibaba's SendDate and send_time are Beijing time
PAGE_SIZE = 50  # QuerySendDetails allows 1-50
# QuerySendDetails SendStatus (1 awaiting the handset's receipt, 2 failed, 3 delivered) in the
# hotline's own words; a value Alibaba adds later reads as 1: Alibaba has the text.
SEND_STATUS: dict[int, MessageStatus] = {1: MessageStatus.ACCEPTED, 2: MessageStatus.FAILED,
                                         3: MessageStatus.DELIVERED}


def from_config(config: Mapping[str, Any]) -> AlibabaProvider:
    """The provider for HOTLINE_PROVIDER=alibaba, from the app's ALIBABA_* settings."""
    return AlibabaProvider(config["ALIBABA_ACCESS_KEY_ID"] or "",
                           config["ALIBABA_ACCESS_KEY_SECRET"] or "",
                           endpoint=config["ALIBABA_SMS_ENDPOINT"])


class AlibabaProvider:
    """Sends templated SMS through dysmsapi, or through an Alibaba-shaped server at `endpoint`."""

    def __init__(self, access_key_id: str, access_key_secret: str, *,
                 endpoint: str | None = None, db: Database | None = None,
                 timeout: float = 10.0) -> None:
        host, protocol = _endpoint(endpoint or DEFAULT_ENDPOINT)
        config = api_models.Config(
            access_key_id=access_key_id, access_key_secret=access_key_secret, endpoint=host,
            protocol=protocol, connect_timeout=int(min(timeout, 5.0) * 1000),
            read_timeout=int(timeout * 1000))
        # No SDK retries: SendSms is not idempotent, and a resend is decided by reconciliation.
        self.client = Client(config)
        self.runtime = RuntimeOptions(autoretry=False)
        # Captured while the app context is there: campaign sends run in worker threads.
        self.db = db or get_db()

    def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SendResult:
        """Send `body` as the approved template that carries it; NoTemplate if none does."""
        kind, our_id = callback_row(status_callback)
        with self.db.begin() as session:
            office, extend = office_of(session, kind, our_id)
            found = match_template(session, PROVIDER, body, office)
        text = body.strip()
        signed = SIGNATURE_PREFIX.match(text)
        carries_signature = bool(signed and signed.group(1) == found.signature)
        request = sms_models.SendSmsRequest(
            phone_numbers=to_alibaba(to), sign_name=found.signature,
            template_code=found.code,
            template_param=json.dumps(found.params, ensure_ascii=False) if found.params
            else None,
            out_id=out_id(kind, our_id, carries_signature),
            # The office's extend code: the worker's reply comes back naming the office.
            sms_up_extend_code=extend)
        try:
            answer = self.client.send_sms_with_options(request, self.runtime).body
        except Exception as exc:  # the SDK raises its own and requests' exception types
            raise errors.from_exception(exc) from None
        if answer is None or answer.code != "OK" or not answer.biz_id:
            raise errors.from_code(str(getattr(answer, "code", "") or ""),
                                   message=str(getattr(answer, "message", "") or ""))
        # Alibaba counts (and bills) the signature as part of the text.
        content = text if carries_signature else f"【{found.signature}】{text}"
        return SendResult(sid=str(answer.biz_id), status=MessageStatus.ACCEPTED,
                          segments=count_segments(content).segments)

    def start_call(
        self, to: str, *, from_: str, url: str, status_callback: str | None = None
    ) -> SendResult:
        """Alibaba Cloud SMS carries no voice calls: always refused."""
        raise PermanentFailure("Alibaba Cloud SMS cannot place phone calls (SMS only); "
                               "call the worker by hand or use a voice provider")

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Texts sent to `to` today and yesterday (Beijing time), newest first."""
        today = datetime.now(CHINA).date()
        found: list[ProviderMessage] = []
        for day in (today, today - timedelta(days=1)):
            found += [m for m, _ in self._query(to, day.strftime("%Y%m%d"))]
        found.sort(key=lambda m: m.sid.rsplit(":", 1)[-1], reverse=True)
        return found[:limit]

    def send_days(self, sid: str) -> tuple[str, list[str]] | None:
        """The number a stored sid was sent to and the days (YYYYMMDD, China time) to ask
        QuerySendDetails about: its sending day and the next (a text sent just before
        midnight is filed under either); None when we have no such sid."""
        with self.db.begin() as session:
            row = sent_row(session, sid)
        if row is None:
            return None
        phone, sent_at = row
        day = sent_at.astimezone(CHINA).date()
        return phone, [d.strftime("%Y%m%d") for d in (day, day + timedelta(days=1))]

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """One text by the sid we stored; None when Alibaba has no such text."""
        found = self.send_days(sid)
        if found is None:
            return None
        phone, stamps = found
        for stamp in stamps:
            synthetic = sid.startswith(SYNTHETIC)
            for msg, _ in self._query(phone, stamp, None if synthetic else sid):
                if not synthetic or msg.sid == sid:
                    return msg if synthetic else _with_sid(msg, sid)
        return None

    def _query(self, to: str, date: str, biz_id: str | None = None
               ) -> list[tuple[ProviderMessage, str]]:
        request = sms_models.QuerySendDetailsRequest(
            phone_number=to_alibaba(to), send_date=date, page_size=PAGE_SIZE, current_page=1,
            biz_id=biz_id)
        try:
            answer = self.client.query_send_details_with_options(request, self.runtime).body
        except Exception as exc:
            raise errors.from_exception(exc) from None
        if answer is None or answer.code != "OK":
            raise errors.from_code(str(getattr(answer, "code", "") or ""),
                                   message=str(getattr(answer, "message", "") or ""))
        dtos = answer.sms_send_detail_dtos.sms_send_detail_dto if (
            answer.sms_send_detail_dtos and answer.sms_send_detail_dtos.sms_send_detail_dto
        ) else []
        return [(_as_message(to, dto), str(dto.out_id or "")) for dto in dtos]


def _as_message(to: str, dto: Any) -> ProviderMessage:
    kind, our_id, signed = parse_out_id(dto.out_id)
    content = str(dto.content or "")
    if not signed:  # the hotline's text had no 【signature】: Alibaba put it there
        cut = SIGNATURE_PREFIX.match(content)
        content = content[cut.end():] if cut else content
    stamp = "".join(ch for ch in str(dto.send_date or "") if ch.isdigit())
    status = SEND_STATUS.get(int(dto.send_status or 1), MessageStatus.ACCEPTED)
    return ProviderMessage(
        sid=f"{SYNTHETIC}{dto.out_id or ''}:{stamp}", to=to, from_=None, body=content,
        status=status, error_code=None, segments=count_segments(dto.content or "").segments)


def _with_sid(msg: ProviderMessage, sid: str) -> ProviderMessage:
    return ProviderMessage(sid=sid, to=msg.to, from_=msg.from_, body=msg.body,
                           status=msg.status, error_code=msg.error_code,
                           segments=msg.segments)


def _endpoint(raw: str) -> tuple[str, str]:
    """(host[:port], protocol) from 'dysmsapi.aliyuncs.com' or 'http://127.0.0.1:8766'."""
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if not parts.netloc:
        raise ValueError(f"ALIBABA_SMS_ENDPOINT is not a host: {raw!r}")
    return parts.netloc, parts.scheme or "https"


def callback_row(status_callback: str | None) -> tuple[str | None, int | None]:
    """Which row a send is for, read from its status callback URL (?m=<message>, ?r=<recipient>)."""
    if not status_callback:
        return None, None
    query = parse_qs(urlsplit(status_callback).query)
    for kind in ("m", "r"):
        value = (query.get(kind) or [""])[0]
        if value.isascii() and value.isdigit() and len(value) <= 12:
            return kind, int(value)
    return None, None


def office_of(session: Any, kind: str | None, our_id: int | None
              ) -> tuple[int | None, str | None]:
    """The office a message (its case's) or campaign recipient (its campaign's) belongs to,
    whose own templates come first, and that office's extend code; (None, None) for neither."""
    if our_id is None:
        return None, None
    if kind == "m":
        query = (select(Case.organisation_id, Organisation.sms_extend_code).select_from(Message)
                 .join(Case, Case.id == Message.case_id)
                 .outerjoin(Organisation, Organisation.id == Case.organisation_id)
                 .where(Message.id == our_id))
    else:
        query = (select(Campaign.organisation_id, Organisation.sms_extend_code)
                 .select_from(Recipient).join(Campaign, Campaign.id == Recipient.campaign_id)
                 .outerjoin(Organisation, Organisation.id == Campaign.organisation_id)
                 .where(Recipient.id == our_id))
    found = session.execute(query).first()
    return (found[0], found[1] or None) if found is not None else (None, None)


def sent_row(session: Any, sid: str) -> tuple[str, datetime] | None:
    """(number, when sent) of the message or campaign recipient that stored this sid."""
    found = session.execute(select(Message.to_number, Message.created_at).where(
        Message.provider_sid == sid)).first()
    if found is None:
        found = session.execute(select(Recipient.phone, Recipient.sent_at).where(
            Recipient.provider_sid == sid)).first()
    if found is None or found[1] is None:
        return None
    return str(found[0]), found[1]


__all__ = ["AlibabaProvider", "from_config"]
