"""A campaign's text as each recipient gets it: placeholders filled, 【signature】 and opt-out
footer added, the recipient's language chosen, and the quiet hours it must not arrive in.

The sender owns this module: sending needs nothing from authoring (compose.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.replies import say
from models import (
    Campaign,
    CampaignVariant,
)

# {name}, {name|工友} (a fallback when the field is empty), {{ and }} for literal braces.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?:\|([^{}]*))?\}")
FIELDS = ("name", "case_number", "province", "city", "work_province")
# The same fields in Chinese, so that staff write {姓名|工友} as they would say it.
ALIASES = {"姓名": "name", "名字": "name", "案件编号": "case_number", "案件号": "case_number",
           "老家": "province", "户籍省份": "province", "城市": "city", "务工城市": "city",
           "务工省份": "work_province"}


def field_of(name: str) -> str:
    """The field a placeholder names ('姓名' is 'name')."""
    return ALIASES.get(name, name)
MAX_BODY = 1600  # Twilio's limit for one (concatenated) message


class TemplateError(ValueError):
    """A variant text that cannot be rendered (unknown placeholder, stray brace...)."""


class MissingField(ValueError):
    """A recipient lacks a value the text needs, and the text gives no fallback."""

    def __init__(self, name: str) -> None:
        super().__init__(f"missing {{{name}}}")
        self.field = name


def placeholders(template: str) -> list[tuple[str, str | None]]:
    """The (field, fallback) pairs a template uses; raise TemplateError if it is malformed."""
    found = [(field_of(m.group(1)), m.group(2)) for m in PLACEHOLDER.finditer(template)
             if m.group(1)]
    leftover = PLACEHOLDER.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise TemplateError("unbalanced brace: write {{ or }} for a literal one")
    unknown = sorted({name for name, _ in found if name not in FIELDS})
    if unknown:
        # Each known field with its Chinese name: the message is read in either language.
        chinese = {field: alias for alias, field in reversed(list(ALIASES.items()))}
        known = ", ".join(f"{field}/{chinese[field]}" for field in FIELDS)
        raise TemplateError(f"unknown placeholder(s) {', '.join(unknown)}; known: {known}")
    return found


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill the placeholders; raise MissingField instead of leaving a blank in the text."""
    def fill(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)[0]
        name = field_of(match.group(1))
        value = values.get(name)
        text = "" if value is None else str(value).strip()
        if not text:
            if match.group(2) is None:
                raise MissingField(name)
            return match.group(2)
        return text

    return PLACEHOLDER.sub(fill, template)


def compose(campaign: Campaign, text: str, language: str) -> str:
    """Add the 【signature】 and the opt-out footer, as Chinese carriers expect."""
    if campaign.signature:
        text = f"【{campaign.signature}】{text}"
    if campaign.footer:
        # A language with no footer of its own gets the English one (the Latin script is
        # more likely to be read than Chinese by someone who chose neither).
        text = f"{text} {say('campaign_footer', language if language == 'zh' else 'en')}"
    return text


def contact_values(contact: Any, case_number: int | None = None) -> dict[str, Any]:
    """The placeholder values of a contact (a Contact or a row with the same attributes)."""
    return {"name": contact.name, "province": contact.home_province,
            "city": contact.work_city, "work_province": contact.work_province,
            "case_number": case_number}


def variant_bodies(session: Session, campaign_id: int) -> dict[str, str]:
    """Language -> template of a campaign."""
    rows = session.execute(select(CampaignVariant.language, CampaignVariant.body).where(
        CampaignVariant.campaign_id == campaign_id)).all()
    return dict(rows)


def pick_template(bodies: Mapping[str, str], language: str, default: str) -> tuple[str, str]:
    """The (language, template) a recipient gets: theirs if written, else the default one."""
    if language in bodies:
        return language, bodies[language]
    return default, bodies[default]


def quiet_window(campaign: Campaign) -> tuple[int, int]:
    """Quiet hours as minutes after midnight (start, end)."""
    def minutes(hhmm: str) -> int:
        hours, mins = hhmm.split(":")
        return int(hours) * 60 + int(mins)

    return minutes(campaign.quiet_start), minutes(campaign.quiet_end)


def in_quiet_hours(campaign: Campaign, local: datetime) -> bool:
    """True when `local` (a recipient's wall-clock time) falls in the campaign's quiet hours."""
    start, end = quiet_window(campaign)
    now = local.hour * 60 + local.minute
    if start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)
