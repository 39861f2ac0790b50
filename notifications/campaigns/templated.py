"""Campaigns on a carrier that sends only approved templates: a campaign's text is an
approved template with its values filled in, and a campaign no template carries cannot start.

A promotional template goes out only within the carriers' sending hours (08:00-21:00 in the
recipient's own time): a campaign on one whose quiet hours leave any other time open cannot
start, and says which quiet hours to set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.orm import Session

from hotline.replies import detect_language
from models import Campaign, SmsTemplate, TemplateKind
from notifications.campaigns.rendering import FIELDS, compose, placeholders, render, variant_bodies
from notifications.templates import (
    PARAMETER,
    NoTemplate,
    candidates,
    configured_provider,
    match_body,
    parameters,
    requires_templates,
)

# When carriers let promotional SMS reach a handset, in the recipient's time (Alibaba, Tencent
# and Huawei restrict marketing texts to about 8:00-21:00; notifications are not restricted).
PROMOTIONAL_HOURS = ("08:00", "21:00")
MINUTES_A_DAY = 24 * 60


class TemplateChoiceError(ValueError):
    """A campaign's template or its values cannot be used; `msgid` (with %(name)s placeholders)
    and `values` let the web layer say it in the reader's language."""

    def __init__(self, msgid: str, **values: str) -> None:
        super().__init__(msgid % values)
        self.msgid, self.values = msgid, values


def campaign_body(template: str, params: Mapping[str, str]) -> str:
    """A template's text as a campaign body: given parameters filled in, the campaign's own
    per-recipient fields ({name}, {case_number}...) left for the per-recipient rendering (a
    value given for one of those is its fallback: name=工友 → {name|工友})."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in FIELDS:
            fallback = re.sub(r"[{}|]", "", params.get(name, ""))
            return "{" + name + (f"|{fallback}" if fallback else "") + "}"
        if name in params:
            return params[name].replace("{", "{{").replace("}", "}}")
        raise TemplateChoiceError("the template needs a value for %(name)s: add %(name)s=...",
                                  name=name)

    out, at = [], 0
    for found in PARAMETER.finditer(template):
        out += [template[at:found.start()].replace("{", "{{").replace("}", "}}"), fill(found)]
        at = found.end()
    unknown = sorted(set(params) - set(parameters(template)))
    if unknown:
        raise TemplateChoiceError("the template has no parameter %(names)s",
                                  names=", ".join(unknown))
    return "".join([*out, template[at:].replace("{", "{{").replace("}", "}}")])


def parse_params(items: list[str]) -> dict[str, str]:
    """'name=value' items (one per --param, or one per line of the web form) as a dict."""
    out: dict[str, str] = {}
    for item in items:
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise TemplateChoiceError("write a template value as name=value, not %(item)s",
                                      item=item.strip())
        out[name.strip()] = value.strip()
    return out


def approved_template(session: Session, provider: str, code: str,
                      organisation_id: int | None) -> SmsTemplate:
    """The approved template `code` this organisation may use; ValueError if there is none."""
    for template in candidates(session, provider, organisation_id):
        if template.code == code:
            return template
    raise TemplateChoiceError("no approved template %(code)s for this office", code=code)


def templated_variants(session: Session, provider: str, code: str, params: Mapping[str, str],
                       organisation_id: int | None) -> tuple[str, str, SmsTemplate]:
    """(language, campaign body, template) for a campaign sent with an approved template."""
    template = approved_template(session, provider, code, organisation_id)
    return detect_language(template.text), campaign_body(template.text, params), template


def campaign_template_problems(session: Session, campaign: Campaign) -> list[str]:
    """On a template provider, each variant as sent (signature and footer included) must be
    a rendering of an approved template: the campaign cannot start otherwise."""
    provider = configured_provider()
    if not requires_templates(provider):
        return []
    templates = candidates(session, provider, campaign.organisation_id)
    problems = []
    promotional = False
    for language, body in sorted(variant_bodies(session, campaign.id).items()):
        try:
            values = {name: "示例" for name, _ in placeholders(body)}
            found = match_body(templates, compose(campaign, render(body, values), language))
        except (NoTemplate, ValueError):
            problems.append(f"{language} text matches no approved {provider} template: "
                            "create the campaign from one (--template CODE; hotline templates "
                            "list) and without the TD footer")
            continue
        promotional = promotional or found.kind == TemplateKind.PROMOTIONAL
    hours = promotional_hours_problem(campaign) if promotional else None
    return problems + ([hours] if hours else [])


def _minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def sends_outside_hours(quiet_start: str, quiet_end: str,
                        hours: tuple[str, str] = PROMOTIONAL_HOURS) -> bool:
    """True when quiet hours quiet_start-quiet_end (recipient's time, wrapping past midnight;
    equal ends mean none) leave some minute outside `hours` open for sending."""
    start, end = _minutes(quiet_start), _minutes(quiet_end)
    open_from, open_until = (_minutes(h) for h in hours)

    def quiet(minute: int) -> bool:
        if start == end:
            return False
        return start <= minute < end if start < end else (minute >= start or minute < end)

    return any(not quiet(m) for m in range(MINUTES_A_DAY)
               if not open_from <= m < open_until)


def promotional_hours_problem(campaign: Campaign) -> str | None:
    """Why a campaign on a promotional template may not start with its quiet hours, or None."""
    if not sends_outside_hours(campaign.quiet_start, campaign.quiet_end):
        return None
    opens, closes = PROMOTIONAL_HOURS
    return (f"a promotional template may only be sent {opens}-{closes} in the recipient's time, "
            f"but this campaign's quiet hours ({campaign.quiet_start}-{campaign.quiet_end}) let "
            f"it send outside them: set quiet hours to {closes}-{opens} or longer "
            f"(--quiet-hours {closes}-{opens})")
