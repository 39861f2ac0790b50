"""A carrier's content rules, checked before an office submits a template for review.

Alibaba Cloud SMS reviews every template by hand (1-3 working days) and a template cannot be
edited once submitted, only replaced: a rule broken is a week lost. The rules below are the
ones Alibaba publishes (help.aliyun.com: "SMS template guidelines", "Message template for the
Chinese mainland", "Message template FAQ", and its console rules for variables):

- a template has at most 500 characters, variables included; only simplified Chinese and
  English; 【】 are reserved for the signature the carrier adds;
- variables are written ${name}: the name starts with a letter, has letters, digits and
  underscores, and is none of email, mobile, id, nick, site; a template of only variables, or
  with two variables side by side, is refused;
- a notification template's variables carry 1-35 characters each;
- a notification template must not carry the promotional opt-out; a promotional one must end
  with 拒收请回复R;
- links only as fixed text on a registered (ICP-filed) domain, never inside a variable;
- special symbols such as ¥ and ★ are refused or arrive garbled;
- banned subjects include legal rights protection (维权), loans, lotteries, prizes, stocks.

Errors stop `hotline templates add` and mark a draft row; warnings are printed and kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from models import TemplateKind

MAX_TEMPLATE_CHARS = 500
MAX_VARIABLE_CHARS = 35
SIGNATURE_CHARS = (2, 12)
PROMOTIONAL_OPT_OUT = "拒收请回复R"
RESERVED_NAMES = frozenset({"email", "mobile", "id", "nick", "site"})
VARIABLE = re.compile(r"\$\{([^}]*)\}")
GOOD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Two variables joined directly are refused (组合变量); with only a space or a comma between
# them, the reviewer may read them as one (Alibaba's digital SMS rules refuse ${a}, ${b}).
JOINED = re.compile(r"\$\{[^}]*\}\$\{")
ADJACENT = re.compile(r"\$\{[^}]*\}[\s,，、;；:：/-]+\$\{")
URL = re.compile(r"(?i)(?:https?://|www\.)[^\s，。！]+|"
                 r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:cn|com|net|org|gov|edu|top|xyz|info|io|"
                 r"me|cc|vip|link|ly)\b(?:/[^\s，。！]*)?")
SPECIAL_SYMBOLS = "¥￥★☆※√^♥"
# Subjects Alibaba lists as banned (second column: how the finding names it).
BANNED_WORDS = {
    "维权": "legal rights protection", "贷款": "loans", "借款": "loans", "中奖": "prizes",
    "抽奖": "lucky draws", "彩票": "lotteries", "股票": "stocks", "众筹": "crowdfunding",
    "赌": "gambling", "移民": "immigration", "招聘": "recruitment", "宗教": "religion",
}


@dataclass(frozen=True)
class Finding:
    """One broken (error) or risky (warning) rule, in English and in Chinese."""

    severity: Literal["error", "warning"]
    message: str
    zh: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def _error(message: str, zh: str) -> Finding:
    return Finding("error", message, zh)


def _warning(message: str, zh: str) -> Finding:
    return Finding("warning", message, zh)


def check_signature(signature: str) -> list[Finding]:
    """The 【签名】 without its brackets: 2 to 12 characters."""
    low, high = SIGNATURE_CHARS
    if "【" in signature or "】" in signature or "[" in signature:
        return [_error("write the signature without 【】: the carrier adds them",
                       "签名不要带【】，运营商会自动加上")]
    if not low <= len(signature.strip()) <= high:
        return [_error(f"the signature must have {low}-{high} characters, "
                       f"not {len(signature.strip())}",
                       f"签名须为{low}到{high}个字，现在是{len(signature.strip())}个字")]
    return []


def check_variables(text: str) -> list[Finding]:
    """Variable names, templates of only variables, variables side by side."""
    found: list[Finding] = []
    names = VARIABLE.findall(text)
    for name in dict.fromkeys(names):
        if not GOOD_NAME.fullmatch(name):
            found.append(_error(f"variable ${{{name}}}: a name starts with a letter and has only "
                                "letters, digits and _",
                                f"变量${{{name}}}的名称须以英文字母开头，只含字母、数字和下划线"))
        elif name.lower() in RESERVED_NAMES:
            found.append(_error(f"variable ${{{name}}}: the carrier refuses the names "
                                f"{', '.join(sorted(RESERVED_NAMES))}",
                                f"变量名{name}不能使用（运营商保留）"))
    if names and not re.sub(r"[\W_]", "", VARIABLE.sub("", text)):
        found.append(_error("a template of only variables is refused: write its fixed words",
                            "模板不能只有变量，请写出固定文字"))
    elif JOINED.search(text):
        found.append(_error("two variables joined together are refused: put words between them",
                            "两个变量不能连在一起，中间要有文字"))
    elif ADJACENT.search(text):
        found.append(_warning("two variables with only a space or comma between them may be "
                              "refused: a word between them is safer",
                              "两个变量之间只有空格或标点，可能被驳回，中间最好有文字"))
    return found


def check_links(text: str, domains: Iterable[str]) -> list[Finding]:
    """Links only as fixed text, on a domain the office registered."""
    registered = {d.lower().removeprefix("www.") for d in domains}
    found: list[Finding] = []
    for match in URL.finditer(text):
        link = match.group(0)
        host = re.sub(r"(?i)^https?://", "", link).split("/")[0].lower().removeprefix("www.")
        if "${" in host:  # a fixed domain with a variable path is allowed, a variable host not
            found.append(_error(f"a link's address may not be a variable ({link})",
                                f"链接的网址不能是变量（{link}）"))
        elif not any(host == d or host.endswith("." + d) for d in registered):
            found.append(_error(f"the link {link} is not on a registered domain "
                                "(pass --domain for the office's filed domain)",
                                f"链接{link}不是已备案的域名"))
    return found


def check_template(text: str, kind: TemplateKind, signature: str | None = None, *,
                   domains: Iterable[str] = ()) -> list[Finding]:
    """Every rule the carrier's reviewer applies that a program can check; errors first."""
    found: list[Finding] = []
    if not text.strip():
        return [_error("the template is empty", "模板内容为空")]
    if signature is not None:
        found += check_signature(signature)
    if len(text) > MAX_TEMPLATE_CHARS:
        found.append(_error(f"the template has {len(text)} characters; at most "
                            f"{MAX_TEMPLATE_CHARS}, variables included",
                            f"模板有{len(text)}个字，最多{MAX_TEMPLATE_CHARS}个字（含变量）"))
    if "【" in text or "】" in text:
        found.append(_error("【】 are for the signature only; the carrier adds it",
                            "模板正文里不能有【】，签名由运营商自动加上"))
    found += check_variables(text)
    ends_with_opt_out = text.rstrip(" 。.!！").endswith(PROMOTIONAL_OPT_OUT)
    if kind == TemplateKind.PROMOTIONAL and not ends_with_opt_out:
        found.append(_error(f"a promotional template must end with {PROMOTIONAL_OPT_OUT}",
                            f"推广短信模板必须以“{PROMOTIONAL_OPT_OUT}”结尾"))
    if kind == TemplateKind.NOTIFICATION and PROMOTIONAL_OPT_OUT in text:
        found.append(_error(f"a notification template must not carry {PROMOTIONAL_OPT_OUT} "
                            "(that makes it promotional)",
                            f"通知短信模板不能带“{PROMOTIONAL_OPT_OUT}”（那是推广短信）"))
    found += check_links(text, domains)
    symbols = sorted({ch for ch in VARIABLE.sub("", text) if ch in SPECIAL_SYMBOLS})
    if symbols:
        found.append(_warning(f"the symbols {' '.join(symbols)} are refused or arrive garbled; "
                              "write 元 for ¥",
                              f"符号{' '.join(symbols)}可能被拒或显示成乱码，金额请写“元”"))
    for word, subject in BANNED_WORDS.items():
        if word in VARIABLE.sub("", text):
            found.append(_warning(f"'{word}' reads as {subject}, a subject the carrier bans",
                                  f"“{word}”属于运营商禁止的内容，模板可能被驳回"))
    return sorted(found, key=lambda f: f.severity != "error")


def errors(found: Iterable[Finding]) -> list[Finding]:
    """Only the findings that stop a template."""
    return [f for f in found if f.severity == "error"]


def check_params(params: Mapping[str, str], kind: TemplateKind) -> list[str]:
    """Parameter values the carrier would refuse at send time (too long or empty)."""
    if kind != TemplateKind.NOTIFICATION:
        return []
    return [name for name, value in params.items()
            if not 1 <= len(value) <= MAX_VARIABLE_CHARS]
