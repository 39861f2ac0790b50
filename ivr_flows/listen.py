"""What a reply says beyond the question it answers, on SMS and on the phone alike.

The engine takes a reply as the answer to the question waiting (or not). A worker answers the
way people talk: "已经离职了" asked how much is owed, "深圳宏达电子厂，欠了一万二，三个月了" asked
the employer. The reply is read as a message for the problem already known
(ivr_flows.understand.facts_in) and what it states for questions still ahead is kept, so
those are not asked; answers given are never changed.
"""

from __future__ import annotations

from ivr_flows.engine import Context, FlowState, Turn, local_today, take_facts
from ivr_flows.fields import known_answers
from ivr_flows.model import Flow
from ivr_flows.understand import facts_in

# Said in passing about the place, not an answer to the place question (that one reads it).
PLACE_FIELDS = frozenset({"work_place", "work_province", "work_city", "people_approximate"})
# Sums of money: the one that answered a question about a sum is not read again as another
# ("一万二" asked what treatment cost is no wage debt too).
SUMS = frozenset({"amount_owed", "medical_costs"})


def heard_more(flow: Flow, before: FlowState, state: FlowState, turn: Turn, said: str,
               ctx: Context) -> tuple[FlowState, Turn]:
    """The state and turn after also keeping what `said` states beyond its question.

    `before` is the state before the engine took the reply, `state` and `turn` after. A reply
    that did not answer its question but states facts for questions ahead is no failed try:
    those are kept and the question is asked again. An answer that says more ("没有，老板一分钱
    没出" asked whether they are in hospital) keeps the rest, and an employer asked for is then
    its name alone."""
    text = said.strip()
    if not text or (len(text) <= 2 and text.isdigit()):
        return state, turn  # a key pressed or a menu number says nothing more (~0.2 ms saved)
    facts = known_answers(facts_in(text, before.answers.get("category"),
                                   local_today(flow, ctx)))
    if not turn.understood or turn.fell_back:
        noted = take_facts(flow, before, facts, ctx)
        return (before, noted) if noted.answered else (state, turn)
    node = flow.node(before.node)
    answered_sum = node.field in SUMS and node.field in turn.answered
    more = {k: v for k, v in facts.items()
            if k not in turn.answered and k not in PLACE_FIELDS
            and before.answers.get(k) is None and not (answered_sum and k in SUMS)}
    if not more:
        return state, turn
    if node.field == "employer" and facts.get("employer") and "employer" in turn.answered:
        state.answers["employer"] = turn.answered["employer"] = facts["employer"]
    if "people_affected" in more:
        more["people_approximate"] = facts.get("people_approximate", False)
    return state, take_facts(flow, state, more, ctx, turn)
