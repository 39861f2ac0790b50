"""The flow engine: from a state and an answer to the next waiting node. Pure, channel-aware.

The engine never touches the database or Twilio: the voice and SMS layers load a FlowState,
call `start` or `advance`, write `Turn.answered` onto the case and render `Turn.said` plus
`Turn.waiting` for their channel.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hotline.translations import NP_, locale_of, translate
from ivr_flows.fields import FIELDS, URGENT_CATEGORIES, YES_NO
from ivr_flows.model import Choice, Flow, Node, OfficeHours
from ivr_flows.numbers import parse_number
from ivr_flows.parse import clean_text, match_choice, said_unsure, stored_date

MAX_HOPS = 100  # non-waiting nodes passed in one turn; more means a loop in the flow
ANSWERED_DIAL = frozenset({"completed", "answered"})
# Kept when the worker says the answers are wrong and starts again: how we talk, why they
# called; "redo" makes the home province be asked again (it may be what was wrong).
KEPT_ON_REDO = ("language", "returning")


@dataclass
class Reply:
    """One answer from the worker: keys, recognised speech, an SMS text, a recording, a dial."""

    digits: str = ""
    speech: str = ""
    text: str = ""
    recording_url: str = ""
    dial_status: str = ""

    @property
    def heard(self) -> str:
        """Whatever the worker typed or said, keys first."""
        return (self.digits or self.speech or self.text).strip()


@dataclass
class Context:
    """What the engine may ask the world: channel, time, whether a volunteer can pick up."""

    channel: str
    now: datetime
    volunteer_available: Callable[[], bool] = lambda: False
    returning: bool = False  # the caller's open case already went through intake
    home_known: bool = False  # the worker's home province is on file from before
    # The centre's own hours (OFFICE_HOURS) when set; else the flow file's.
    office_hours: OfficeHours | None = None


@dataclass
class FlowState:
    """Where a worker is in a flow: the waiting node, language, answers, failed tries."""

    node: str
    language: str
    answers: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    done: bool = False


@dataclass
class Turn:
    """What one step did: nodes said on the way, the node now waiting, answers it set."""

    said: list[Node] = field(default_factory=list)
    waiting: Node | None = None
    answered: dict[str, Any] = field(default_factory=dict)
    known: dict[str, Any] = field(default_factory=dict)  # read from the first text, at start
    unknown: list[str] = field(default_factory=list)  # asked, and the worker does not know
    understood: bool = True
    fell_back: bool = False


class FlowLoop(RuntimeError):
    """The flow passed MAX_HOPS nodes without waiting for an answer."""


def start(flow: Flow, ctx: Context, language: str, known: dict[str, Any] | None = None
          ) -> tuple[FlowState, Turn]:
    """A new state at the flow's start, moved on to the first node that waits; questions
    whose answers are `known` already (read from the first text, see fields.known_answers)
    are not asked."""
    state = FlowState(node=flow.start, language=language, answers=dict(known or {}))
    turn = Turn(known=dict(known or {}))
    settle(flow, state, ctx, turn)
    return state, turn


def local_today(flow: Flow, ctx: Context) -> date:
    """Today where the workers are (the flow's office time zone, Asia/Shanghai): '昨天'
    at 01:00 in Shenzhen is not yesterday in UTC."""
    return ctx.now.astimezone(ZoneInfo(flow.office_hours.timezone)).date()


def advance(flow: Flow, state: FlowState, reply: Reply, ctx: Context) -> Turn:
    """Apply the worker's reply to the waiting node and move on (or re-prompt)."""
    turn = Turn()
    if state.done:
        return turn
    node = flow.node(state.node)
    outcome = interpret(flow, node, reply, ctx.channel, local_today(flow, ctx))
    if outcome is None and state.retries and said_vaguely(node, reply.heard):
        outcome = {}, node.next or ""  # "很多" again: the volunteer asks; the intake goes on
    if outcome is None:
        return _failed(flow, state, node, ctx, turn)
    answers, target = outcome
    if not answers and node.field:
        turn.unknown.append(node.field)  # "不记得了": see interpret
    state.retries = 0
    if answers.pop("redo", False):
        state.answers = {k: v for k, v in state.answers.items() if k in KEPT_ON_REDO}
        state.answers["redo"] = True
    state.answers.update(answers)
    turn.answered = answers
    if answers.get("language") in flow.languages:
        state.language = answers["language"]
    state.node = target
    settle(flow, state, ctx, turn)
    return turn


def take_facts(flow: Flow, state: FlowState, facts: dict[str, Any], ctx: Context,
               turn: Turn | None = None) -> Turn:
    """Keep what a reply said for questions not answered yet (never changing an answer
    given) and move on past every question now answered; the question waiting is asked
    again if the reply did not answer it. No failed try is counted: the worker said
    something that made sense, only not to this question. With `turn` (the reply did
    answer the question), the facts are added to that turn."""
    turn = turn if turn is not None else Turn()
    new = {k: v for k, v in facts.items() if state.answers.get(k) is None and k != "category"}
    if not new or state.done:
        return turn
    state.answers.update(new)
    turn.answered = {**turn.answered, **new}
    settle(flow, state, ctx, turn)
    return turn


def settle(flow: Flow, state: FlowState, ctx: Context, turn: Turn) -> None:
    """Pass say, branch and other-channel nodes until one waits or the flow ends."""
    for _ in range(MAX_HOPS):
        if not state.node:
            state.done = True
            return
        node = flow.node(state.node)
        if not node.applies_to(ctx.channel):
            state.node = node.next or ""
        elif node.type == "branch":
            state.node = branch_target(flow, node, state, ctx)
        elif node.type in ("say", "end"):
            turn.said.append(node)
            state.node = "" if node.type == "end" else node.next or ""
        elif already_answered(node, state, ctx.channel):
            state.node = skip_target(node, state)
        else:
            turn.waiting = node
            return
    raise FlowLoop(f"{flow.path}:{state.node}: more than {MAX_HOPS} nodes without a question")


def branch_target(flow: Flow, node: Node, state: FlowState, ctx: Context) -> str:
    """The node a branch leads to for this state and moment."""
    on = node.on or ""
    if on == "office_hours":
        value: Any = (ctx.office_hours or flow.office_hours).is_open(ctx.now)
    elif on == "volunteer_available":
        value = ctx.volunteer_available()
    elif on == "urgent":
        value = is_urgent(state.answers)
    elif on == "returning":
        value = ctx.returning
    elif on == "home_known":
        # Asked again when the worker redoes the questions in this same run.
        value = ctx.home_known and "home_province" not in state.answers and (
            not state.answers.get("redo"))
    else:
        value = state.answers.get(on.removeprefix("answer:"))
    key = str(value).lower() if value is not None else ""
    return node.cases.get(key) or node.default or ""


def already_answered(node: Node, state: FlowState, channel: str) -> bool:
    """True for a question whose answer this run already has (from the first text, or the
    voicemail of a worker who described their problem on the phone before)."""
    name = node.answer_field(channel)
    return node.type != "transfer" and bool(name) and state.answers.get(name or "") is not None


def skip_target(node: Node, state: FlowState) -> str:
    """Where a question answered already leads: its choice's goto, else `next`."""
    value = state.answers.get(node.answer_field("sms") or "")
    choice = next((c for c in node.choices if choice_value(node, c) == value), None)
    return (choice.goto if choice and choice.goto else None) or node.next or ""


def choice_value(node: Node, choice: Choice) -> Any:
    """A choice's value as stored: true/false for a yes/no menu, else its text."""
    spec = FIELDS.get(node.field or "")
    if spec is not None and spec.kind == "yesno" and choice.value in YES_NO:
        return choice.value == "yes"
    return choice.value


def said_vaguely(node: Node, heard: str) -> bool:
    """An answer the node's field calls vague: something said, but not the value ("很多"
    asked how many)."""
    spec = FIELDS.get(node.field or "")
    return spec is not None and spec.vague is not None and spec.vague(heard)


def is_urgent(answers: dict[str, Any]) -> bool:
    """True for a choice marked urgent, a work injury or a collective dispute."""
    return bool(answers.get("urgent")) or answers.get("category") in URGENT_CATEGORIES


def _failed(flow: Flow, state: FlowState, node: Node, ctx: Context, turn: Turn) -> Turn:
    state.retries += 1
    # A date is hard to key in and speech recognisers mangle them: a caller who cannot make
    # one understood is not kept at it; the volunteer asks when they call back.
    retries = 0 if node.type == "date" and ctx.channel == "voice" else flow.max_retries
    if state.retries <= retries:
        turn.understood = False
        turn.waiting = node
        return turn
    state.retries = 0
    state.node = flow.fallback_for(node) or ""
    turn.fell_back = True
    settle(flow, state, ctx, turn)
    return turn


Answers = tuple[dict[str, Any], str] | None  # (answers, next node), None: not an answer


def interpret(flow: Flow, node: Node, reply: Reply, channel: str, today: date) -> Answers:
    """(answers, next node) for a reply to `node`; None when it is not an answer."""
    handler = _HANDLERS[node.type]
    found = handler(node, reply, channel, today)
    spec = FIELDS.get(node.field or "")
    unknown = spec.unknown if spec is not None and spec.unknown else (
        said_unsure if node.type in ("date", "number") else None)
    if found is None and unknown is not None and unknown(reply.heard):
        # "不记得了", "不知道多少": asked again, the worker still would not know. The question
        # stays unanswered (the confirmation says so, the volunteer asks) and the intake goes on.
        return {}, node.next or ""
    return found


def _menu(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    choice = match_choice(node, reply.heard)
    if choice is None:
        spec = FIELDS.get(node.field or "")
        value = spec.free(reply.heard) if spec and spec.free and reply.heard else None
        return ({node.field or "": value}, node.next or "") if value is not None else None
    answers: dict[str, Any] = {node.field: choice_value(node, choice)} if node.field else {}
    if choice.urgent:
        answers["urgent"] = True
    if choice.redo:
        answers["redo"] = True
    return answers, choice.goto or node.next or ""


def _number(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    spec = FIELDS[node.field or ""]
    heard = reply.heard.rstrip("#")
    if spec.read is not None:  # the field's own reading ("半年", "十几个人", not "¥1")
        answers = spec.read(heard, today) if heard else None
        value = to_number(answers.get(node.field or "")) if answers else None
    else:
        value = parse_number(heard)
        answers = None
    if value is None or (node.min is not None and value < Decimal(str(node.min))) or (
            node.max is not None and value > Decimal(str(node.max))):
        return None
    if spec.integer and value != value.to_integral_value():
        return None
    if answers is None:
        answers = {node.field or "": int(value) if spec.integer else
                   format(value.normalize(), "f")}
    return answers, node.next or ""


def to_number(value: Any) -> Decimal | None:
    """An answer's number as Decimal (None when it is not one)."""
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _date(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    read = FIELDS[node.field or ""].read
    heard = reply.heard.rstrip("#")
    answers = read(heard, today) if read is not None and heard else None
    return (answers, node.next or "") if answers else None


def _text(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    if channel == "voice" and reply.recording_url:
        return {f"{node.field}_recording": reply.recording_url}, node.next or ""
    spec = FIELDS[node.field or ""]
    text = clean_text(reply.speech or reply.text, spec.max_length)
    if text and spec.read is not None:  # a place must name a place, not "1"
        answers = spec.read(text, today)
        return (answers, node.next or "") if answers else None
    return ({node.field or "": text}, node.next or "") if text else None


def _record(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    if channel == "voice":
        if not reply.recording_url:
            return None
        return {node.field or "": reply.recording_url}, node.next or ""
    name = node.sms_field or node.field or ""
    text = clean_text(reply.text, FIELDS[name].max_length)
    return ({name: text}, node.next or "") if text else None


def _transfer(node: Node, reply: Reply, channel: str, today: date) -> Answers:
    status = reply.dial_status.lower() or "no-answer"
    if status in ANSWERED_DIAL:
        return {"transfer": status}, node.answered or node.next or ""
    return {"transfer": status}, node.next or ""


_HANDLERS: dict[str, Callable[[Node, Reply, str, date], Answers]] = {
    "menu": _menu, "number": _number, "date": _date, "text": _text, "record": _record,
    "transfer": _transfer}


# An answer read back in words (the gettext catalogue, context "answer"). A prompt puts no
# unit around an answer: each carries its own ("欠12000元", "3个月"), so one not given can say
# so in words instead of "欠—元" (and a phone never speaks a dash).
RECORDED = NP_("answer", "(recorded)")
LEFT_ON = NP_("answer", "left on %(date)s")
# TRANSLATORS: read back to a worker dismissed, or whose contract ended, on that day.
ENDED_ON = NP_("answer", "dismissed or contract ended %(date)s")
# TRANSLATORS: the employer will not pay for treatment, and what the hurt worker paid so far.
PAID_SO_FAR = NP_("answer", "employer won't pay (you paid ¥%(n)s)")
PEOPLE = (NP_("answer", "%(n)s workers"), NP_("answer", "about %(n)s workers"))
# One of a thing, where English drops the plural's s (Chinese counts one as it counts many).
ONE = {
    "months_unpaid": NP_("answer", "%(n)s month"),
    "insurance_months": NP_("answer", "unpaid for %(n)s month"),
    "people_affected": NP_("answer", "%(n)s worker"),
}
UNITS = {
    # TRANSLATORS: a sum of wages owed, in yuan; Chinese reads 欠…元.
    "amount_owed": NP_("answer", "¥%(n)s"),
    "months_unpaid": NP_("answer", "%(n)s months"),
    "insurance_months": NP_("answer", "unpaid for %(n)s months"),
}
# A question with no answer: never asked, or the worker did not know ("不记得了" keeps none,
# see interpret). Each names what is not known, as it stands alone in a prompt; each fits one
# carrier template variable (35 characters). Chinese ones end as the registered templates'
# words around them did ("…元", "…个月"), so a confirmation still matches its template.
NOT_KNOWN = {
    "work_place": NP_("answer", "place of work unknown"),
    "employer": NP_("answer", "employer unknown"),
    "amount_owed": NP_("answer", "amount unknown"),
    "months_unpaid": NP_("answer", "months unknown"),
    "people_affected": NP_("answer", "number of workers unknown"),
    "still_employed": NP_("answer", "not known if still working there"),
    "in_hospital": NP_("answer", "not known if in hospital"),
    "employer_pays_treatment": NP_("answer", "not known if the employer pays"),
    "injury_claim_filed": NP_("answer", "not known if a claim was filed"),
    "written_contract": NP_("answer", "not known if a contract was signed"),
    "insurance_kind": NP_("answer", "which insurance unknown"),
    "insurance_months": NP_("answer", "unpaid for unknown months"),
    "summary": NP_("answer", "no details written"),
    # TRANSLATORS: read after "injured … at" (Chinese: after 地点).
    "injury_place": NP_("answer", "an unknown place"),
    # TRANSLATORS: on the phone, the caller was asked to describe the problem and said nothing.
    "voicemail": NP_("answer", "nothing recorded about the problem"),
}
# A recording read back where a generic "(recorded)" would say too little.
RECORDED_AS = {"voicemail": NP_("answer", "your problem is recorded")}
# TRANSLATORS: a date not known, read after its name: "injured on an unknown date", 受伤日期不详.
UNKNOWN_DATE = NP_("answer", "on an unknown date")
UNKNOWN = NP_("answer", "unknown")  # any other answer a flow file may read back
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")


def display_answers(flow: Flow, answers: dict[str, Any], language: str) -> dict[str, str]:
    """Each answer in words for prompts, its unit included ('欠薪', '欠12000元', '约12人',
    '2026年11月30日'); one not given says what is not known ('不清楚欠了几个月')."""
    lang = language
    shown = chosen_labels(flow, answers, lang)
    for name, value in answers.items():
        if name in FIELDS and name not in shown and value not in (None, ""):
            shown[name] = shown_value(name, value, answers, lang)
    for name in answers:
        said = name.removesuffix("_recording")  # on the phone: their words as a recording
        if said != name and said in FIELDS and said not in shown:
            shown[said] = answer_words(lang, RECORDED)
    if answers.get("still_employed") is False and answers.get("left_on"):
        shown["still_employed"] = answer_words(lang, LEFT_ON, date=shown["left_on"])
    elif answers.get("still_employed") is False and answers.get("dismissed_on"):
        shown["still_employed"] = answer_words(lang, ENDED_ON, date=shown["dismissed_on"])
    if answers.get("employer_pays_treatment") is False and answers.get("medical_costs"):
        shown["employer_pays_treatment"] = answer_words(lang, PAID_SO_FAR,
                                                        n=answers["medical_costs"])
    return {name: shown.get(name) or not_known(name, lang) for name in FIELDS}


def chosen_labels(flow: Flow, answers: dict[str, Any], lang: str) -> dict[str, str]:
    """The label of each menu choice the answers picked ('欠薪', '还在那里做')."""
    shown = {}
    for node in flow.nodes.values():
        if not node.field or node.field not in answers:
            continue
        for choice in node.choices:
            if answers[node.field] == choice_value(node, choice):
                shown[node.field] = choice.label.get(lang, choice.value)
    return shown


def not_known(name: str, lang: str) -> str:
    """What a prompt reads for the field `name` when it has no answer ('不清楚欠了几个月')."""
    if FIELDS[name].kind == "date":
        return answer_words(lang, UNKNOWN_DATE)
    return answer_words(lang, NOT_KNOWN.get(name, UNKNOWN))


def shown_value(name: str, value: Any, answers: dict[str, Any], lang: str) -> str:
    """One answer that is not a menu choice, in words."""
    kind = FIELDS[name].kind
    if kind == "recording":
        return answer_words(lang, RECORDED_AS.get(name, RECORDED))
    if kind == "date":
        return shown_date(str(value), lang)
    approximate = name == "people_affected" and bool(answers.get("people_approximate"))
    if name in ONE and not approximate and str(value) in ("1", "1.0"):
        return answer_words(lang, ONE[name], n=value)
    if name in UNITS:
        return answer_words(lang, UNITS[name], n=value)
    if name == "people_affected":
        return answer_words(lang, PEOPLE[approximate], n=value)
    if name == "work_place" and writes_chinese(lang) and answers.get("work_province"):
        # The place as understood ("河楠郑州" reads back as 河南郑州), so a wrong guess is seen.
        province, city = answers["work_province"], answers.get("work_city") or ""
        return province + (city if city != province else "")
    return str(value)


def shown_date(value: str, lang: str) -> str:
    """'2026-11-30' as '2026年11月30日' or '30 Nov 2026'; a month alone ('2026-11') as
    '2026年11月' or 'Nov 2026'."""
    found = stored_date(value)
    if found is None:
        return value
    day, month_only = found
    if writes_chinese(lang):
        return f"{day.year}年{day.month}月" + ("" if month_only else f"{day.day}日")
    month = f"{MONTHS_EN[day.month - 1]} {day.year}"
    return month if month_only else f"{day.day} {month}"


def answer_words(lang: str, text: str, **fields: object) -> str:
    """One of the words an answer is read back in (UNKNOWN_DATE, PEOPLE …), in `lang`."""
    words = translate(lang, text, "answer")
    return words % fields if fields else words


def writes_chinese(language: str) -> bool:
    """True for a language written in Chinese characters (Simplified or Traditional)."""
    return locale_of(language).startswith("zh")


def sentence_gap(language: str) -> str:
    """What goes between two sentences: Chinese runs on, English needs a space."""
    return "" if writes_chinese(language) else " "


def prompt_text(flow: Flow, node: Node, state: FlowState, case_number: str,
                language: str | None = None, channel: str = "voice",
                clip: int | None = None, clip_all: bool = False) -> str:
    """The node's prompt (its SMS version on SMS) in the worker's language, filled in; with
    `clip`, each answer in the worker's own words (employer, place) is cut to that many
    characters (an SMS kept short); with `clip_all`, every answer echoed is."""
    lang = language or state.language
    texts = node.sms_prompt if channel == "sms" and node.sms_prompt else node.prompt
    template = texts.get(lang) or texts.get(flow.languages[0], "")
    values = display_answers(flow, state.answers, lang)
    if clip is not None:
        values = {name: clip_text(value, clip) if clip_all or own_words(name, state.answers)
                  else value for name, value in values.items()}
    return template.format(case_number=case_number, **values)


def read_back(flow: Flow, node_name: str, answers: dict[str, Any], language: str) -> str | None:
    """The answers the node `node_name` reads back (a confirmation), in `language`, as one line
    ('工伤，广东东莞，宏达建筑公司，…'); None for a node that reads none back."""
    node = flow.nodes.get(node_name)
    if node is None:
        return None
    texts = node.sms_prompt or node.prompt
    template = texts.get(flow.languages[0], "")  # the same fields in every language
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name in FIELDS]
    if not names:
        return None
    shown = display_answers(flow, answers, language)
    return ("，" if writes_chinese(language) else ", ").join(shown[name] for name in names)


def own_words(name: str, answers: dict[str, Any]) -> bool:
    """True for an answer in the worker's own words (employer, place): what a long SMS cuts
    first. The hotline's words for one not given ('不清楚是哪家公司') are never cut before."""
    return FIELDS[name].kind == "text" and answers.get(name) not in (None, "")


def clip_text(value: str, limit: int) -> str:
    """`value` cut to `limit` characters with an ellipsis ('...' in plain ASCII text, so a
    GSM-7 SMS does not become UCS-2 for one character)."""
    if len(value) <= limit:
        return value
    mark = "..." if value.isascii() else "…"
    return value[:max(1, limit - len(mark))] + mark
