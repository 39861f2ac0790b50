"""Campaigns on a carrier that sends only approved templates: a campaign's text is an
approved template with its values filled in, and a campaign no template carries cannot start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.orm import Session

from models import Campaign, SmsTemplate
from notifications.templates import (
    PARAMETER,
    NoTemplate,
    candidates,
    configured_provider,
    match_body,
    parameters,
    requires_templates,
)


class TemplateChoiceError(ValueError):
    """A campaign's template or its values cannot be used; `msgid` and `values` let the web
    layer say it in the reader's language."""

    def __init__(self, msgid: str, **values: str) -> None:
        super().__init__(msgid.format(**values))
        self.msgid, self.values = msgid, values


def campaign_body(template: str, params: Mapping[str, str]) -> str:
    """A template's text as a campaign body: given parameters filled in, the campaign's own
    per-recipient fields ({name}, {case_number}...) left for the per-recipient rendering (a
    value given for one of those is its fallback: name=工友 → {name|工友})."""
    from notifications.campaigns import FIELDS

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in FIELDS:
            fallback = re.sub(r"[{}|]", "", params.get(name, ""))
            return "{" + name + (f"|{fallback}" if fallback else "") + "}"
        if name in params:
            return params[name].replace("{", "{{").replace("}", "}}")
        raise TemplateChoiceError("the template needs a value for {name}: add {name}=...",
                                  name=name)

    out, at = [], 0
    for found in PARAMETER.finditer(template):
        out += [template[at:found.start()].replace("{", "{{").replace("}", "}}"), fill(found)]
        at = found.end()
    unknown = sorted(set(params) - set(parameters(template)))
    if unknown:
        raise TemplateChoiceError("the template has no parameter {names}",
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
            raise TemplateChoiceError("write a template value as name=value, not {item}",
                                      item=item.strip())
        out[name.strip()] = value.strip()
    return out


def approved_template(session: Session, provider: str, code: str,
                      organisation_id: int | None) -> SmsTemplate:
    """The approved template `code` this organisation may use; ValueError if there is none."""
    for template in candidates(session, provider, organisation_id):
        if template.code == code:
            return template
    raise TemplateChoiceError("no approved template {code} for this office", code=code)


def templated_variants(session: Session, provider: str, code: str, params: Mapping[str, str],
                       organisation_id: int | None) -> tuple[str, str, SmsTemplate]:
    """(language, campaign body, template) for a campaign sent with an approved template."""
    from hotline.replies import detect_language

    template = approved_template(session, provider, code, organisation_id)
    return detect_language(template.text), campaign_body(template.text, params), template


def campaign_template_problems(session: Session, campaign: Campaign) -> list[str]:
    """On a template provider, each variant as sent (signature and footer included) must be
    a rendering of an approved template: the campaign cannot start otherwise."""
    from notifications.campaigns import compose, placeholders, render, variant_bodies

    provider = configured_provider()
    if not requires_templates(provider):
        return []
    templates = candidates(session, provider, campaign.organisation_id)
    problems = []
    for language, body in sorted(variant_bodies(session, campaign.id).items()):
        try:
            values = {name: "示例" for name, _ in placeholders(body)}
            match_body(templates, compose(campaign, render(body, values), language))
        except (NoTemplate, ValueError):
            problems.append(f"{language} text matches no approved {provider} template: "
                            "create the campaign from one (--template CODE; hotline templates "
                            "list) and without the TD footer")
    return problems
