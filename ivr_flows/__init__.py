"""Intake flows: one YAML file describes a conversation once; voice and SMS render it.

Flow file format (``ivr_flows/flows/<name>.yaml``)
==================================================

Top level::

    name: intake               # the flow's name (defaults to the file name)
    languages: [zh, en]        # every prompt and label must exist in each of these
    start: language            # first node
    max_retries: 2             # re-prompts after a bad or silent answer, then `fallback`
    fallback: voicemail        # where a caller goes after too many failed answers
    office_hours:              # used by `branch: {on: office_hours}`
      timezone: Asia/Shanghai
      days: [mon, tue, wed, thu, fri, sat]
      open: "09:00"
      close: "21:00"
    nodes:
      <node id>: {type: ..., ...}

Keys every node may have:

- ``type`` (required): ``say | menu | number | text | record | branch | transfer | end``.
- ``prompt``: ``{zh: ..., en: ...}`` (required except for ``branch``). Placeholders
  ``{case_number}`` and ``{<field>}`` (an answer, shown in words) are filled in.
- ``next``: the node after this one (required except for ``end``; optional for a menu
  whose choices all have ``goto``).
- ``channels``: ``[voice]`` or ``[sms]`` to limit a node to one channel; elsewhere the
  engine skips straight to ``next``.
- ``field``: the case field the answer lands in (see ``ivr_flows.fields.FIELDS``).
- ``fallback``: where to go after ``max_retries`` failures (default: the flow's
  ``fallback`` for ``menu`` and ``number``; ``next`` for ``text`` and ``record``).

Per type:

- ``say``: speak/text ``prompt``, then go on to ``next`` without waiting.
- ``menu``: ``choices``: a list of ``{key: 1, value: wages, label: {zh, en},
  keywords: {zh: [..], en: [..]}, speech: {zh: [..], en: [..]}, goto: node, urgent: true}``.
  ``key`` is the DTMF digit (unique per menu) and the SMS number; ``keywords`` are also
  matched in speech, ``speech`` adds recogniser hints. ``bilingual: true`` says each
  language's prompt in its own voice (the language menu).
- ``number``: ``min``, ``max`` (inclusive). Accepts 12000, １２０００, 1.2万, 一万二, 12,000元.
- ``text``: free text (SMS), speech (voice); on voice a silent caller is asked to speak
  after the beep (``<Record>``) instead.
- ``record``: a voicemail on voice (``max_seconds``); on SMS the text goes to ``sms_field``.
- ``branch``: ``on: office_hours | volunteer_available | urgent | returning | home_known |
  answer:<field>``, ``cases: {value: node}``, ``default: node``. ``returning`` is true when
  the caller's open case already went through intake (a worker calling back); ``home_known``
  when the worker's home province is on file from before (not asked in this run).
- ``transfer``: voice only: dial an on-duty volunteer with the hotline number as caller id;
  ``timeout`` seconds, ``answered: node`` when they talked, ``next`` when nobody answered.
- ``end``: say ``prompt`` and finish (the case is then routed).

A menu whose field can read a free answer (``home_province``: "我是河北人") also takes a
value that is not one of its choices.

``hotline flows check`` loads every file and prints ``file:node: problem`` for dangling
targets, unreachable nodes, missing translations (prompts, labels, and keywords or speech
hints given in one language only), duplicate digits, unknown fields and keys written twice
(a node id or a node's key: YAML would silently keep the last).
"""

from ivr_flows.engine import Context, FlowState, Reply, Turn, advance, start
from ivr_flows.loader import FlowError, check_all, default_flow, load_flow
from ivr_flows.model import Flow, Node

__all__ = ["Context", "Flow", "FlowError", "FlowState", "Node", "Reply", "Turn", "advance",
           "check_all", "default_flow", "load_flow", "start"]
