"""Evidence of danger now: an alarm needs it (issue 11).

The classifier reads hazard words ("着火", "gas", "stuck"); whether the danger is happening now
is told by the rest of the message. A message that speaks of another time (上个月那次煤气泄漏),
a supposition (万一漏气了), a fear or a dream (好怕着火), an all-clear (没有煤气味了, false
alarm), a figure of speech (气得我要爆炸了, this deal is fire), a news item pasted into a group
(某小区发生火灾 所幸无人员伤亡) or a general question (着火了怎么办)
is no emergency unless something in it still says danger is here: a call for help, something
going on or getting worse, someone who cannot get out or does not respond.

Texts here are clean text (nlu.text.clean: NFKC-folded and lower-cased).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from nlu import outside

EMERGENCY = "report_emergency"
COMPLAINT = "file_complaint"
OUT_OF_SCOPE = "out_of_scope"
PLACE_ENTITIES = frozenset({"building", "unit", "room"})
#: What is left of the emergency reading once a message was found to be about no danger now:
#: it stays in the ranking (an operator sees it) but below the readings that matter.
_DEMOTED = 0.01
#: How far down the classifier's ranking a plainly stated danger may lift the emergency reading.
_PROMOTE_WITHIN = 5
#: The least confidence a lifted emergency gets: enough that no out-of-scope threshold drops it,
#: below flows/runner.py's 0.85, so the resident is asked before anyone is alerted.
_LIFTED_AT_LEAST = 0.5
#: The least an emergency reading second to out_of_scope needs for a danger going on now to lift
#: it (the classifier's words are a community's; new words for a danger go to out_of_scope).
_UNSEEN_DANGER_AT_LEAST = 0.2
#: The confidence of an emergency reading whose message states the danger as a fact now: above
#: flows/runner.py's alert threshold (0.85).
_STATED_AT_LEAST = 0.9


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# --- the danger is elsewhere in time, imagined, feared, over, or a way of speaking ----------
_PAST = _any(
    r"上个?月|上周|上礼拜|上星期|去年|前年|那年|那次|上次|上回|以前|小时候|当年|那时候?|前几年|"
    r"前几天|前两天|前些天|前阵子|"
    # last night, unless it has gone on since ("昨晚开始一直有煤气味")
    r"(?:昨晚|昨夜|前晚|昨天(?:晚上|夜里|半夜))(?!.{0,3}(?:开始|起|到现在|一直|就|至今))|"
    r"新闻|听说|据说|谣言|传言|视频|电视[里上]|后来|从那以后|从那次|我报的|报过|单子|工单",
    r"\blast (?:month|week|year|winter|summer|spring|autumn|fall|time|night's)\b|"
    r"\byears? ago\b|\ba (?:while|year|month) (?:ago|back)\b|\bback (?:then|in)\b|\bused to\b|"
    r"\bwhen i was\b|\bremember when\b|\bthe news\b|\bheard (?:that|there|about)\b|"
    r"\ba video\b|\bthe other day\b|\bin (?:19|20)\d\d\b|\bafter that\b|\bi reported\b|"
    r"\bmy report\b|\bticket\b|\brumou?rs?\b|"
    r"(?<!since )(?<!from )\blast night\b(?!.{0,25}\b(?:still|now|keeps?|won'?t stop)\b)")
_SUPPOSED = _any(
    r"万一|如果|要是|假如|假设|假若|倘若|一旦|哪天|迟早|早晚|下次|下回|隐患|"
    # a drill is a danger rehearsed ("电梯困人演练几点开始")
    r"演练|演习",
    r"\bif\b|\bin case\b|\bsuppos(?:e|ing)\b|\bhypothetically\b|\bever\b|\bsay my\b|"
    r"\bnext (?:storm|time|rain|winter|typhoon)\b|\bone day\b|\bsooner or later\b|"
    r"\b(?:fire|safety) (?:hazard|risk|trap)\b|\baccident waiting to happen\b|"
    r"\b(?:fire|evacuation|safety|earthquake|emergency|lift|elevator) drills?\b")
_FEARED = _any(
    r"担心|恐惧|噩梦|梦见|梦到|做梦|后怕|敏感|[总老特别一直]怕|怕哪天|"
    r"[好很]?(?:害)?怕(?:着火|失火|起火|漏气|煤气|燃气|被困|困在|电梯|地震|摔|[会被])",
    r"\b(?:scared|afraid|terrified) of\b|\bworr(?:y|ied|ying)\b|\bnightmares?\b|"
    r"\bdream(?:t|ed|s)?\b|\bparanoid\b|\bhate lifts\b")
_ALL_CLEAR = _any(
    r"没有?(?:煤气|燃气|天然气)?(?:味|烟)|没有?(?:着火|起火|冒烟|漏|淹|冒火花|打起来)|没事了|没事没事|"
    r"(?<!是)不是(?:着火|火灾|失火|煤气|燃气|漏|爆炸|小偷|坏人|打架)|虚惊|误报|误会|[看闻听]错|"
    r"(?:火|烟|味道?|水)(?:已经)?(?:灭|散|没|停|退|关住)了|已经(?:灭|散|停|退|好|走|关住|出来|救出来|断电)|"

    r"(?:散|灭)(?:掉|完|干净|出去)了|(?:搞|弄|说)错了|(?:问|看|确认|核实)过了?.{0,4}没事|"
    r"是电视(?:里|上)?的|"
    r"救出来了|都出来了|人出来了|我们(?:已经)?出来了|(?<![不没])(?:我|俺|她|他|孩子|老人)(?:已经|终于)?出来了|(?:^|(?<=[\s，,。!！]))出来了|电梯(?:门)?(?:打)?开了|电梯(?:又)?(?:能)?动了|"
    r"自己(?:站|爬)?起来了|不用来了|不漏了|"
    r"找到了|接走了|挺好的|都好好的|没什么事|没啥事|啥事没有|什么事都没有|没出事|没出什么事|拦下来了|拦住了|"
    r"(?:我|他|她|孩子|老人|人)?没有?被?(?:困住|被困|困在里面|卡住|关住)|是(?:放)?鞭炮|放炮|大家别慌|"
    r"(?:是|在搞|搞|在做|做)(?:消防)?(?:演练|演习)|(?:演练|演习)(?:而已|罢了)|(?:在)?(?:测试|试)警报",
    r"\bfalse alarm\b|\b(?:just|only) a (?:fire )?drill\b|"
    r"\b(?:it'?s|its|it was) a (?:fire )?drill\b|"
    r"\btesting the (?:fire )?alarms?\b|\bnothing(?:'s| is)? wrong\b|"
    r"\bnever ?mind\b|\bnvm\b|\bno (?:more )?(?:smoke|fire|gas|smell)\b|"
    r"\bnot (?:a |an )?(?:fire|gas|sparks|burglar|explosion|leak)\b|"
    r"\b(?:wasn't|isn't|was not|is not) (?:a |an )?(?:fire|gas|sparks|smoke)\b|\bwas just\b|"
    r"\bmy (?:bad|mistake)\b|\ball (?:good|fine|clear|ok)\b|\bsorted\b|"
    r"\b(?:is|are|'s|got up|seems) (?:totally |perfectly |completely |all )?(?:fine|ok|okay|"
    r"alright)\b|"
    r"\b(?:smell|smoke|fire|leak|alarm|water)(?:'s| is| has)? (?:gone|out|stopped|cleared|"
    r"receded|shut off|off now)\b|\bgot out (?:fine|ok)\b|\bno need to come\b|"
    r"\bwe(?:'re| are) (?:all )?out\b|\bwe (?:all )?got out\b|\bdoors? (?:opened|(?:is |are )?open "
    r"now)\b|\b(?:lift|elevator) (?:is )?moving (?:again|now)\b|"
    r"\bgot (?:him|her|them|us|everyone|everybody) out\b|"
    r"\bbeen found\b|\bpicked (?:him|her|them) up\b|\bbroke up\b|"
    r"\b(?:i'?m|i am|we'?re|we are) not (?:stuck|trapped|locked in)\b|\bnobody got hurt\b")
# "火灭了 但是还在冒烟": what follows a "but" outweighs the all-clear before it.
_BUT = _any(r"但|可是|不过|然而", r"\bbut\b|\bhowever\b|\bthough\b")
# A story: a novel, a film, a game or a dream, where the danger happens to someone in it.
_FICTION = _any(
    r"(?:小说|电影|电视剧|剧|动画|动漫|漫画|游戏|视频|短视频|梦|书|故事)(?:里|中|里面)|男主|女主|主角|剧情",
    r"\bin (?:the|a|this|that|my) (?:novel|book|film|movie|show|series|game|story|dream|"
    r"episode|video|cartoon|anime|comic)\b|\b(?:the )?(?:hero|heroine|protagonist|main "
    r"character)\b|\b(?:novel|book|film|movie|show|game|episode|story) (?:where|about|in which)\b|"
    r"\b(?:novel|book|film|movie|show|series|game|episode|story|cartoon|anime|comic)s? "
    r"(?:i'?m|im|i am|we'?re|i was|we were|i've been) (?:reading|watching|playing)\b")
# What the resident was doing when the danger came ("刚才在看电影 突然闻到煤气味"): not a story.
_PASTIME = _any(
    r"(?:正|刚才|刚刚|刚)?在(?:看|刷|玩|打|追|听)(?:个|会儿?|着)?(?:电影|电视剧|电视|视频|短视频|抖音|游戏|"
    r"直播|小说|书|综艺)",
    r"\b(?:i was|i'm|i am|we were|we're|we are|was|were|while) (?:watching|playing|reading|"
    r"streaming) (?:a |the |some |my )?(?:films?|movies?|tv|shows?|games?|videos?|books?|"
    r"novels?)\b")
# No one hurt or inside: the danger to people is over, but not a fire, gas or water going on
# ("厨房着火了 没人受伤" is a fire now).
_NO_ONE_HURT = _any(r"没有?人(?:被困|困在|困住|被关|关在|受伤|在里面|伤着)|"
                    r"(?:孩子|小孩|娃|老人|大家|人)(?:都|也)?没(?:事|大碍)(?![吧吗?？])",
                    r"\b(?:nobody|no one|no-one)(?:'s| is| was| got)? (?:stuck|hurt|inside|trapped|"
                    r"injured)\b")
# Not in words that only look like them: a train, a hotpot, a fever's 上火, a temper's 发火,
# 红烧 and 叉烧, 焦虑 (火星 stays: sparks flying, 火星四溅).
_ELEMENTS = _any(r"(?<![上发恼红])火(?!车|锅|腿|龙果|箭|候|爆|热|红|速)|"
                 r"(?<![红叉])烧(?!烤|饼|麦|卖|鹅)|烟|(?<!聚)焦(?!虑|点|急)|"
                 r"煤气|燃气|天然气|漏气|漏电|淹|水漫",
                 r"\b(?:fire|flames?|smoke|smoking|burn\w*|gas|sparks?|sparking|flood\w*)\b")
_HURT = _any(r"受伤|血|晕|摔", r"\b(?:hurt|injur\w*|blood|bleeding|fell|fallen)\b")
# A news item or a report of somewhere else, as residents paste them into a group: a headline
# is about a danger already dealt with or far away, not one here now.
_REPORTED = _any(
    r"据报道|据悉|记者|通报|网传|热搜|所幸|(?:无|未造成)人员伤亡|已被?扑灭|某地|某市|某区|某小区|"
    r"朋友圈|微博上|群里(?:有人)?(?:发|说|转)|谣言|传谣|辟谣|纪录片|科普",
    r"\bbreaking\b|\breportedly\b|\bdocumentary\b|\blocal (?:man|woman|residents?|family)\b|"
    r"\b(?:officials|authorities|police) (?:say|said|are investigating|investigate)\b|"
    r"\bfirefighters (?:battle|tackle|fight|put out|respond to)\b|\bheadline\b|\barticle\b|"
    r"\bno (?:one|injuries) (?:was |were )?(?:hurt|injured|reported)\b")
# A danger at another place: another compound, district or town. Not this community's staff
# to send; the resident is told to call 119 / 120 / 110 there (actions/faq.py).
_AWAY = _any(
    r"不是我们(?:这|小区|楼|家)|不在我们(?:这|小区)|(?:隔壁|别的|旁边|对面|另一个|其他)小区|"
    r"(?:别的|另一个|其他)(?:区|街道)|外地|外省|老家",
    r"\b(?:in|at) (?:another|a different|the next|a nearby|other) (?:district|city|town|"
    r"compound|estate|neighbou?rhood|part of (?:town|the city))\b|\bacross town\b|"
    r"\b(?:other|far) side of (?:town|the city)\b|\bnot (?:in|at) (?:our|this|your) "
    r"(?:compound|estate|community|building)\b")
# Words that sound like a hazard and name none: a stove that will not light (打不着火), a gas
# account run dry (欠费没气了, not 没气了 as in not breathing). Blanked before any cue is read.
_NO_HAZARD = _any(r"[打点]不[着燃]火?|"
                  r"(?:燃气|煤气|天然气|液化气|气罐|罐子|欠费|充值|交费|缴费).{0,8}没气了?|"
                  # keys locked in: only someone locked in with them is a danger
                  r"(?:钥匙|手机|包)(?:被)?(?:反)?(?:锁|关)(?:在)?(?:车|屋|家|门|房间)里"
                  r"(?!.{0,12}(?:孩子|小孩|娃|宝宝|老人|人))",
                  r"\b(?:won'?t|doesn'?t|can'?t get (?:it|the \w+) to) (?:light|ignite)\b|"
                  r"\bout of gas credit\b|"
                  r"\blocked (?:my |the )?keys (?:in|inside)\b(?!.{0,30}\b(?:baby|child|kid|son|"
                  r"daughter|toddler|mum|mom|dad|grand\w+|someone|dog)\b)")
_GAS_SMELL = _any(r"(?:煤气|燃气|天然气|液化气)味|有(?:股|点)?(?:煤气|燃气)",
                  r"\bsmells? (?:of|like) gas\b|\bgas smell\b|\bsmell(?:ing)? gas\b")
# Trapped in a meeting, a class or a queue: a figure of speech, whatever cry for help follows.
# (An office or a company one is "stuck at" is one too, but only where nothing cries for help:
# someone can be locked in an office.)
_TRAPS_ZH = "会议|会上|会里|开会|课上|课堂|教室|路上|高速|车流|堵车"
_TRAPS_EN = ("meeting|class|lecture|seminar|call|zoom|queue|traffic|job|relationship|marriage|"
             "conversation|loop")


def _trapped_in(zh: str, en: str) -> tuple[str, str]:
    return (rf"(?:困|卡|关)在(?:这个?|那个?)?[破烂鬼]?(?:{zh})",
            rf"\b(?:trapped|stuck) (?:in|at) (?:an?|the|this|my|our|another) (?:\w+ ){{0,4}}"
            rf"(?:{en})\b")


_TRAPPED_IN_A_FIGURE = _any(*_trapped_in(_TRAPS_ZH, _TRAPS_EN))
# Laughter and "just kidding": whatever the words, no one is in danger.
_JEST = _any(r"哈哈|嘿嘿|呵呵|开玩笑|开个玩笑|逗你|😂|🤣|😆|😅",
             r"\b(?:lol|lmao|rofl|haha\w*|hehe\w*|jk|just kidding|kidding)\b|😂|🤣|😆|😅")
_FIGURATIVE = _any(
    r"差点(?:晕|吓)|得.{0,3}(?:要|快)?(?:着火|爆炸|炸了|冒烟|烧起来)|气[得死晕炸]|笑[死晕]|(?:热|累|饿|困|冻|烦|尴尬|虐|辣|忙|无聊)死|(?<!炭)火锅|火爆|[很太好超]火(?![灾苗势光星焰])|"
    r"火起来|炸裂|炸锅|爆肝|心态|死机|上火|火冒三丈|人气|流量|游戏|作业|加班|恐怖片|电影|电视剧|"
    r"综艺|直播|哈哈|开玩笑|逗你|股票|股市|基金|吃了?枪药|火药味|天都塌了|天塌了|救命[啊呀哦~！!，,\s]*(?:这|今天|这个)?(?:鬼)?(?:天|天气)|"
    rf"{_trapped_in(f'{_TRAPS_ZH}|公司|单位', _TRAPS_EN)[0]}|代码|编程|程序(?!员)",
    r"\b(?:is|was|so|straight|totally|pure) fire\b|\blit\b|\bdying of\b|\bkilling me\b|"
    r"\bkilled (?:it|me)\b|"
    r"\bmy (?:mum|mom|dad|boss|wife|teacher)(?:'s| is)? (?:gonna|going to) kill me\b|"
    r"\b(?:phone|laptop|battery|car) "
    r"(?:just )?died\b|\bblew up (?:my|on|overnight)\b|\bblowing up\b|\bdrowning in\b|"
    r"\bsmoking hot\b|\bfried\b|\bcrash(?:ed|es)\b|\blol\b|\blmao\b|\bhaha|\bgame\b|\blevel \d|"
    r"\bhomework\b|\balbum\b|\bmovie\b|\btiktok\b|\bexam\b|\bdeadline\b|\bthis traffic\b|"
    r"\bmidnight oil\b|\bmixtape\b|\bthe internet\b|\bstock market\b|\bthe party\b|"
    r"\bmy boss\b|\bpizza\b|\bon fire (?:this|tonight|today|lately)\b|\bscored\b|"
    r"\bmy (?:brain|head|heart|mouth) is on fire\b|\bstudying\b|"
    r"\b(?:booked|sold) out\b|\binbox\b|\bemails?\b|"
    r"\b(?:nearly|almost) (?:fainted|died|passed out|had a heart attack)\b|\bthe price\b|"
    r"\bin a good way\b|\bjust kidding\b|\bjk\b|\bmy heart (?:exploded|melted|burst|stopped)\b|"
    r"\bburning through\b|\b(?:explosion|party|fireworks?|bomb) in my mouth\b|\bflavou?rs?\b|"
    r"\b(?:project|team|startup|business|sales|career|playlist|feed)(?:'s| is)? on fire\b|"
    rf"{_trapped_in(_TRAPS_ZH, f'{_TRAPS_EN}|office')[1]}|"
    r"\bcode\b|\bcoding\b|\bsoftware\b|\bprogramming\b|\bscript\b")
# Sparks and fumes from work being done: a hazard to complain about, not an emergency.
_WORKS = _any(r"电焊(?!似|一样)|焊接|切割|打磨",
              r"\bweld\w*|\bgrind\w*|\bcutting (?:metal|pipes?|steel)\b")
# Smoking a cigarette is no fire, unless something caught fire from it.
_TOBACCO = _any(r"抽烟|吸烟|烟头|烟蒂|烟灰",
                r"\bsmokes\b|\bsmokers?\b|\bsmoking (?:in|on|at|near) (?:the|our|my)\b|"
                r"\bcig(?:arette)?s?\b|\bbutts\b|\bvap(?:e|ing)\b|\bsecondhand smoke\b")
_FIRE = _any(r"[着烧]|火|冒烟", r"\bfire\b|\bburn|\bflames?\b|\bsmouldering\b|\bspark")
_ASKING = _any(
    r"怎么办|咋办|咋整|咋弄|(?:怎么|咋)(?!都|也|叫|喊|回事|[了啦])|判断|找谁|一般|区别|如何|还是.{1,12}$|用什么|打哪个|哪个|什么(?:原因|症状|电话)|应该|该(?:怎么|按|往|用|找)|"
    r"能不能|可不可以|可以.{0,8}吗|会不会|要不要(?!命)|谁(?:装|管|负责|来|给|修|换|付|赔)|"
    r"哪[里儿]?(?:买|领|有|换|办)|在哪|去哪|多久|多长时间|收费|要钱|什么原因|什么症状|是什么|"
    r"吗[?？]?$|[?？]$|有没有|合规|危险吗",
    r"\bwhat (?:do|should|to|would|happens|number)\b|\bhow (?:do|can|to|often|long|many|"
    r"does|would)\b|\bwho (?:installs|puts|pays|replaces|fixes|checks|do|should|helps|can)\b|"
    r"\bwhere (?:can|do|is|are|should)\b|\bwhere's\b|\bis it (?:safe|ok|okay|allowed)\b|"
    r"\bshould (?:i|you|we)\b|\bcan (?:i|you|we)\b|\bdoes\b(?! nothing| not)|\bdo i need\b|"
    r"\bis there\b|"
    r"\bare there\b|\bdifference between\b|\bwhat'?s the\b|\busually\b|\bgenerally\b|"
    r"\bnormally\b|\bany (?:grants|tips)\b|"
    r"\bwhy (?:does|is|do)\b|\?$")

# "What do I do", said with a danger of one's own, is a cry for help, not a question.
_WHAT_DO_I_DO = _any(r"(?:怎么办|怎么弄|咋办|咋整)[?？!！]*",
                     r"\bwhat (?:do|should|can) (?:i|we) do\b[?!]*|\bwhat to do\b[?!]*")

# --- a danger stated, not asked about: enough for an alarm when the classifier hesitates ------
_HAZARD_NOW = _any(
    r"困在电梯|关在电梯|电梯里出不来|被关电梯|(?:正在|还在|在)撬(?:门|锁|我|我们|单元|楼)|"
    r"(?:天台|楼顶|窗台|阳台)\S{0,12}(?:要跳|想跳|准备跳)|(?:看着|好像|像是|看着像|好像是)要跳|"
    r"冒火花|打火花|冒火星|在打火|晕倒|昏倒|晕过去|昏过去|昏迷|没呼吸|没气了|叫不醒|喊不醒|"
    # one's own turn, told as it happens: "我头好晕 站不住了"
    r"(?<![累笑困饿]得)(?:站不住了|站不稳了)|(?:要|快)晕倒了|眼前发黑|"
    r"(?:几|好几|好多|多|两|三|四|五|六|七|十几)天没(?:见|看见|出门|露面|动静|开门|人应)|"
    r"有火花|火星子|火花四溅|冒黑烟|浓烟|爆炸了|炸了一声|(?:全是|都是|满是|一屋子|好大的?)烟(?![味头蒂灰])|"
    r"(?<![没不])(?:着火|起火|失火)了|"
    r"水.{0,8}(?:插座|电箱|配电|电闸|电线|电表|吊灯|灯座|灯里|开关)|"
    r"(?:嘴唇|脸)(?:有点|都|已经)?(?:发青|发紫|青了|紫了)|呼吸(?:很快|困难|急促|费劲)|"
    r"血流不止|流血不止|止不住血|血.{0,6}(?:止不住|喷|一直流)|"
    r"(?:天花板|屋顶|顶上|墙|楼板|阳台).{0,10}裂(?:开|了).{0,20}(?:往下掉|掉渣|响)|"
    r"(?:头晕|头疼|头痛|恶心|想吐).{0,20}(?:煤气|燃气|天然气|热水器|炭)|"
    # several people unwell at once, as gas or carbon monoxide makes them
    r"(?:都|全家|一家人|俩人|两个人|几个人)(?:有点|突然)?(?:头晕|头疼|头痛|恶心|想吐)|"
    r"(?:煤气|燃气|天然气|热水器|炭).{0,20}(?:头晕|头疼|头痛|恶心|想吐)|"
    r"拿(?:着)?(?:刀|棍|棒|砖|斧)|(?:刀|棍子|棒球棍)(?:在|追|砍|打)|(?:叫|喊).{0,3}(?:不应|不醒|没反应)|"
    r"一动不动|嘶嘶|呲呲|漏气了|(?:煤气|燃气|天然气).{0,8}(?:一直|还在|不停)(?:地)?漏|(?:要|快)(?:塌|倒|掉下来)|摇摇欲坠|(?:楼|房子|墙|阳台|脚手架|塔吊|广告牌|招牌|防盗网).{0,6}晃得厉害|"
    r"(?:锁|关)(?:在)?(?:车|屋|家|卫生间|房间|厕所)里|反锁在|(?<![不没出])火苗|明火|烧着了|"
    r"(?:插头|插座|插排|电线|锅|被子|窗帘|沙发|电饭煲|电瓶)着了|"
    r"(?:插座|插头|插排|插线板|电线|开关|充电器|电表).{0,8}(?:冒烟|发黑|焦|噼里啪啦|烫手)|"
    # the child is what is lost ("孩子的自行车丢了" is not)
    r"(?:孩子|小孩|娃|儿子|女儿|孙子|孙女|外孙|闺女)(?:(?!的)[^，。,.!！?？\s]){0,6}"
    r"(?:不见了|找不到了|走丢了|丢了|没影了)|"
    r"(?:老年痴呆|痴呆|糊涂|脑子不清楚).{0,20}(?:没回来|走丢|不见|找不到|没影)|"
    r"(?:吞|吃|喝|咬|误食)了?.{0,8}(?:电池|磁|药片|一把药|农药|老鼠药|消毒|洗洁精|漂白|凝珠|硬币|洗衣液)|"
    r"(?:电池|磁\S?珠|磁铁|药片|硬币|农药|老鼠药|消毒水|洗洁精).{0,6}(?:吞|吃|喝)(?:下去|进去)?了|"
    r"(?:刺鼻|化学|呛).{0,12}(?:眼睛|睁不开|喘不|咳|头晕|流泪)|电梯.{0,4}困(?:了|住)?人|"
    r"(?:往下掉|掉下来|砸下来|坠落).{0,15}(?:下面|底下|楼下).{0,4}(?:有人|全是人|都是人|好多人)|(?:汽油|煤油|打火机).{0,12}(?:烧|点|放火)|要放火|"
    r"(?:嗓子|喉咙)(?:发紧|肿)|(?:呼吸机|制氧机|吸氧机|氧气机|透析机).{0,15}(?:没电|停电|断电|停了|不转|撑不)|"
    r"(?:停电|没电|断电).{0,15}(?:呼吸机|制氧机|吸氧机|氧气机|透析机)|糖尿病.{0,20}(?:出汗|大汗|冷汗|哆嗦|抖|胡话|叫不醒)",
    r"\b(?:stuck|trapped|locked|shut) in (?:the |a |an |this )?(?:lift|elevator)\b|"
    r"\b(?:sparks|sparking|arcing)\b|\b(?:black|thick) smoke\b|\bexplo(?:sion|ded)\b|\bblast\b|"
    r"\bwater\b.{0,60}\b(?:socket|fuse box|wiring|wires|meter box|switchboard|light "
    r"fitting|ceiling light|light switch)\b|"
    r"\blips? (?:are |is |look |turning |going )?(?:blue|purple|grey)\b|"
    r"\b(?:struggling|fighting) (?:to breathe|for breath)\b|\bbreathing (?:really |very )?"
    r"(?:fast|hard|difficult|funny)\b|"
    r"\bblood (?:is )?(?:spurting|pouring|gushing|everywhere|won'?t stop)\b|"
    r"\bbleeding (?:heavily|badly|a lot|everywhere)\b|\bwon'?t stop bleeding\b|"
    r"\b(?:drank|swallowed|ate) (?:something|some \w+) (?:from|under|out of)\b|"
    r"\bpassed out\b|\bfainted\b|\bunconscious\b|\bhissing\b|"
    r"\babout to (?:fall|collapse|come down)\b|\blocked (?:himself |herself |alone )?in "
    r"(?:a |the |his |her |my )?(?:hot )?(?:car|flat|room|bathroom|house|apartment)\b|"
    r"\bhanging off (?:the |a )?(?:wall|building|balcony|window|roof)\b|"
    r"\bnot breathing\b|\bisn'?t breathing\b|"
    r"\b(?:haven'?t|hasn'?t|not) (?:seen|been seen|come out|answered|heard from)\b.{0,40}"
    r"\b(?:days|week)\b|"
    r"\b(?:headaches?|dizzy|nause\w+|sick)\b.{0,40}\b(?:gas|heater|charcoal|boiler)\b|"
    r"\b(?:we|both of us|(?:the )?whole family|all of us|everyone)\b.{0,25}\b(?:dizzy|"
    r"headaches?|nause\w+|throwing up)\b|"
    r"\b(?:gas|heater|charcoal|boiler)\b.{0,40}\b(?:headaches?|dizzy|nause\w+|sick)\b|"
    r"\bgas+ ?(?:le+a?c?k\w*|lek\w*)\b|\bsmel+ (?:of )?gas+\b|"
    r"\bgas\b.{0,30}\b(?:keeps?|still|is|'s) (?:leak|hiss)\w*\b|"
    r"\b(?:knife|bat|machete|iron bar|wrench)\b|\b(?:is|are|'s) on fire\b|\bcaught fire\b|"
    r"\bgas+ smel+\b|\b(?:not|no|don'?t|doesn'?t) (?:move|moving|wake up|breathe|breathing)\b|"
    r"\b(?:socket|plug|outlet|wire|cable|switch|charger|extension (?:lead|cord)|fuse box|meter)s?"
    r"\b.{0,30}\b(?:smoking|smoke|crackl\w*|melt\w*|popping)\b|"
    r"\b(?:can'?t|cannot) find my (?:son|daughter|kid|child|boy|girl|grand\w+|mum|mom|dad|"
    r"father|mother|little one)\b|"
    # the person is what is missing ("my dad's wallet went missing" is not)
    r"\b(?:kid|child|son|daughter|boy|girl|toddler|baby|grand\w+|mum|mom|dad|father|mother|"
    r"husband|wife)\b(?:'s| is| has| have| just| been| now| still)*"
    r" (?:missing|went missing|gone missing|wandered off|got lost|lost)\b|"
    r"\b(?:dementia|alzheimer'?s)\b.{0,40}\b(?:wandered|missing|gone|hasn'?t come back|"
    r"not back|lost)\b|\b(?:swallowed|drank|ate|got into|bit into)\b.{0,25}"
    r"\b(?:batter\w+|magnets?|pills?|bleach|poison|detergent|pods?|cleaner|tablets)\b|"
    r"\b(?:petrol|gasoline|lighter)\b.{0,30}\b(?:burn|fire|light)\b|"
    r"\b(?:going to|gonna|will|'ll) (?:burn (?:it|this|the)|set (?:fire|\w+ on fire))|"
    r"\bthroat (?:is )?(?:closing|swelling|tight\w*)\b|"
    r"\b(?:chemical|acrid|pungent)\b.{0,30}\b(?:eyes|cough\w*|breath\w*|dizzy)\b|"
    r"\b(?:falling|fell|coming down|dropping)\b.{0,60}\b(?:people|someone|kids|children|"
    r"pedestrians)\b.{0,12}\b(?:under|below|underneath|walking)\b|"
    r"\bdiabetic\b.{0,40}\b(?:shaking|sweat\w*|confused|clammy|nonsense)\b|"
    r"\b(?:ventilator|oxygen (?:machine|concentrator)|breathing machine|life support|"
    r"dialysis machine)\b.{0,50}\b(?:power|battery|stopped|died|dying|off)\b|"
    r"\b(?:power|electricity)\b.{0,30}\b(?:out|cut|off|gone)\b.{0,40}\b(?:ventilator|"
    r"oxygen (?:machine|concentrator)|breathing machine|life support|dialysis machine)\b")

# --- something in the message says the danger is here -----------------------------------------
_HERE_NOW = _any(
    r"救命|快来|快点来|快派|快叫|快报警|快打|赶紧来|赶快来|快快|来人啊|救火|"
    r"正在|还在|一直在|越来越|出不来|出不去|打不开|开不了|关不住|关不掉|关不上|灭不了|灭不掉|"
    r"扑不灭|盖不灭|止不住|停不下|叫不醒|喊不醒|不应|没反应|一动不动|不动了|没气了|没呼吸|"
    r"喘不上|喘不过|抽搐|口吐白沫|血流不止|流血不止|要(?:杀|砍|捅|弄死)|威胁|现在就|[!！]{2}|"
    r"抬不动|扶不起|拉不动|起不来|爬不起来|站不起来|来个人|来人|帮帮忙|敲门(?:也|都)?(?:不开|没人|不应)",
    r"\bhelp(?: me| us| pls| please)?!|\bhelp+\b(?! with)|\bhurry\b|\bcome quick|\bquickly\b|"
    r"\basap\b|\b(?:please|plz|pls) come\b|\bsend someone\b|\bcall (?:119|120|110)\b|"
    r"\bstill (?:burning|leaking|there|inside|in there|coming|going|rising|on|smoking|sparking)\b|"
    r"\bkeeps? (?:on )?(?:coming|going|leaking|sparking|rising|getting|pouring|gushing)\b|"
    r"\bgetting (?:stronger|worse|bigger|deeper|closer|hotter)\b|\bspreading\b|\brising\b|"
    r"\bcan'?t (?:get out|get up|stop|breathe|put it out|shut|open|move|find the valve|"
    r"get down)\b|"
    r"\bwon'?t (?:open|stop|close|wake|respond|move|let go|shut)\b|"
    r"\b(?:not|isn'?t|aren'?t) (?:moving|breathing|responding|answering|waking)\b|"
    r"\bunconscious\b|\b(?:threaten\w*|says?|saying|yell\w*|scream\w*|shout\w*)\b.{0,25}\b(?:kill|stab|hurt)\b")
_LIKELY_NOW = _any(
    r"[好很特别太老超]?(?:大|浓|重|冲|呛)[了啊!！]|好大|很大|特别大|太大|好浓|很浓|特别浓|好重|很重|"
    r"特别重|好冲|很冲|全是|到处|满屋|满地|满楼|整个|整栋|整层|现在|刚才|刚刚|"
    r"我.{0,3}(?:被困|困在|被关|关在|卡在|在里面|锁在)|有人(?:晕|倒|摔|被困|触电|打|拿|在撬|在砸)|"
    r"烧起来|着起来|冒出来|往外|在(?:冒|烧|漏|响|喷|流|往|滴|闪)|一股|头晕|头疼|头痛|恶心|想吐|难受|"
    r"卡住了|困住了|被困了|关住了|困在电梯|关在电梯|一屋子|一地|全[泡湿淹是]|出冷汗|脸色|说不出话|迷迷糊糊|"
    r"神志不清|倒地|晕了|抽起来|不行了|不对劲",
    r"\breally (?:strong|bad|thick)\b|\bso (?:strong|bad|thick)\b|\beverywhere\b|\bthe whole\b|"
    r"\bfull of\b|\b(?:i'?m|we'?re|i am|we are) (?:stuck|trapped|inside|in the|locked)\b|"
    r"\bjust (?:now|collapsed|fell|passed out|fainted)\b|"
    r"\bthere'?s (?:a |an )?(?:fire|smoke|gas|someone|somebody|a man|a guy|water)\b|"
    r"\b(?:is|are) on fire\b|\bit'?s in my\b|\bin here\b|\bright now\b|"
    r"\b(?:is|are|'s|'re) (?:burning|smoking|sparking|leaking|flooding|hissing|pouring)\b|"
    r"\b(?:coming|pouring|gushing|seeping|spreading) (?:in|out|from|through|under|down|into)\b|"
    r"\bsmells? (?:of|like|funny|strange|weird)\b|\bsmoky\b|\bgoing off\b|\bi smell\b|"
    r"\b(?:stuck|trapped|locked|shut) in (?:the |a |an )?(?:lift|elevator)\b|\bsweaty\b|"
    r"\bcollapsed\b|\bfell\b|\bfainted\b|\bpassed out\b|\bseizure\b|\bchoking\b|"
    r"\bbleeding\b|"
    r"\bconfused\b|\bpale\b|\bnot making (?:any )?sense\b|\bdizzy\b|\bhead is pounding\b|"
    r"\bheadaches?\b|\bnause\w+|\bthrowing up\b|\bfeel sick\b")

# --- any sign of a danger at all: what an alarm needs before it is raised unasked ------------
# Broad on purpose (a person, a body, fire, water, power, a fall, a lock, a threat, a cry): the
# classifier's emergency reading of a message with none of these ("2号楼大门口有个大坑") comes
# from words it has never seen, and is asked about before anyone is woken.
_DANGER_SIGNS = _any(
    r"火|烧|烟|焦|糊|爆|炸|燃|煤气|然气|液化气|气味|味|臭|熏|呛|电|线|闸|漏|水|淹|泡|灌|喷|涌|"
    r"困|卡|关|锁|出不|打不开|掉|塌|倒|垮|裂|松|晃|砸|摔|跌|滑|躺|晕|昏|迷|醒|血|伤|痛|疼|病|药|"
    r"呼吸|喘|气|吐|抽|抖|紫|白|汗|噎|吞|烫|蛰|咬|过敏|肿|心|胸|脑|中风|中暑|蛇|狗|蜂|撬|抢|偷|"
    r"贼|跟踪|尾随|跟着|打|杀|砍|刀|枪|威胁|吵架|家暴|跳|窗台|楼顶|天台|井|坠|悬|救|帮|快|急|紧急|"
    r"怕|吓|哭|喊|叫|人|孩|娃|宝|孙|老|爸|妈|爷|奶|叔|姨|邻居|身|知觉|站不|不动|咳|喝|堵|醉|孕|生了|要生|羊水|"
    r"不见|走丢|找不到|没影|"
    r"110|119|120",
    r"\b(?:fire|flame|smok|burn|smoulder|spark|explo|blast|bang|alarm|gas|smell|stink|fume|"
    r"rotten egg|carbon|water|flood|pour|gush|spray|burst|pipe|leak|sewage|electr|wire|cable|"
    r"power|shock|live|fuse|crackl|stuck|trap|lock|inside|in there|lift|elevat|door|fell|fall|"
    r"drop|collaps|faint|unconscious|passed out|breath|chest|heart|stroke|seizure|fit\b|blood|"
    r"bleed|hurt|injur|pain|chok|blue|pale|sweat|confus|slur|droop|swallow|pill|overdose|sting|"
    r"stung|allerg|swell|bit(?:e|ten)?\b|attack|dog|snake|wasp|bee|break|broke|burglar|thief|"
    r"rob|snatch|follow|stalk|knife|gun|weapon|fight|hit|beat|kill|threat|jump|edge|roof|"
    r"window|ledge|crack|loose|swing|tree|down|help|urgent|emergenc|quick|hurry|now|asap|"
    r"someone|somebody|man\b|woman|guy|person|people|kid|baby|child|son|daughter|mum|mom|dad|"
    r"grand|aunt|uncle|neighbo|wife|husband|toddler|lady|worker|scream|shout|cry|hiss|arc|"
    r"valve|lpg|sway|drows|head|lying|ground|moving|drank|drink|throw|vomit|drunk|labou?r|"
    r"respond|shak|floor|friend|wake|awake|throat|nut|epipen|missing|lost|wander|find|"
    r"contraction|pregnan|"
    r"110|119|120|911|999)")
# A risk to someone, not a harm: "碎玻璃还在地上 小孩容易扎到" is a hazard to fix, unless a
# danger is stated as happening.
_RISK = _any(r"容易(?:扎|摔|割|划|碰|绊|滑|伤|出事|被|掉|砸)",
             r"\b(?:could|might|may) (?:easily )?(?:get )?(?:hurt|cut|trip|fall|slip|injure)\w*|"
             r"\bsomeone(?:'ll| will) get hurt\b")
# The classifier's emergency reading without any sign of danger is capped here: below
# flows/runner.py's alert threshold, so the resident is asked first; at an out-of-scope
# threshold's reach no more than a lifted one (``_LIFTED_AT_LEAST``).
_UNSIGNED_AT_MOST = _LIFTED_AT_LEAST

# Ongoing noise is a nuisance to complain about ("楼下一直在吵"), not a danger, unless something
# in the message is one: violence, a cry for help, fire, gas, someone hurt or stuck.
_NUISANCE = _any(r"吵|闹|噪音|噪声|喧哗|大声|音响|音乐|广场舞|狗叫|装修声|电钻|打呼噜?|打鼾|"
                 r"(?:车|汽车|电动车|摩托车)(?:的)?(?:防盗)?(?:报警器|警报器?)|防盗器",
                 r"\bnois(?:e|y)\b|\bloud\b|\bshouting\b|\byelling\b|\barguing\b|"
                 r"\bmusic\b|\bparty\b|\bbarking\b|\bdrilling\b|\bcar alarms?\b")
_NOT_ONLY_NOISE = _any(
    r"打人|打起来|打架|动手|砍|刀|杀|救命|救|喊人|尖叫|惨叫|哭喊|血|伤|威胁|砸|火|烟|煤气|燃气|"
    r"天然气|漏|晕|摔|倒|困|报警(?!器)|110|120|119|孩子哭|小孩哭|家暴",
    r"\bhit(?:ting)?\b|\bfight\w*|\bhurt\w*|\bkill\w*|\bkni(?:fe|ves)\b|\bcleaver\b|\baxe\b|"
    r"\bmachete\b|\bchop\w*|\bstab\w*|\bscream\w*|\bhelp\b|"
    r"\bblood\w*|\bfire\b|\bflames?\b|\bsmoke\b|\bgas\b|\bbang\b|\bexplo\w+|"
    r"\bthreat\w*|\bpolice\b|\bcrying\b|\bweapon\b|\bgun\b|\bstuck\b|\btrapped\b|"
    r"\bviolen\w+|\babuse\w*|\bbreak\w* (?:in|down)\b|\bsmash\w*")

# "Suddenly" is how general safety questions are put (电梯突然停了该按哪个键, what if the power
# suddenly goes): it places a question here only when it names someone of the resident's own.
_SUDDEN = _any(r"突然|忽然|一下子", r"\bsuddenly\b|\ball of a sudden\b")
_OWN_PERSON = _any(
    r"我|咱|俺|不敢|家里|孩子|小孩|宝宝|老人|老公|老婆|爸|妈|爷|奶|外公|外婆|儿子|女儿|邻居|大爷|大妈",
    r"\b(?:i|i'm|we|we're|my|our|us|me)\b")
# A lift, door or machine stuck or stopped at a floor, with no one said to be inside: a repair.
_MACHINE_ONLY = _any(
    r"电梯.{0,6}(?:卡|停|困|挂)在.{0,4}(?:\d+|[一二三四五六七八九十]+)(?:楼|层)",
    r"\b(?:lift|elev\w*)\b.{0,20}\b(?:stuck|stopped|parked|frozen|sitting)\b (?:on|at) "
    r"(?:the )?(?:floor|level|\d+(?:st|nd|rd|th)? floor|(?:ground|top|\w+) floor)")
_SOMEONE_INSIDE = _any(
    r"里面|里头|人|困|关在|出不来|救",
    r"\b(?:in it|inside|in there|trapped|someone|somebody|anyone|people|person|kid|child|"
    r"baby|i'm|i am|we're|we are|with (?:my|a|an|the|him|her|them|us|me))\b|\bhelp\b")
_LIFT = _any(r"电梯|轿厢", r"\b(?:lift|elev\w*)\b")
_LIFT_STOPPED = _any(r"卡|停|不动|困|关|掉|坠|冲顶|打不开",
                     r"\b(?:stuck|stopped|stopping|jammed|won'?t (?:move|open)|dropped|"
                     r"not moving|between floors)\b")
_INSIDE_SOMEONE = _any(r"(?:里面|里头|里边)(?:还)?有(?:个|两个|几个)?\S{0,3}"
                       r"(?:人|老人|小孩|孩子|孕妇|老太|大爷)|我(?:们)?在(?:里面|里头|电梯里)|(?:我|我们|孩子|老人).{0,4}在电梯里|"
                       # "电梯坏了，困在里面出不来": whoever writes is the one inside
                       r"(?:困|关|卡|锁)在(?:里面|里头|里边|中间)|(?:门)?(?:打不开|开不了)?.{0,2}出不来",
                       r"\bwith (?:me|us|my \w+|a (?:kid|child|baby|pregnant))\b.{0,20}"
                       r"\b(?:inside|in it|in there)\b|\b(?:i'?m|we'?re|i am|we are) (?:inside|"
                       r"in it|in there|stuck|trapped)\b|\bwith (?:me|us) and\b|"
                       r"\b(?:people|someone|somebody|kids?|child|children|baby|my \w+|an? "
                       r"(?:old|elderly|pregnant) \w+) (?:is |are )?(?:inside|in it|in there)\b")
# "没人应", "nobody answers" say no one comes, not that no one is inside.
_NOBODY_INSIDE = _any(r"(?:没|没有|无)人(?![应接管理来回听修])",
                      r"\b(?:nobody|no one|no-one)\b(?! (?:answer|respond|come|came|pick|help|"
                      r"care|is answering|is coming))|\bempty\b")
# A lift said outright to hold no one ("里面没人", "nobody inside"): whatever else it is doing
# (stuck between floors, not moving), it is a repair. "没人来" (nobody comes) says no such thing.
_EMPTY_LIFT = _any(
    r"电梯.*(?:(?:里面|里头|里边)(?:没|没有|无)人|(?:没|没有|无)人(?:在里|被困|困住|困在|关在)|"
    r"没(?:有)?(?:困|关)(?:到|住)?人|是空的|空着)|空电梯",
    r"\b(?:lift|elev\w*)\b.*(?:\b(?:nobody|no one|no-one|noone)(?:'s| is| was)? "
    r"(?:inside|in it|in there|in the (?:lift|elev\w*)|trapped|stuck)\b|\b(?:it'?s|it is|it was) "
    r"empty\b)|\bempty (?:lift|elev\w*)\b")


# Someone old, alone or of the resident's own who cannot be reached for a day or more
# (电话两天没人接, hasn't answered since yesterday): the reason for a welfare check. The worry
# that comes with it ("担心出事", "worried") is about now, not a fear of what may happen.
_SPELL = _any(
    r"(?:[一两二三四五六七八九十几]|好几|十几)天|一整天|昨天|前天|一天一夜|这几天|好久",
    r"\b(?:days?|yesterday|a week|all day|24 hours|since (?:last night|this morning|monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday))\b")
_NO_ANSWER = _any(
    r"(?:电话|手机|视频).{0,6}(?:没人接|无人接|不接|打不通|没接|关机)|微信.{0,4}不回|"
    r"敲门.{0,4}(?:没人|无人|不)(?:应|开|理)|没(?:露面|出门|动静)|(?:联系|找)不(?:上|到)",
    r"\b(?:not|hasn'?t|haven'?t|has not|didn'?t|doesn'?t|isn'?t|won'?t|can'?t|couldn'?t|"
    r"nobody|no one|no-one)\b.{0,25}\b(?:answer\w*|pick\w* up|respond\w*|repl\w+|"
    r"been seen|seen|reach\w*|contact\w*|get hold of|get through)\b|\bno answer\b|"
    r"\bunreachable\b")
_OLD_OR_ALONE = _any(
    r"独居|一个人住|独自|老人|老太|老爷子|大爷|大妈|奶奶|爷爷|外公|外婆|姥姥|姥爷|我爸|我妈|老伴|"
    r"老母亲|老父亲|邻居",
    r"\b(?:lives? alone|living alone|on (?:his|her) own|elderly|old (?:man|lady|woman)|"
    r"grandm\w+|grandpa|grandad|granny|my (?:mum|mom|mother|dad|father)|neighbou?r)\b")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says about when and whether a danger is happening."""

    elsewhere: tuple[str, ...]  # past, supposed, feared, all_clear, figurative, reported,
    # away, fiction
    loosely: tuple[str, ...]  # asking: not now unless the message places the danger here
    here_now: bool  # a call for help or a danger going on
    likely_now: bool  # something placing the danger here: intensity, "just now", "I'm stuck"
    hazard_now: bool = False  # a danger stated as a fact: "trapped in the lift", "sparks"

    @property
    def danger_now(self) -> bool:
        """False when the message speaks of the danger as not here now."""
        if self.here_now:
            return True
        if self.elsewhere:
            return False
        return not self.loosely or self.likely_now


