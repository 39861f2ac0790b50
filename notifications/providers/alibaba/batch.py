"""Campaign texts through SendBatchSms: up to 100 numbers, one template, one request.

SendBatchSms takes PhoneNumberJson, SignNameJson (one signature per number), TemplateCode (one
for the call), TemplateParamJson (one object per number: each text keeps its own values) and
SmsUpExtendCodeJson, and answers one BizId for the whole call. Alibaba's delivery reports
(SmsReport) and QuerySendDetails come per number, each with that BizId and the call's single
OutId; so OutId names the campaign (c<campaign id>, "s" when the texts carry their own
【signature】) and the number names the row. Each recipient keeps a sid of its own
("<BizId>/<number>": recipients' sids are unique), the one `report_target` gives a report.

A whole call is refused for what one number or text in it may cause (an invalid number, that
number's frequency limit, a parameter): nothing was sent, and each item comes back as
BatchRefused so the campaign sends them one by one and only the culprit fails. A call whose
answer was lost leaves every item UNKNOWN: reconciliation looks each number up (`find_sms`)
and adopts the batch's text there, with a per-number sid, or sends it again if Alibaba has
none.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from alibabacloud_dysmsapi20170525 import models as sms_models
from sqlalchemy import ColumnElement, or_, select

from models import Campaign, MessageStatus, Organisation, Recipient
from notifications.providers.alibaba import (
    PROVIDER,
    AlibabaProvider,
    _with_sid,
    errors,
)
from notifications.providers.alibaba.push import SYNTHETIC, Report, out_id, to_alibaba
from notifications.providers.base import (
    BatchItem,
    BatchRefused,
    ProviderError,
    ProviderMessage,
    SendResult,
)
from notifications.segments import count_segments
from notifications.templates import (
    SIGNATURE_PREFIX,
    NoTemplate,
    TemplateMatch,
    approved_templates,
    match_body,
)

MAX_BATCH = 100  # SendBatchSms: at most 100 numbers per call
# Refusals of a whole call that one number or its text may cause: the others may still go.
PER_NUMBER = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.TEMPLATE_PARAMS_ILLEGAL", "isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL",
    "isv.BLACK_KEY_CONTROL_LIMIT", "isv.SMS_CONTENT_ILLEGAL", "isv.INVALID_JSON_PARAM",
    "isv.INVALID_PARAMETERS",
})
BATCH_OUT_ID = "c"  # push.out_id kind for a campaign batch


def batch_sender(provider: AlibabaProvider) -> AlibabaBatch:
    """The batch sender of an Alibaba provider (found by providers.base.batch_sender)."""
    return AlibabaBatch(provider)


def batch_sid(biz_id: str, phone: str) -> str:
    """The sid one recipient of a batch keeps: the call's BizId and the number."""
    return f"{biz_id}/{to_alibaba(phone)}"


def report_target(report: Report) -> tuple[ColumnElement[bool], str]:
    """(the campaign recipient a batch text's delivery report is about, the sid it keeps).

    OutId names the campaign and the number the row; a row whose sid was never stored (the
    call's answer was lost) or was a lookup's stand-in takes the report's."""
    sid = batch_sid(report.biz_id, report.phone)
    where = (Recipient.campaign_id == report.our_id) & (Recipient.phone == report.phone) & or_(
        Recipient.provider_sid.is_(None), Recipient.provider_sid == sid,
        Recipient.provider_sid.startswith(SYNTHETIC))
    return where, sid


