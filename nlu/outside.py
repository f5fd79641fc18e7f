"""Matters outside the community: a problem at a metro station, a hotel, a shop or an employer
("地铁站电梯坏了好几天了", "my employer hasn't paid my overtime"), or a proposal for the whole
city, reads to the classifier like a community report in every word but where it is. When the
message names such a place and nothing of the community, the report readings give way to out
of scope, and the resident is told whom to ask instead (12345)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nlu.intents import OUT_OF_SCOPE

#: How likely the best community reading must be for an outside matter to count as a request
#: of the community ("12路公交能不能加密班次"), not a question of another world ("帮我查下去广州
#: 的高铁票", whose best community reading is near nothing).
REQUEST_AT_LEAST = 0.1
#: Readings that ask the community to act: what an outside place takes out of its hands.
#: (Emergencies are the danger guard's to judge; FAQ questions the FAQ's.)
COMMUNITY_REQUESTS = frozenset({"report_repair", "file_complaint", "make_suggestion",
                                "ticket_status", "ticket_cancel"})

# Places and parties the residents' committee has no say over. Not 医院 or 学校 (a resident
# asks for help getting there), not 快递 or 公交卡 (parcel lockers and senior bus passes are
# community matters), not X公司 (物业公司, 燃气公司).
_VENUE = re.compile(
    r"地铁|轻轨|高铁|火车站|汽车站|长途站|机场|航班|航空|公交(?:车|站|线|公司)|"
    r"(?<![号\d])\d{1,3}路(?:车|公交)?(?![\d号])|"
    r"扶梯|酒店|宾馆|旅馆|民宿|4S店|商场|购物中心|专卖店|营业厅|银行|"
    r"外卖|网购|淘宝|京东|拼多多|退款|退货|订单|"
    r"老板|工资|加班费|劳动合同|开发区|工业园|全市|市里|全区|全国|高架|高速|国道|省道|(?<![\da-z])12345(?!\d)|"
    # where one works or studies: an office's lift, a school's tap, a dorm's heater (not the
    # committee's office, the senior university, the school gate by the compound)
    # (each literal first, what may not precede it after: a lookbehind tried at every position
    # costs more than the rest of the pattern)
    r"公司(?<!物业公司|燃气公司|电力公司|热力公司|保洁公司|维修公司|装修公司|电梯公司|快递公司|家政公司|"
    r"搬家公司)(?<!自来水公司)(?:的|那栋楼?|楼|大楼|里|门口|食堂|厕所|保洁|停车|同事|领导|保安|前台|"
    r"行政|新来的)|"
    r"(?:公司|单位|我们|我)的?办公室|办公室(?:楼上|楼下|隔壁)|写字楼|工位|宿舍|大学(?<!老年大学)|"
    r"(?:他们|她们|我们|我|他|她)单位|单位(?:的|里|食堂|宿舍|门口|停车)|"
    r"(?:我们|我|他们)(?:工)?厂(?!家)|车间|厂里|"
    r"(?:孩子|宝宝|儿子|女儿|娃|闺女)(?:的)?(?:幼儿园|学校)|学校(?:里|的)|市图书馆|健身房|"
    r"医院(?:的|里|里的)?(?:停车场|厕所|电梯|食堂|走廊|住院部|饮水机)|茶水间|同事|步行街|景区|"
    r"咖啡店|咖啡馆|网吧|体育场|演唱会|(?:火车|高铁|动车|地铁|公交车?|飞机)上|万达广场|购物广场|会员卡|预付卡|"
    r"\b(?:escalators?|subway|metro|train station|railway|airport|flight|airline|"
    r"bus (?:route|line|driver|company)|route \d+|line \d+|hotel|hostel|motel|airbnb|mall|"
    r"dealership|"
    r"(?:the )?\d{1,3} bus|(?:my|our) (?:employer|boss|company|bank)|employer|"
    r"overtime (?:pay|hours)|"
    r"(?:paid|pay) (?:me |my )?overtime|salary|paycheck|wages|my refund|"
    r"(?:my|an|the) (?:online )?order|amazon|taobao|delivery (?:driver|app)|uber|taxi|"
    r"downtown|citywide|city-wide|the (?:whole )?city|across the city|city council|city hall|"
    r"(?:at|in) (?:my |our )?workplace|(?:my|our) office|office (?:building|lift|kitchen|toilets?)|"
    r"starbucks|coffee shop|near work|co-?workers?|colleagues?|the school'?s|"
    r"stadium|concert|my gym|train toilet|on the (?:train|bus|subway|metro|plane|flight)|"
    r"(?:my|our|his|her) school|(?:son|daughter|kid|child)'?s (?:school|kindergarten|daycare)|"
    r"uni|(?<!senior )university|college|campus|dorm|dormitory|concert hall|"
    r"(?:city|public) library|hospital (?:car ?park|parking|toilets?|lifts?))\b",
    re.IGNORECASE)
# Other cities, and one's home town: what is asked about there, or of a city as a whole
# ("深圳人才补贴怎么申请", "the shanghai rules for foreigners"), is no community's. Not a
# street, a station or a dish named after one (北京路, 上海南站, 北京烤鸭), nor where a resident
# comes from or goes ("我从上海搬来", "I'm flying to Shanghai tomorrow").
_CITIES = ("北京|上海|天津|重庆|广州|深圳|杭州|南京|苏州|成都|武汉|西安|长沙|郑州|沈阳|哈尔滨|长春|"
           "大连|青岛|济南|合肥|福州|厦门|南昌|昆明|贵阳|南宁|海口|三亚|兰州|西宁|银川|乌鲁木齐|"
           "拉萨|呼和浩特|石家庄|太原|无锡|宁波|温州|东莞|佛山|珠海|香港|澳门|台北")
_CITY = re.compile(
    rf"(?<![从去到回往飞])(?:{_CITIES})(?!路|街|大道|大街|道|巷|胡同|里|桥|\S?站|饭店|酒家|烤鸭|菜|话|人)"
    rf"(?!.{{0,3}}(?:搬来|回来|来的|过来))(?!的?(?:亲戚|朋友|同学|同事|家人|客人|儿子|女儿|父母|孩子))|(?<!比)(?<!比我)老家|县城|村委会|"
    r"(?<!from )(?<!to )\b(?:shanghai|beijing|guangzhou|shenzhen|hangzhou|chengdu|wuhan|"
    r"nanjing|tianjin|chongqing|xi'?an|hong kong|macau|suzhou|my home ?town)\b",
    re.IGNORECASE)
#: Events at an outside place (a company's outing, a concert hall's workshop) are not the
#: community's to list or sign up for. (A withdrawal is the community's whatever the reason:
#: "my flight got moved".)
EVENT_READINGS = frozenset({"event_list", "event_signup"})
#: ... and withdrawing from an event held there (a company outing, a school's sports day).
EVENT_VENUE_READINGS = EVENT_READINGS | {"event_cancel"}
_EVENT_VENUE = re.compile(
    r"团建|年会|公司(?:的)?(?:活动|聚餐)|学校(?:的)?运动会|市图书馆|音乐厅|大剧院|体育馆|演唱会|"
    r"(?:幼儿园|学校|班里|班级|家长群)(?:的|里)?(?:亲子)?(?:活动|运动会|义卖|开放日|演出|比赛|家长会)|"
    r"家长会|"
    r"瑜伽馆|舞蹈室|"
    r"\b(?:concert hall|city library|company (?:\w+ )?(?:party|outing|retreat|dinner)|"
    r"team ?building|office party|annual party|stadium|(?:yoga|dance|pilates) studio|"
    r"(?:my|the) gym|(?:my|our) (?:university|uni|school|company|office)'s|"
    r"(?:kid'?s|son'?s|daughter'?s|child'?s) (?:school|kindergarten|daycare)\b.{0,40}"
    r"\b(?:sports day|event|fair|trip|play|concert|volunteer\w*)|"
    r"(?:school|kindergarten) (?:sports day|fair|trip|play|concert))\b",
    re.IGNORECASE)
#: Readings a city named takes out of the community's hands: its requests, and questions for
#: its FAQ (which answers for this community only).
CITY_READINGS = COMMUNITY_REQUESTS | {"ask_faq"}
# Another compound: a relative's, a friend's, the one across the road ("我姑姑住的小区地下室积水",
# "I don't live in your community"). Its committee and its property company are the ones to
# ask; a matter of theirs that reaches here ("隔壁小区的人老来我们这停车") names this one too.
_OTHER_COMPOUND = re.compile(
    r"不是(?:你们|咱们|这个)小区|不住(?:在)?(?:你们|咱们|这个)小区|别的小区|另一个小区|其他小区|"
    r"(?:隔壁|对面|马路对面)(?:那个)?(?:的)?小区|(?:她|他|她们|他们)(?:那边|那儿|那里)|"
    r"(?:她|他|她们|他们)(?:住|租)的(?:那个)?(?:小区|房子|地方)|(?:她|他|她们|他们)的?小区|"
    r"离我们这(?:挺|很|太)?远|城中村|(?:在|住)(?:乡下|农村)|外省|(?:别的|另一个|其他)区(?!域)|"
    r"(?:姑姑|姨妈?|舅舅|叔叔|伯伯|爸妈|父母|爷爷奶奶|外婆|姥姥|朋友|亲戚|同事|女儿|儿子|妹妹|姐姐|弟弟|"
    r"哥哥|岳父岳母|公婆|我妈|我爸|老妈|老爸|我姐|我哥|我弟|我妹)家?(?:住|租)(?:在)?[^，,。]{0,10}"
    r"(?:小区|宿舍|村)|不是(?:一个|同一个)小区|(?:朋友|同事|亲戚|同学|闺蜜)家(?:的|里|楼上|楼下|那边|那儿)|"
    r"\b(?:(?:do not|don'?t) live (?:in|at) (?:your|this)|not (?:in|from) (?:your|this) "
    r"(?:community|compound|estate)|(?:a )?different compound|another compound|"
    r"the compound next door|(?:her|his|their|my \w+'s|my \w+s') (?:compound|estate|building|"
    r"landlord)|(?:her|his|their|my (?!neighbou?r)\w+'s|my (?!neighbou?r)\w+s') (?:block|flat|"
    r"apartment|place|neighbou?rs?)|back home|"
    r"other side of (?:town|the city)|countryside|across town|"
    r"(?:in|at) (?:another|a different) (?:district|town|city|neighbou?rhood))\b", re.IGNORECASE)
#: ... unless this one is named too: "we" here, "our" compound, a building of ours.
_OURS_TOO = re.compile(r"我们小区|咱们小区|这个小区|我们这(?:儿|里|边)?(?!.{0,2}远)|本小区|"
                       r"来我们|到我们|\b(?:our|my) (?:compound|estate|building|community)\b|"
                       r"\bhere\b",
                       re.IGNORECASE)
# "我家"/"家里" before a person is one's family, not one's flat ("我家孩子", "家里老人").
_HOME = (r"(?:我家|家里)(?!人|的?(?:老人|孩子|小孩|宝宝|娃|老公|老婆|闺女|儿子|女儿|父母|爸妈|"
         r"老母亲|老父亲|经济|条件|困难))")
# Words that place a message in the community after all ("小区门口公交站", "our building's
# lift"): then it is the community's, venue or not.
COMMUNITY = re.compile(
    rf"小区|社区|居委|物业|业委会|网格|楼道|单元|号楼|栋|幢|{_HOME}|家门|楼下|楼上|隔壁|邻居|"
    r"院里|院子|车棚|车库|地库|楼前|楼后|楼梯(?<!爬楼梯)(?<!走楼梯)|门口|"
    r"\b(?:estate|compound|community|committee|block \d|building \d|our building|my building|"
    r"my flat|my apartment|stairwell|neighbou?rs?|grid)\b", re.IGNORECASE)


# Offices and places with hours and rules of their own: a question about them is theirs (or the
# 12345 hotline's) to answer, not the committee's, whatever FAQ entry shares its other words
# ("tax office open on saturdays?" is no question about the committee's office hours).
_OFFICE = re.compile(
    r"税务局|税务大厅|社保局|社保中心|人社局|医保局|医保中心|公积金(?:管理)?中心|政务服务中心|政务大厅|"
    r"行政服务中心|市民中心|车管所|交警队|出入境|法院|检察院|民政局|婚姻登记处|教育局|房管局|"
    r"不动产登记中心|市场监管局|工商局|区政府|市政府|银行|商场|万达|购物中心|写字楼|办公楼|"
    r"\b(?:tax (?:office|bureau)|social security (?:office|bureau|cent(?:re|er))|housing fund|"
    r"immigration office|exit-entry|entry-exit|dmv|traffic police|court(?:house)?|"
    r"civil affairs bureau|marriage registry|city hall|district (?:office|government)|"
    r"government service cent(?:re|er)|bank|mall|city cent(?:re|er)|downtown)\b",
    re.IGNORECASE)


def office(text: str) -> str | None:
    """The outside office or place ``text`` asks about (a tax office, a bank, a mall), if any."""
    found = _OFFICE.search(text)
    return found.group(0).lower() if found else None


# The city's own, as letters to its hotline name it: a department asked to act (城管, 交警,
# 市政, "animal control"), the hotline's register ("市民来电反映"). Such a letter may name the
# writer's compound in passing ("我住在翠湖苑，小区门口那条市政道路…"): the matter is the city's
# unless the message places it inside the compound.
_CITY_BODY = re.compile(
    r"市政|城管|交警|园林(?:部门|局)|排水部门|环保(?:局|部门)|生态环境局|卫健委|教育(?:局|部门)|"
    r"文旅(?:局|部门)|市场监管|住建(?:局|部门)|交通(?:局|部门)|(?<![小社])区政府|市政府|市民来电|"
    r"市长热线|河长|"
    r"\b(?:animal control|road crew|city council|city government|the government|mayor'?s hotline|"
    r"food safety inspectors?|traffic police|public security bureau|who regulates)\b",
    re.IGNORECASE)
# ... and a named road or park, a flyover, a factory: the city's when nothing of the community is
# named. Not 电路, 马路, 小路 or a road by the compound without a name ("门口那条路").
#: The last character of a road's name: a Han character, not one of a road said without a name
#: (电路, 马路, 门口那条路, 走到路上).
_NAMED = (r"[^\W\d_a-z条个的边面马小道公山水铁电线网思套一半走迷带领让堵"
          r"修挡占过出门里外上下前后左右这那在到往向从沿顺段雨米进来去回]")
_CITY_PLACE = re.compile(
    rf"(?:路(?<={_NAMED}路)|大道(?<={_NAMED}大道)|大街(?<={_NAMED}大街))"
    r"(?=上|两侧|与|和|交叉口|路口|段|附近|[(（]|的路|小学|中学|口|从|大桥|桥|辅路|辅道|那段|这段|"
    r"靠近|一带|沿线)|"
    # the city's waters and ring roads, and the countryside's roads (not the compound's own
    # pond, 人工湖, 景观湖, nor a bench by a stream through it, 河边那张椅子)
    r"护城河|河道|运河|排洪渠|水库|绿道|滨江|滨河|河里|湖面|"
    r"湖(?<=[\u4e00-\u9fff]湖)(?<!人工湖|景观湖)(?:里|的水|水)|[一二三四五东南西北]环(?:路|线|内|外|上|那段|附近)?(?<!环环)|"
    r"乡道|镇上|医院急诊|"
    r"公园(?<=[\u4e00-\u9fff]{2}公园)(?<!小区公园|社区公园|区里公园|楼下公园|旁边公园|门口公园|附近公园|"
    r"对面公园|后面公园|前面公园|里的公园|边的公园|口的公园|宠物公园|儿童公园|口袋公园|街心公园)(?<!个.公园)|"
    r"立交桥|高架桥|过街天桥|地下通道|收费站|污水处理厂|工业园|工业区|市区|本市|城区|夜市|人民广场|"
    r"大桥|桥洞|长途汽车站|物价部门|"
    r"\b(?:(?!our\b|the\b|main\b|this\b|that\b|a\b|private\b|side\b|back\b|access\b|"
    r"service\b|one\b|two\b|same\b|inner\b|broken\b|internal\b|estate\b|compound\b|fire\b|"
    r"dark\b|busy\b|narrow\b|little\b|small\b|whole\b|every\b|each\b)[a-z]+ (?:road|avenue|"
    r"boulevard|street|rd|ave)"
    r"(?! ?(?:lamps?|lights?|lighting|sweep\w*|food|parking|vendors?|signs?))|"
    r"(?:riverside|city|central|forest|wetland|national|people'?s|memorial|sunset|sunrise|lake|"
    r"river|century|olympic|science|industrial|sports|ocean|zoo|public) park|night market|"
    r"public square|rivers?|creek|canal|waterfront|greenway|"
    r"emergency room|"
    r"traffic lights?|zebra crossing|toll (?:gate|station)|ring road|factory|people'?s square|"
    r"industrial (?:zone|estate)|underpass)\b", re.IGNORECASE)
#: Words that place a matter inside the compound, or in its hands already (a ticket passed on
#: to the city), whatever department is named.
_INSIDE = re.compile(
    rf"小区里|小区内|院里|院子里|楼道|楼里|单元|{_HOME}|号楼|(?<![几多])栋|车库|地库|物业|居委|网格|工单|单号|"
    r"报修|转给|\b(?:ticket|property (?:management|office)|committee|reported)\b|"
    r"\b(?:in|inside) (?:our|the) (?:compound|estate)\b|\bstairwell\b|\bour building\b|"
    r"\bmy (?:flat|apartment)\b", re.IGNORECASE)


def venue(text: str, place_given: bool = False) -> str | None:
    """The outside place ``text`` names, when it names none of the community's (``place_given``:
    a building or flat was found in it); or the city whose department it asks to act."""
    return _named(_VENUE, text, place_given) or city_matter(text, place_given)


def city_matter(text: str, place_given: bool = False) -> str | None:
    """The department or the city place ``text`` puts its matter with, unless it places the
    matter inside the compound."""
    if place_given or _INSIDE.search(text):
        return None
    body = _CITY_BODY.search(text)
    return body.group(0) if body else _named(_CITY_PLACE, text, place_given)


def _named(places: re.Pattern[str], text: str, place_given: bool) -> str | None:
    """The place of ``places`` that ``text`` names, when the rest of it names nothing of the
    community ("公司那栋楼的电梯": the 栋 is the company's; "酒店隔壁半夜吵架": a hotel has
    neighbours too)."""
    found = None if place_given else places.search(text)
    if found is None:
        return None
    # what is attached to the place is the place's own ("宿舍楼下", "地铁站的电梯")
    after = _ATTACHED.sub("", text[found.end():], count=1)
    rest = f"{text[:found.start()]} {after}"
    if _STAY.fullmatch(found.group(0)):
        rest = _RELATIVE.sub(" ", rest)
    return None if COMMUNITY.search(rest) else found.group(0)


#: A part of a place, said right after it: the place's, not the community's.
_ATTACHED = re.compile(
    r"^(?:站|楼)?(?:的|里的?)?(?:楼下|楼上|门口|大门|楼梯|电梯|停车场|地下车库|车库|地库|隔壁)")
#: Places one stays or sits in among strangers, who are neighbours there ("酒店隔壁半夜吵架",
#: "hotel neighbours partying"), and the words for them.
_STAY = re.compile(r"酒店|宾馆|旅馆|民宿|网吧|(?:火车|高铁|动车|地铁|公交车?|飞机)上|"
                   r"hotel|hostel|motel|airbnb|on the (?:train|bus|subway|metro|plane|flight)",
                   re.IGNORECASE)
_RELATIVE = re.compile(r"隔壁|楼上|楼下|邻居|\bneighbou?rs?\b|\bnext door\b", re.IGNORECASE)


def event_venue(text: str, place_given: bool = False) -> str | None:
    """The outside place of an event ``text`` asks about, when it names none of the
    community's."""
    return _named(_EVENT_VENUE, text, place_given)