_ELSEWHERE = (("past", _PAST), ("supposed", _SUPPOSED), ("feared", _FEARED),
              ("all_clear", _ALL_CLEAR), ("figurative", _FIGURATIVE), ("reported", _REPORTED),
              ("away", _AWAY),
              ("fiction", _FICTION))
_LOOSELY = (("asking", _ASKING),)


def read(text: str) -> Reading:
    """The cues of ``text`` (clean text)."""
    text = _NO_HAZARD.sub(" ", text)
    return Reading(_elsewhere(text),
                   tuple(name for name, pattern in _LOOSELY if pattern.search(text)),
                   bool(_HERE_NOW.search(text)), bool(_LIKELY_NOW.search(text)),
                   bool(_HAZARD_NOW.search(text)))


#: Someone unwell now: what makes a doubted danger a danger, however unsure the answer.
_UNWELL = _any(r"头晕|头疼|头痛|恶心|想吐|吐了|呼吸困难|喘不上|喘不过|晕倒|昏倒|晕过去|昏迷|"
               r"叫不醒|抽搐|站不稳|没反应|犯困",
               r"\bdizzy\b|\bheadaches?\b|\bnause\w+|\bvomit\w*|\bthrowing up\b|\bdrowsy\b|"
               r"\bcan'?t breathe\b|\bpassed out\b|\bfainted\b|\bunconscious\b|"
               r"\bwon'?t wake\b|\bnot breathing\b|\bseizure\b")


