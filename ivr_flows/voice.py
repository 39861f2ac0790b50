"""Voice renderer: a Turn as TwiML (<Say>, <Gather>, <Record>, <Dial>) via the twilio library.

Every <Gather> and <Record> is followed by a <Redirect> to the same step marked as silence,
so a caller who says nothing is re-prompted (and finally sent to the fallback), never hung up on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.translations import NP_, translate
from ivr_flows.engine import FlowState, Turn, prompt_text, sentence_gap, writes_chinese
from ivr_flows.model import Choice, Flow, Node

# The language codes of each TwiML verb, per flow language: the one place they are chosen.
# <Say> speaks through Amazon Polly, whose Mandarin code is cmn-CN and whose Mandarin voice is
# Zhiyu (the default voice speaks no Mandarin). <Gather> recognises speech with its own list of
# codes, where Mandarin is cmn-Hans-CN: cmn-CN there is an invalid language and every spoken
# answer would go unrecognised.
SAY_VOICES = {"zh": ("cmn-CN", "Polly.Zhiyu"), "en": ("en-US", "Polly.Joanna")}
GATHER_LANGUAGES = {"zh": "cmn-Hans-CN", "en": "en-US"}
DEFAULT_LANGUAGE = "zh"
# The engine's own words around a flow's questions (the gettext catalogue, context "voice").
SORRY = NP_("voice", "Sorry, I did not get that.")
SPEAK_AFTER_BEEP = NP_("voice", "Please speak after the beep, then press the pound key.")
PRESS = NP_("voice", "For %(label)s, press %(key)s.")
CN_DIGIT_NAMES = "零一二三四五六七八九"
# A sum written "¥12000" (the English answers' unit) is read "12000 yen" by an English voice:
# spoken, the currency is named after the number, as a caller would say it.
YUAN_SIGN = re.compile(r"[¥￥]\s*(\d+(?:,\d{3})*(?:\.\d+)?)")


@dataclass(frozen=True)
class VoiceLinks:
    """URLs and numbers the rendered TwiML points at."""

    step_url: str  # where Gather/Record/Dial post the answer
    silence_url: str  # where the call goes when the caller says nothing
    recording_callback: str  # Twilio's recordingStatusCallback
    caller_id: str  # the hotline number, shown to the volunteer on a transfer
    dial_to: str | None = None  # the volunteer to ring for a transfer node


def spoken_digits(number: int | str | None, language: str) -> str:
    """A case number read digit by digit: '一、零、二、四' or '1, 0, 2, 4'."""
    digits = [d for d in str(number or "") if d.isdigit()]
    if writes_chinese(language):
        return "、".join(CN_DIGIT_NAMES[int(d)] for d in digits)
    return ", ".join(digits)


def say_attributes(language: str) -> dict[str, str]:
    """<Say>'s language and voice for a flow language (Mandarin for one we do not speak)."""
    lang, voice = SAY_VOICES.get(language, SAY_VOICES[DEFAULT_LANGUAGE])
    return {"language": lang, "voice": voice}


def gather_language(language: str) -> str:
    """<Gather>'s speech recognition language for a flow language (Mandarin by default)."""
    return GATHER_LANGUAGES.get(language, GATHER_LANGUAGES[DEFAULT_LANGUAGE])


def spoken(language: str, text: str, **fields: object) -> str:
    """One of the engine's own sentences in `language`, its %(name)s fields filled in."""
    words = translate(language, text, "voice")
    return words % fields if fields else words


def for_speech(text: str, language: str) -> str:
    """`text` as a voice should read it: '¥12000' becomes '12000 yuan' where the language's
    words do not already say 元 (Chinese answers carry their unit in words: 欠12000元)."""
    if writes_chinese(language):
        return text
    return YUAN_SIGN.sub(r"\1 yuan", text)


def say(parent: VoiceResponse | Gather, text: str, language: str) -> None:
    """One <Say> in the language's voice (Mandarin by default)."""
    parent.say(for_speech(text, language), **say_attributes(language))


def render_voice(flow: Flow, state: FlowState, turn: Turn, links: VoiceLinks,
                 case_number: int | None) -> VoiceResponse:
    """The TwiML for one step: what was passed, then the question now waiting (or hang up)."""
    resp = VoiceResponse()
    lang = state.language
    number = spoken_digits(case_number, lang)
    if not turn.understood:
        say(resp, spoken(lang, SORRY), lang)
    for node in turn.said:
        say(resp, prompt_text(flow, node, state, number), lang)
    if turn.waiting is None:
        resp.hangup()
        return resp
    _QUESTION[turn.waiting.type](resp, flow, turn.waiting, state, links, number)
    return resp