def city(text: str, place_given: bool = False) -> str | None:
    """Another city (or a home town) ``text`` places its matter in, unless it names a
    building of the community too."""
    found = None if place_given else _CITY.search(text)
    return found.group(0) if found else None


def other_compound(text: str, place_given: bool = False) -> str | None:
    """Another compound (a relative's, the one across the road) ``text`` places its matter in,
    unless it names this one or a building of it too."""
    if place_given or _OURS_TOO.search(text):
        return None
    found = _OTHER_COMPOUND.search(text)
    return found.group(0) if found else None


def guard(text: str, ranking: Sequence[tuple[str, float]], *,
          place_given: bool = False) -> list[tuple[str, float]]:
    """``ranking`` with out of scope first when a community request's reading leads but the
    matter is at an outside place, or in another city; its confidence is the one the request
    had."""
    if not ranking or not (
            (ranking[0][0] in COMMUNITY_REQUESTS and venue(text, place_given) is not None)
            or (ranking[0][0] in EVENT_VENUE_READINGS
                and event_venue(text, place_given) is not None)
            or (ranking[0][0] in CITY_READINGS | EVENT_READINGS and (
                city(text, place_given) is not None or other_compound(text, place_given)))):
        return list(ranking)
    return set_aside(ranking)


def set_aside(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """``ranking`` with out of scope first, at the confidence the leading reading had."""
    rest = [(name, p) for name, p in ranking if name != OUT_OF_SCOPE]
    return [(OUT_OF_SCOPE, ranking[0][1]), *rest]


#: What a letter asking the city to act says, however sure the classifier is that it is none
#: of the community's business ("希望政府好好治理一下", "请城管管一管", "please get them fixed");
#: not what an assistant is asked ("帮我订个酒店", "can you check my flight").
_ASKS_TO_ACT = re.compile(
    r"希望|建议|反映|投诉|举报|整治|治理|管一管|管管|(?:有没有|没)人管|有关部门|相关部门|市长|市领导|"
    r"太(?:脏|臭|吵|乱|挤|危险)|坏了|"
    r"\b(?:fix(?:ed)?|repair(?:ed)?|complain\w*|been out|broken|dangerous|potholes?|"
    r"do something about|look into|dear mayor|to whom it may concern)\b",
    re.IGNORECASE)


def request_elsewhere(parse: Mapping[str, Any], text: str, place_given: bool = False) -> bool:
    """Whether ``parse`` (out of scope) is a report or a proposal of a matter at an outside
    place, made to the community or written as a letter to the city: one to send to the
    city's hotline."""
    if venue(text, place_given) is None and city(text, place_given) is None \
            and other_compound(text, place_given) is None:
        return False
    ranking = parse.get("intent_ranking") or []
    best = next((r for r in ranking if r.get("name") != OUT_OF_SCOPE), None)
    return (best is not None and best["name"] in COMMUNITY_REQUESTS
            and float(best.get("confidence", 0.0)) >= REQUEST_AT_LEAST) \
        or _ASKS_TO_ACT.search(text) is not None