def someone_unwell(text: str) -> bool:
    """``text`` (clean text) says someone is unwell now ("我和老伴都头晕", "she fainted")."""
    return bool(_UNWELL.search(text)) and "past" not in _elsewhere(text)


def all_clear(text: str) -> bool:
    """``text`` (clean text) says the danger is over, or was none ("没事了 是邻居在烧烤")."""
    return "all_clear" in _elsewhere(text)


def guard(text: str, ranking: Sequence[tuple[str, float]], *,
          place_given: bool = False) -> list[tuple[str, float]]:
    """``ranking`` with the emergency reading moved below the others when ``text`` says the
    danger is not here now (below the complaint reading when all the message tells of is
    noise, "楼下一直在吵"), held below the alert threshold when ``text`` shows no sign of a
    danger at all ("2号楼大门口有个大坑"), or moved to the top when the classifier hesitated
    over a danger stated plainly ("stuck in the lift, nobody comes").

    A place in the message (a building, a flat) counts as placing the danger here for a
    question. A lifted emergency takes the confidence the first reading had, at least
    ``_LIFTED_AT_LEAST``: an unsure one is asked about before anyone is alerted, never dropped
    as out of scope."""
    if not ranking:
        return []
    text = _NO_HAZARD.sub(" ", text)
    if ranking[0][0] != OUT_OF_SCOPE and not place_given and away_now(text):
        # A danger now at another place, with no place here named ("孩子在公园走丢了", whose
        # next reading was a goodbye): out of scope, where the advice to call 110 / 119 / 120
        # there is given.
        return outside.set_aside(ranking)
    if ranking[0][0] == EMERGENCY:
        if _only_noise(text):
            return _as_complaint(ranking)
        if (_JEST.search(text) or _TRAPPED_IN_A_FIGURE.search(text)) and not _harm_named(text):
            return _demoted(ranking)  # "stuck in this meeting, send help (lol)"
        if _empty_lift(text) or (_RISK.search(text) and not _HAZARD_NOW.search(text)):
            return _demoted(ranking)
        if _stated_now(text) or _unreachable(text):
            return _assured(ranking)
        if _HERE_NOW.search(text) or _danger_placed(text, place_given):
            # a cry heard and then found harmless ("喊救命的是电视 问过了 没事"): asked about,
            # not alerted on, since "火灭了 但还在冒烟 快来" is all-clear words too
            if _DANGER_SIGNS.search(text) and (
                    not all_clear(text) or _HAZARD_NOW.search(text)
                    or _BUT.search(text)):
                return list(ranking)
            return _capped(ranking)
        return _demoted(ranking)
    if EMERGENCY in (name for name, _ in ranking[:_PROMOTE_WITHIN]):
        # Someone inside a stopped lift, in so many words, is alerted on whichever reading
        # the classifier put first ("3号楼电梯坏了，困在里面出不来" reads half a repair);
        # another danger it hesitated over is lifted but asked about first.
        if _lift_with_someone(text) and _stated_now(text):
            return _assured(_promoted(ranking))
        if _stated_now(text) or _unreachable(text) or _gas_smelt(text):
            return _promoted(ranking)
    if _unseen_danger(text, ranking):
        return _promoted(ranking)
    return list(ranking)