def _gather(resp: VoiceResponse, node: Node, lang: str, links: VoiceLinks, *, input_: str,
            **kwargs: object) -> Gather:
    hints = ", ".join(speech_hints(node, lang))
    extra = {"hints": hints} if hints else {}
    return resp.gather(input=input_, language=gather_language(lang), action=links.step_url,
                       method="POST", timeout=6, **extra, **kwargs)


def speech_hints(node: Node, lang: str) -> list[str]:
    """Words the recogniser should expect: each choice's speech hints, then its keywords, in
    the caller's language (every language on a bilingual menu), each once."""
    langs = list(dict.fromkeys([lang, *(k for c in node.choices for k in c.keywords)])) if (
        node.bilingual) else [lang]
    words = [w for c in node.choices for la in langs
             for w in [*c.speech.get(la, []), *c.keywords.get(la, [])]]
    return list({w.lower(): w for w in reversed(words)}.values())[::-1]


def _menu(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
          number: str) -> None:
    gather = _gather(resp, node, state.language, links, input_="dtmf speech", num_digits=1,
                     speech_timeout="auto")
    if node.bilingual:
        # The greeting in the flow's first language, then each language offers its own
        # choice in its own voice ("普通话请按1。" "For English, press 2.").
        for i, lang in enumerate(flow.languages):
            own = [c for c in node.choices if c.value == lang] or list(node.choices)
            first = [prompt_text(flow, node, state, number, lang)] if i == 0 else []
            say(gather, sentence_gap(lang).join([*first, *options(own, lang)]), lang)
    else:
        lang = state.language
        say(gather, sentence_gap(lang).join(
            [prompt_text(flow, node, state, number), *options(node.choices, lang)]), lang)
    resp.redirect(links.silence_url, method="POST")


def options(choices: Iterable[Choice], lang: str) -> list[str]:
    """"For <label>, press <key>." for each choice, in `lang`."""
    return [spoken(lang, PRESS, label=c.label.get(lang, ""), key=c.key) for c in choices]


def _number(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
            number: str) -> None:
    gather = _gather(resp, node, state.language, links, input_="dtmf speech",
                     finish_on_key="#", speech_timeout="auto")
    say(gather, prompt_text(flow, node, state, number), state.language)
    resp.redirect(links.silence_url, method="POST")


def _date(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
          number: str) -> None:
    # Said ("上个星期三", "November 5th") or keyed (20261105#); the engine moves on when it
    # cannot read one, rather than keeping the caller at a question the keypad barely fits.
    gather = _gather(resp, node, state.language, links, input_="dtmf speech",
                     finish_on_key="#", speech_timeout="auto")
    say(gather, prompt_text(flow, node, state, number), state.language)
    resp.redirect(links.silence_url, method="POST")


def _text(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
          number: str) -> None:
    lang = state.language
    if state.retries == 0:
        gather = _gather(resp, node, lang, links, input_="speech", speech_timeout="auto")
        say(gather, prompt_text(flow, node, state, number), lang)
    else:  # speech was not understood: keep their own words as a recording instead
        say(resp, sentence_gap(lang).join([prompt_text(flow, node, state, number),
                                           spoken(lang, SPEAK_AFTER_BEEP)]), lang)
        resp.record(action=links.step_url, method="POST", max_length=30, timeout=5,
                    finish_on_key="#", play_beep=True,
                    recording_status_callback=links.recording_callback)
    resp.redirect(links.silence_url, method="POST")


def _record(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
            number: str) -> None:
    say(resp, prompt_text(flow, node, state, number), state.language)
    resp.record(action=links.step_url, method="POST", max_length=node.max_seconds, timeout=10,
                finish_on_key="#", play_beep=True,
                recording_status_callback=links.recording_callback)
    resp.redirect(links.silence_url, method="POST")


def _transfer(resp: VoiceResponse, flow: Flow, node: Node, state: FlowState, links: VoiceLinks,
              number: str) -> None:
    say(resp, prompt_text(flow, node, state, number), state.language)
    if links.dial_to is None:  # nobody to ring: the engine treats silence as no answer
        resp.redirect(links.silence_url, method="POST")
        return
    dial = resp.dial(caller_id=links.caller_id, timeout=node.timeout, action=links.step_url,
                     method="POST", answer_on_bridge=True)
    dial.number(links.dial_to)


_QUESTION: dict[str, Callable[[VoiceResponse, Flow, Node, FlowState, VoiceLinks, str], None]] = {
    "menu": _menu, "number": _number, "date": _date, "text": _text, "record": _record,
    "transfer": _transfer,
}
