"""The flow engine: from a state and an answer to the next waiting node. Pure, channel-aware.

The engine never touches the database or Twilio: the voice and SMS layers load a FlowState,
call `start` or `advance`, write `Turn.answered` onto the case and render `Turn.said` plus
`Turn.waiting` for their channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ivr_flows.fields import FIELDS, URGENT_CATEGORIES
from ivr_flows.model import Flow, Node
from ivr_flows.parse import clean_text, match_choice, parse_number

MAX_HOPS = 100  # non-waiting nodes passed in one turn; more means a loop in the flow
ANSWERED_DIAL = frozenset({"completed", "answered"})


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
    understood: bool = True
    fell_back: bool = False


class FlowLoop(RuntimeError):
    """The flow passed MAX_HOPS nodes without waiting for an answer."""


def start(flow: Flow, ctx: Context, language: str) -> tuple[FlowState, Turn]:
    """A new state at the flow's start, moved on to the first node that waits."""
    state = FlowState(node=flow.start, language=language)
    turn = Turn()
    settle(flow, state, ctx, turn)
    return state, turn


def advance(flow: Flow, state: FlowState, reply: Reply, ctx: Context) -> Turn:
    """Apply the worker's reply to the waiting node and move on (or re-prompt)."""
    turn = Turn()
    if state.done:
        return turn
    node = flow.node(state.node)
    outcome = interpret(flow, node, reply, ctx.channel)
    if outcome is None:
        return _failed(flow, state, node, ctx, turn)
    answers, target = outcome
    state.retries = 0
    state.answers.update(answers)
    turn.answered = answers
    if answers.get("language") in flow.languages:
        state.language = answers["language"]
    state.node = target
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
        else:
            turn.waiting = node
            return
    raise FlowLoop(f"{flow.path}:{state.node}: more than {MAX_HOPS} nodes without a question")


def branch_target(flow: Flow, node: Node, state: FlowState, ctx: Context) -> str:
    """The node a branch leads to for this state and moment."""
    on = node.on or ""
    if on == "office_hours":
        value: Any = flow.office_hours.is_open(ctx.now)
    elif on == "volunteer_available":
        value = ctx.volunteer_available()
    elif on == "urgent":
        value = is_urgent(state.answers)
    elif on == "returning":
        value = ctx.returning
    elif on == "home_known":
        # Asked again when the worker redoes the questions in this same run.
        value = ctx.home_known and "home_province" not in state.answers
    else:
        value = state.answers.get(on.removeprefix("answer:"))
    key = str(value).lower() if value is not None else ""
    return node.cases.get(key) or node.default or ""


def is_urgent(answers: dict[str, Any]) -> bool:
    """True for a choice marked urgent, a work injury or a collective dispute."""
    return bool(answers.get("urgent")) or answers.get("category") in URGENT_CATEGORIES


def _failed(flow: Flow, state: FlowState, node: Node, ctx: Context, turn: Turn) -> Turn:
    state.retries += 1
    if state.retries <= flow.max_retries:
        turn.understood = False
        turn.waiting = node
        return turn
    state.retries = 0
    state.node = flow.fallback_for(node) or ""
    turn.fell_back = True
    settle(flow, state, ctx, turn)
    return turn


def interpret(flow: Flow, node: Node, reply: Reply, channel: str
              ) -> tuple[dict[str, Any], str] | None:
    """(answers, next node) for a reply to `node`; None when it is not an answer."""
    handler = _HANDLERS[node.type]
    return handler(node, reply, channel)


def _menu(node: Node, reply: Reply, channel: str) -> tuple[dict[str, Any], str] | None:
    choice = match_choice(node, reply.heard)
    if choice is None:
        spec = FIELDS.get(node.field or "")
        value = spec.free(reply.heard) if spec and spec.free and reply.heard else None
        return ({node.field or "": value}, node.next or "") if value else None
    answers: dict[str, Any] = {node.field: choice.value} if node.field else {}
    if choice.urgent:
        answers["urgent"] = True
    return answers, choice.goto or node.next or ""


def _number(node: Node, reply: Reply, channel: str) -> tuple[dict[str, Any], str] | None:
    value = parse_number(reply.heard.rstrip("#"))
    if value is None or (node.min is not None and value < Decimal(str(node.min))) or (
            node.max is not None and value > Decimal(str(node.max))):
        return None
    spec = FIELDS[node.field or ""]
    if spec.integer and value != value.to_integral_value():
        return None
    stored: Any = int(value) if spec.integer else format(value.normalize(), "f")
    return {node.field or "": stored}, node.next or ""


def _text(node: Node, reply: Reply, channel: str) -> tuple[dict[str, Any], str] | None:
    if channel == "voice" and reply.recording_url:
        return {f"{node.field}_recording": reply.recording_url}, node.next or ""
    text = clean_text(reply.speech or reply.text, FIELDS[node.field or ""].max_length)
    return ({node.field or "": text}, node.next or "") if text else None


def _record(node: Node, reply: Reply, channel: str) -> tuple[dict[str, Any], str] | None:
    if channel == "voice":
        if not reply.recording_url:
            return None
        return {node.field or "": reply.recording_url}, node.next or ""
    name = node.sms_field or node.field or ""
    text = clean_text(reply.text, FIELDS[name].max_length)
    return ({name: text}, node.next or "") if text else None


def _transfer(node: Node, reply: Reply, channel: str) -> tuple[dict[str, Any], str] | None:
    status = reply.dial_status.lower() or "no-answer"
    if status in ANSWERED_DIAL:
        return {"transfer": status}, node.answered or node.next or ""
    return {"transfer": status}, node.next or ""


_HANDLERS = {"menu": _menu, "number": _number, "text": _text, "record": _record,
             "transfer": _transfer}


def display_answers(flow: Flow, answers: dict[str, Any], language: str) -> dict[str, str]:
    """Each answer in words for prompts ('欠薪' rather than 'wages'); '—' when not given."""
    shown = {name: "—" for name in FIELDS}
    for node in flow.nodes.values():
        for choice in node.choices:
            if node.field and answers.get(node.field) == choice.value:
                shown[node.field] = choice.label.get(language, choice.value)
    recorded = "（录音）" if language == "zh" else "(recorded)"
    for name, value in answers.items():
        if name.endswith("_recording") and shown.get(name[:-10]) == "—":
            shown[name[:-10]] = recorded
        elif name in FIELDS and shown[name] == "—" and value not in (None, ""):
            shown[name] = recorded if FIELDS[name].kind == "recording" else str(value)
    return shown


def prompt_text(flow: Flow, node: Node, state: FlowState, case_number: str,
                language: str | None = None, channel: str = "voice",
                clip: int | None = None) -> str:
    """The node's prompt (its SMS version on SMS) in the worker's language, filled in; with
    `clip`, each answer echoed is cut to that many characters (an SMS kept short)."""
    lang = language or state.language
    texts = node.sms_prompt if channel == "sms" and node.sms_prompt else node.prompt
    template = texts.get(lang) or texts.get(flow.languages[0], "")
    values = display_answers(flow, state.answers, lang)
    if clip is not None:
        values = {name: clip_text(value, clip) for name, value in values.items()}
    return template.format(case_number=case_number, **values)


def clip_text(value: str, limit: int) -> str:
    """`value` cut to `limit` characters with an ellipsis ('...' in plain ASCII text, so a
    GSM-7 SMS does not become UCS-2 for one character)."""
    if len(value) <= limit:
        return value
    mark = "..." if value.isascii() else "…"
    return value[:max(1, limit - len(mark))] + mark