def away_now(text: str) -> bool:
    """``text`` (clean text) tells of a danger at another place, going on or not over
    ("my mum's flat in another district smells of gas"): for 119 / 120 / 110 there, not for
    this community's staff."""
    return _elsewhere(text) == ("away",) and (_harm_named(text) or bool(
        _HAZARD_NOW.search(text) or _LIKELY_NOW.search(text)))


def _harm_named(text: str) -> bool:
    """Fire, gas, water, smoke, someone hurt or unwell, or a lift: a harm, whatever the tone."""
    return bool(_ELEMENTS.search(text) or _HURT.search(text) or _UNWELL.search(text)
                or _LIFT.search(text))


def _unseen_danger(text: str, ranking: Sequence[tuple[str, float]]) -> bool:
    """Out of scope by a hair over an emergency, in words the classifier has not met
    ("抽搐 口吐白沫"), while the message says something is happening now: an emergency."""
    return (len(ranking) > 1 and ranking[0][0] == OUT_OF_SCOPE and ranking[1][0] == EMERGENCY
            and ranking[1][1] >= _UNSEEN_DANGER_AT_LEAST and bool(_HERE_NOW.search(text))
            and not _elsewhere(text) and not _ASKING.search(text))


def _stated_now(text: str) -> bool:
    """A danger stated as a fact ("困在电梯里", sparks), not asked about or placed elsewhere;
    "what do I do" after it is a cry for help when the danger is the resident's own now
    ("孩子把纽扣电池吞下去了 咋办")."""
    if not (_HAZARD_NOW.search(text) or _lift_with_someone(text)) or _elsewhere(text):
        return False
    return not _ASKING.search(text) or (
        not _ASKING.search(_WHAT_DO_I_DO.sub(" ", text))
        and bool(_OWN_PERSON.search(text)))


