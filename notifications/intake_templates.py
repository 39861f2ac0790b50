"""The SMS intake's replies as carrier templates: every text ivr_flows.sms can compose.

One SMS reply of the intake is what one turn of the flow says (ivr_flows.sms.compose_sms): an
optional lead (the welcome with the case number, "did not understand", "got your picture", a
language switch, a resumed thread), the say/end nodes passed, then the question now waiting with
its numbered choices. The flow file is walked as the engine walks it on SMS, so every
(nodes said, question waiting) the intake can send becomes one text in str.format syntax; each
text with a question also comes with the lead in front, as an ${intro} variable where every lead
fits a carrier variable (35 characters), and as one text per lead written out where it does
not (English leads are longer). Answers echoed at a confirmation are variables of their own.
A new question in a flow file is a new draft on the next `hotline templates draft`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.replies import TEXTS
from ivr_flows.engine import sentence_gap
from ivr_flows.model import Flow, Node
from ivr_flows.sms import REPLY_WITH, SORRY, engine_words, menu_lines

LEAD = "intro"  # not "lead": that is a collective case's number (NUMERIC_PARAMS)
# The leads a reply can start with (hotline.conversation, ivr_flows.sms), by catalogue key.
LEAD_KEYS = ("flow_welcome", "flow_restart", "flow_start_again", "flow_media", "flow_language",
             "flow_passed_on")
SORRY_KEY = "sorry"
# A case number as long as a busy year makes it, to size the leads that carry one.
LONG_NUMBER = "99999"
MAX_VARIABLE = 35  # Alibaba's limit for one variable of a notification template


@dataclass(frozen=True)
class Chain:
    """What one turn says on SMS: nodes said on the way, then the node waiting (if any)."""

    said: tuple[str, ...]
    waiting: str | None

    @property
    def name(self) -> str:
        """A short name for the drafts' purpose column."""
        return self.waiting or (self.said[-1] if self.said else "end")


def chains(flow: Flow) -> list[Chain]:
    """Every (said, waiting) an SMS turn of `flow` can produce, in flow-file order."""
    starts = [flow.start]
    for node in flow.nodes.values():
        if node.applies_to("sms") and node.waits:
            fallback = flow.fallback_for(node)
            starts += [*node.targets(), *([fallback] if fallback else [])]
    found: dict[Chain, None] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for start in starts:
        _walk(flow, start, (), seen, found)
    order = {name: i for i, name in enumerate(flow.nodes)}
    return sorted(found, key=lambda c: (order.get(c.name, len(order)), len(c.said)))


def _walk(flow: Flow, name: str, said: tuple[str, ...],
          seen: set[tuple[str, tuple[str, ...]]], found: dict[Chain, None]) -> None:
    """Follow the engine's settle() on SMS from `name`, over every branch outcome and every
    question the worker's first text may have answered already."""
    if (name, said) in seen:
        return
    seen.add((name, said))
    if not name:
        if said:
            found[Chain(said, None)] = None
        return
    node = flow.node(name)
    if not node.applies_to("sms"):
        _walk(flow, node.next or "", said, seen, found)
    elif node.type == "branch":
        for target in dict.fromkeys([*node.cases.values(), node.default or ""]):
            _walk(flow, target, said, seen, found)
    elif node.type in ("say", "end"):
        onward = "" if node.type == "end" else node.next or ""
        _walk(flow, onward, (*said, name), seen, found)
    elif node.waits:
        found[Chain(said, name)] = None
        if node.answer_field("sms"):  # answered already: passed over without a word
            for target in dict.fromkeys([*(c.goto for c in node.choices if c.goto),
                                         node.next or ""]):
                _walk(flow, target, said, seen, found)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def prompt_format(flow: Flow, node: Node, lang: str) -> str:
    """A node's SMS prompt in `lang` as str.format text: {number} for the case number, a
    field per answer echoed; a menu's numbered choices after it."""
    texts = node.sms_prompt or node.prompt
    text = (texts.get(lang) or texts.get(flow.languages[0], "")).replace(
        "{case_number}", "{number}")
    if node.type == "menu" and node.waits:
        text += sentence_gap(lang) + _escape(sentence_gap(lang).join(
            [engine_words(lang, REPLY_WITH), menu_lines(node, lang)]))
    return text


def chain_format(flow: Flow, chain: Chain, lang: str) -> str:
    """The text of one chain in `lang`, as compose_sms joins its parts."""
    parts = [prompt_format(flow, flow.node(n), lang) for n in chain.said]
    if chain.waiting:
        parts.append(prompt_format(flow, flow.node(chain.waiting), lang))
    return sentence_gap(lang).join(p for p in parts if p)


def leads(lang: str) -> dict[str, str]:
    """Every lead a reply may start with in `lang`, as str.format text."""
    out = {key: TEXTS[key].get(lang, TEXTS[key]["zh"]) for key in LEAD_KEYS}
    out[SORRY_KEY] = _escape(engine_words(lang, SORRY))
    return out


def intake_formats(flow: Flow) -> list[tuple[str, str, str]]:
    """(purpose, language, str.format text) of every reply the SMS intake can send."""
    out: list[tuple[str, str, str]] = []
    for chain in chains(flow):
        for lang in flow.languages:
            text, sep = chain_format(flow, chain, lang), sentence_gap(lang)
            purpose = f"intake_{chain.name}"
            out.append((purpose, lang, text))
            if not chain.waiting:
                continue  # a reply that ends the intake never follows a lead
            out.append((f"{purpose}_lead", lang, "{" + LEAD + "}" + sep + text))
            for key, lead in leads(lang).items():
                if len(lead.format(number=LONG_NUMBER)) > MAX_VARIABLE:
                    out.append((f"{purpose}_{key.removeprefix('flow_')}", lang,
                                lead + sep + text))
    return out