class AlibabaBatch:
    """SendBatchSms for campaign texts, and lookups that tell a batch's texts apart."""

    max_batch = MAX_BATCH

    def __init__(self, provider: AlibabaProvider) -> None:
        self.provider = provider

    def send_batch(self, items: Sequence[BatchItem], *, from_: str, campaign_id: int
                   ) -> list[SendResult | ProviderError]:
        """Send the items in calls of up to 100 sharing a template; one result per item."""
        with self.provider.db.begin() as session:
            found = session.execute(
                select(Campaign.organisation_id, Organisation.sms_extend_code)
                .outerjoin(Organisation, Organisation.id == Campaign.organisation_id)
                .where(Campaign.id == campaign_id)).first()
            organisation_id, extend = found if found is not None else (None, None)
            templates = approved_templates(session, PROVIDER, organisation_id)
        results: list[SendResult | ProviderError | None] = [None] * len(items)
        groups: defaultdict[tuple[str, bool], list[tuple[int, TemplateMatch]]] = (
            defaultdict(list))
        for i, item in enumerate(items):
            try:
                match = match_body(templates, item.body)
            except NoTemplate as exc:
                results[i] = exc
                continue
            prefix = SIGNATURE_PREFIX.match(item.body.strip())
            groups[(match.code, bool(prefix and prefix.group(1) == match.signature))].append(
                (i, match))
        for (code, signed), members in groups.items():
            for start in range(0, len(members), MAX_BATCH):
                part = members[start:start + MAX_BATCH]
                answers = self._call(code, signed, [(items[i], m) for i, m in part],
                                     campaign_id, extend)
                for (i, _), answer in zip(part, answers, strict=True):
                    results[i] = answer
        return [r if r is not None else ProviderError("not sent") for r in results]

    def _call(self, code: str, signed: bool, part: list[tuple[BatchItem, TemplateMatch]],
              campaign_id: int, extend: str | None) -> list[SendResult | ProviderError]:
        params = [m.params for _, m in part]
        request = sms_models.SendBatchSmsRequest(
            phone_number_json=json.dumps([to_alibaba(item.to) for item, _ in part]),
            sign_name_json=json.dumps([m.signature for _, m in part], ensure_ascii=False),
            template_code=code,
            template_param_json=json.dumps(params, ensure_ascii=False) if any(params) else None,
            sms_up_extend_code_json=json.dumps([extend] * len(part)) if extend else None,
            out_id=out_id(BATCH_OUT_ID, campaign_id, signed))
        said = ""
        try:
            answer = self.provider.client.send_batch_sms_with_options(
                request, self.provider.runtime).body
        except Exception as exc:  # the SDK raises its own and requests' exception types
            said = str(getattr(exc, "code", "") or "")
            error = errors.from_exception(exc)
        else:
            if answer is not None and answer.code == "OK" and answer.biz_id:
                return [self._accepted(str(answer.biz_id), item, m, signed)
                        for item, m in part]
            said = str(getattr(answer, "code", "") or "")
            error = errors.from_code(said, message=str(getattr(answer, "message", "") or ""))
        if said in PER_NUMBER and len(part) > 1:
            refused = BatchRefused(f"{error} (a whole batch refused: sent one by one)")
            return [refused] * len(part)
        return [error] * len(part)

    @staticmethod
    def _accepted(biz_id: str, item: BatchItem, match: TemplateMatch, signed: bool
                  ) -> SendResult:
        text = item.body.strip()
        # Alibaba counts (and bills) the signature as part of the text.
        content = text if signed else f"【{match.signature}】{text}"
        return SendResult(sid=batch_sid(biz_id, item.to), status=MessageStatus.ACCEPTED,
                          segments=count_segments(content).segments)

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Texts sent to `to` today and yesterday, newest first; a batch text's sid names the
        number too (the batch's OutId and time are the same for every number in it)."""
        return [self._own_sid(m, to) for m in self.provider.find_sms(to, from_=from_,
                                                                     limit=limit)]

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """One text by the sid we stored: a batch text's, a lookup's, or a single send's."""
        batch = "/" in sid and not sid.startswith(SYNTHETIC)
        if not batch and not sid.startswith(SYNTHETIC + BATCH_OUT_ID):
            return self.provider.fetch_sms(sid)
        sent = self.provider.send_days(sid)
        if sent is None:
            return None
        phone, stamps = sent
        for stamp in stamps:
            if batch:
                found = self.provider._query(phone, stamp, sid.rsplit("/", 1)[0])
                if found:
                    return _with_sid(found[0][0], sid)
                continue
            for msg, _ in self.provider._query(phone, stamp):
                if self._own_sid(msg, phone).sid == sid:
                    return self._own_sid(msg, phone)
        return None

    @staticmethod
    def _own_sid(msg: ProviderMessage, to: str) -> ProviderMessage:
        if not msg.sid.startswith(SYNTHETIC + BATCH_OUT_ID):
            return msg
        return _with_sid(msg, f"{msg.sid}:{to_alibaba(to)}")


__all__ = ["MAX_BATCH", "AlibabaBatch", "batch_sender", "batch_sid", "report_target"]