def _gas_smelt(text: str) -> bool:
    """A smell of gas now, beside a repair ("燃气灶点不着 厨房一股煤气味"): asked about first
    (a lifted reading stays below the alert threshold unless the classifier was sure)."""
    return bool(_GAS_SMELL.search(text)) and not _elsewhere(text) and not _ASKING.search(text)


def _lift_with_someone(text: str) -> bool:
    """A lift stuck or stopped with someone in it: trapped, however it is put."""
    return bool(_LIFT.search(text) and _LIFT_STOPPED.search(text)
                and _INSIDE_SOMEONE.search(text)) and not _NOBODY_INSIDE.search(text)


def _unreachable(text: str) -> bool:
    """Someone old or alone not heard from for a day or more, said as a fact (a worry allowed;
    a supposition, a memory or an all-clear not)."""
    return bool(_NO_ANSWER.search(text) and _SPELL.search(text)
                and _OLD_OR_ALONE.search(text)) and set(_elsewhere(text)) <= {"feared"}


def _only_noise(text: str) -> bool:
    """Noise, going on or not, and nothing else that could be a danger."""
    return bool(_NUISANCE.search(text)) and not _NOT_ONLY_NOISE.search(text) \
        and not _HAZARD_NOW.search(text) and not _FIRE.search(text)


