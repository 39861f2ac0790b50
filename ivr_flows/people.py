"""Head counts in a worker's words: how many workers a problem touches ("五个人", "我和两个工友",
"十几个人", "就我一个"), and whether the count is rough.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ivr_flows.numbers import numbers_in, plain_text

ALONE = re.compile(r"^(就|只有|只是|只)?(我|俺)(一个人?|自己|一人|本人)?$|^(just|only) me$|"
                   r"^myself$|^(me|i) alone$|^(就|只有)?(我|俺)一个$")
WITH_OTHERS = re.compile(r"^(我|俺)(和|跟|与|同)|^me and\b")
# The writer and one other person named, no count: "我和我老婆", "我跟我弟", "me and my wife".
WITH_ONE = re.compile(r"^(我|俺)(和|跟|与|同)(我|俺)?的?(老婆|老公|爱人|媳妇|丈夫|妻子|弟弟?|哥哥?|"
                      r"姐姐?|妹妹?|儿子|女儿|爸爸?|妈妈?|父亲|母亲|老乡|表哥|表弟|堂哥|堂弟|"
                      r"同事|工友|朋友|师傅|徒弟|对象)[。.!！~]*$|"
                      r"^me and my (wife|husband|brother|sister|son|daughter|father|mother|"
                      r"friend)$")


def people_in(text: str, bare: bool = False) -> tuple[int, bool] | None:
    """Workers affected as stated ('五个人', '我和两个工友', '十几个人'); bare numbers if `bare`."""
    plain = re.sub(r"[。.!！,，~]+", "", plain_text(text)).strip() if bare else plain_text(text)
    if bare and ALONE.match(plain):
        return 1, False
    if bare and WITH_ONE.match(plain):
        return 2, False
    numbers = numbers_in(plain)
    counted = [n for n in numbers if n.unit == "people"]
    if not counted and bare and len(numbers) == 1 and (
            numbers[0].unit in ("", "other")
            or re.match(r"\s*(个|名|位)", plain[numbers[0].end:])):  # "一共七个" (not money)
        counted = list(numbers)
    if not counted:
        return None
    number = counted[0]
    # "我和两个工友": the two others plus the one writing; "我和老乡两个人" counts everyone.
    everyone = re.match(r"\s*(个|名|位)?\s*(多|来)?\s*(个)?\s*(人|people)", plain[number.end:])
    others = WITH_OTHERS.search(plain) is not None and not everyone
    count = int(number.value + Decimal("0.5")) + (1 if others else 0)
    return (count, number.approximate) if 1 <= count <= 100_000 else None


def parse_people(text: str) -> tuple[int, bool] | None:
    """'就我一个' (1, False), '5', '我和两个工友' (3, False), '十几个人' (12, True), 'a dozen'."""
    return people_in(text, bare=True)
