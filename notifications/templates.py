"""Carrier templates: which approved template carries a text the hotline is about to send.

A domestic Chinese SMS provider carries only templates it approved (`models.SmsTemplate`), with
named parameters; the hotline renders every text itself as it always has. A rendered body is
matched back to the approved template whose literal parts it contains, which yields the
template code and the parameter values, so no sending path needs to know about templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models import SmsTemplate, TemplateApproval, TemplateKind
from notifications.providers.base import PermanentFailure

PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A campaign body starts with its 【签名】; the carrier adds the registered one itself.
SIGNATURE_PREFIX = re.compile(r"^\s*【([^】]{1,20})】\s*")


class NoTemplate(PermanentFailure):
    """No approved template of this provider carries the text: it cannot be sent there."""


@dataclass(frozen=True)
class TemplateMatch:
    """An approved template and the parameter values that make it the text to send."""

    code: str
    params: dict[str, str]
    signature: str
    kind: TemplateKind


def parameters(text: str) -> list[str]:
    """The ${name} parameters of a template text, in order of first appearance."""
    return list(dict.fromkeys(PARAMETER.findall(text)))


def pattern(text: str) -> re.Pattern[str]:
    """A regex that matches any rendering of a template text and captures its parameters."""
    out, seen, at = [], set(), 0
    for m in PARAMETER.finditer(text):
        out.append(re.escape(text[at:m.start()]))
        name = m.group(1)
        # A parameter used twice must render the same both times.
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        at = m.end()
    out.append(re.escape(text[at:]))
    return re.compile("".join(out), re.DOTALL)


def literal_length(text: str) -> int:
    """Characters of a template that are not parameters (more literal text = more specific)."""
    return len(PARAMETER.sub("", text))


def candidates(session: Session, provider: str, organisation_id: int | None
               ) -> list[SmsTemplate]:
    """Approved templates of `provider` this organisation may use, most specific first."""
    scope: ColumnElement[bool] = SmsTemplate.organisation_id.is_(None)
    if organisation_id is not None:
        scope = or_(scope, SmsTemplate.organisation_id == organisation_id)
    rows = session.scalars(select(SmsTemplate).where(
        SmsTemplate.provider == provider, SmsTemplate.approval == TemplateApproval.APPROVED,
        scope)).all()
    # An office's own template wins over a shared one, then the more literal text wins.
    return sorted(rows, key=lambda t: (t.organisation_id is None, -literal_length(t.text)))


def match_body(templates: list[SmsTemplate], body: str) -> TemplateMatch:
    """The first template whose text `body` is a rendering of; NoTemplate if none is."""
    text = body.strip()
    signed = SIGNATURE_PREFIX.match(text)
    for template in templates:
        candidate = text
        if signed and signed.group(1) == template.signature:
            candidate = text[signed.end():]
        found = pattern(template.text).fullmatch(candidate)
        if found:
            return TemplateMatch(code=template.code, params=found.groupdict(),
                                 signature=template.signature, kind=template.kind)
    raise NoTemplate("no approved template carries this text")


def match_template(session: Session, provider: str, body: str,
                   organisation_id: int | None = None) -> TemplateMatch:
    """The approved template of `provider` that carries `body`; NoTemplate if none does."""
    return match_body(candidates(session, provider, organisation_id), body)