def _empty_lift(text: str) -> bool:
    """A lift said to hold no one, and no other danger (fire, gas, water, someone hurt)."""
    return bool(_EMPTY_LIFT.search(text)) and not _ELEMENTS.search(text) \
        and not _HURT.search(text)


@functools.lru_cache(maxsize=256)
def _elsewhere(text: str) -> tuple[str, ...]:
    """The cues placing the danger of ``text`` elsewhere; one guard asks several times."""
    text = _PASTIME.sub(" ", text)
    found = [name for name, pattern in _ELSEWHERE if pattern.search(text)]
    # a metro station, a factory, a named road: the city's to send help to (119 / 120 / 110)
    if "away" not in found and (outside.venue(text) or outside.city(text)):
        found.append("away")
    if "all_clear" not in found and _NO_ONE_HURT.search(text) and not _ELEMENTS.search(text):
        found.append("all_clear")
    if _TOBACCO.search(text) and not _FIRE.search(text):
        found.append("tobacco")
    if _WORKS.search(text):
        found.append("works")
    if _empty_lift(text) or (_MACHINE_ONLY.search(text) and (
            _NOBODY_INSIDE.search(text) or not _SOMEONE_INSIDE.search(text))):
        found.append("machine_only")
    return tuple(found)


def _danger_placed(text: str, place_given: bool) -> bool:
    """No cue says the danger is elsewhere, and a question is placed here."""
    if _elsewhere(text):
        return False
    return (place_given or not _ASKING.search(text) or bool(_LIKELY_NOW.search(text))
            or bool(_SUDDEN.search(text) and _OWN_PERSON.search(text)))


def _assured(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The emergency reading, first already, at least as sure as an alert needs: the message
    states the danger as going on ("叫他没反应", "sparks from the socket"), so asking "is this
    happening now?" only costs time."""
    (name, confidence), *rest = ranking
    if confidence >= _STATED_AT_LEAST:
        return list(ranking)
    others = sum(p for _, p in rest)
    return [(name, _STATED_AT_LEAST)] + [
        (other, (1.0 - _STATED_AT_LEAST) * p / others if others > 0 else 0.0)
        for other, p in rest]


def _capped(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The emergency reading kept first, at a confidence that asks before it alerts."""
    (name, confidence), *rest = ranking
    return [(name, min(confidence, _UNSIGNED_AT_MOST)), *rest]


def _demoted(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    rest = list(ranking[1:])
    total = sum(p for _, p in rest)
    if total <= 0:
        return list(ranking)
    # The other readings as if the emergency one had never been there: their odds between
    # themselves are what the classifier said.
    scaled = [(name, (1.0 - _DEMOTED) * p / total) for name, p in rest]
    position = next((i for i, (_, p) in enumerate(scaled) if p < _DEMOTED), len(scaled))
    scaled.insert(position, (EMERGENCY, _DEMOTED))
    return scaled


def _as_complaint(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The emergency reading and the complaint reading trade places and confidences."""
    names = [name for name, _ in ranking]
    if COMPLAINT not in names:
        return _demoted(ranking)
    at = names.index(COMPLAINT)
    swapped = list(ranking)
    swapped[0], swapped[at] = (COMPLAINT, ranking[0][1]), (EMERGENCY, ranking[at][1])
    return sorted(swapped, key=lambda reading: -reading[1])


def _promoted(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    names = [name for name, _ in ranking[:_PROMOTE_WITHIN]]
    if EMERGENCY not in names:
        return list(ranking)
    at = names.index(EMERGENCY)
    swapped = list(ranking)
    swapped[0], swapped[at] = (EMERGENCY, ranking[0][1]), (ranking[0][0], ranking[at][1])
    lifted = max(ranking[0][1], _LIFTED_AT_LEAST)
    rest = sum(p for _, p in swapped[1:])
    if lifted == ranking[0][1] or rest <= 0:
        return swapped
    return [(EMERGENCY, lifted)] + [(name, (1.0 - lifted) * p / rest) for name, p in swapped[1:]]
