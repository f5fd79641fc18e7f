"""Messages meant for someone else: a phone's or a smart speaker's assistant ("设个闹钟 五点四十",
"开一下阳台的灯", "call my son"), a language tutor ("谢谢用韩语怎么说"), the bot as a companion
("你吃饭了吗", "are you single"), or nobody (a keyboard mashed, a vote to cast, an advert).

Each reads to the classifier like a community request in some word ("灯", "提醒", "call"), and a
topic the training data never covered is absorbed by the nearest intent. What marks them is not
a topic but a kind of request the community has no part in, so the kinds are named here, from
what people ask of those others, and the classifier's readings give way to out of scope when a
message is one and names nothing of the community. Never an emergency: that is the danger
guard's to judge (nlu/danger.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.intents import OUT_OF_SCOPE
from nlu.outside import COMMUNITY, set_aside

# -- a home's devices, switched or set, not broken ------------------------------------------------

_DEVICE_ZH = (r"灯|台灯|空调|电视|电视机|风扇|电扇|窗帘|加湿器|净化器|热水器|扫地机器人|"
              r"扫地机|洗衣机|烘干机|洗碗机|音响|音箱|电暖器|取暖器|暖风机|地暖|电饭煲|"
              r"智能锁|门锁|手电筒|蓝牙|热点|飞行模式|静音|亮度")
_SWITCHED_ZH = re.compile(
    rf"(?:打开|关掉|关上|关了|关一下|开一下|开开|开启|关闭|调(?:高|低|大|小|暗|亮|到|成)|开到|设成|"
    rf"设到|预约)\S{{0,6}}(?:{_DEVICE_ZH})|(?:{_DEVICE_ZH})\S{{0,4}}(?:打开|关掉|关上|关了|关一下|"
    rf"开一下|开到|调到|调成|调(?:高|低|大|小|暗|亮)|开启|关闭|预约)|^(?:开灯|关灯)")
# Said as a command, at the start: "when I switch on the light" tells of something else.
_SWITCHED_EN = re.compile(
    r"^(?:please |pls |hey |ok |can you |could you )?(?:(?:turn|switch|flip) (?:on|off|up|down)\b|"
    r"(?:turn|switch) (?:the |my )?[\w ]{0,20}\b(?:on|off|up|down)\b|lights? (?:on|off)\b|"
    r"(?:dim|brighten)\b|set the (?:heating|heater|thermostat|ac|aircon|temperature)\b|"
    r"(?:start|stop|pause|run) the (?:robot vacuum|vacuum|washing machine|dishwasher|dryer)\b|"
    r"lock (?:the|my) (?:front door|door|smart lock)\b|(?:open|close) the (?:blinds|curtains)\b|"
    r"make (?:the |it )?[\w ]{0,15}(?:warmer|cooler|brighter|darker)\b)", re.IGNORECASE)
# A device that will not do what it is told is a repair, and one asked about is a question.
_FAULT = re.compile(
    r"坏|不亮|不开|打不开|开不了|关不掉|关不上|不灵|不了|不转|不制|漏|滴水|跳闸|没反应|不工作|故障|"
    r"冒烟|烧|异味|闪|怎么|为什么|能不能|可以|吗|么|修|楼道|走廊|路灯|电梯|大堂|大厅|车库|门禁|"
    r"公共|广场|活动室|"
    r"\b(?:won'?t|doesn'?t|does not|isn'?t|not|broken|stuck|leak\w*|can'?t|cannot|keeps|flicker\w*|"
    r"buzz\w*|dead|fault\w*|why|how|should|corridor|hallway|stairwell|lobby|lift|elevator|"
    r"street ?lights?|car ?park)\b", re.IGNORECASE)

# -- alarms, timers, reminders and diaries of one's own -------------------------------------------

_DIARY_ZH = re.compile(
    r"闹钟|定时器|倒计时|叫醒我|(?:分钟|小时|点|点半)(?:以?后)?(?:叫我|喊我|提醒我)|提醒我(?:去|吃|喝|买|"
    r"给|接|拿|收|关|打|带|交)|(?<![登标笔])记一下|备忘|(?:我|今天|明天|后天|下周.|这周.?)(?:都)?(?:有什么|的)"
    r"(?:安排|日程|行程|会议)|购物清单")
_DIARY_EN = re.compile(
    r"\b(?:set|cancel|move|snooze|delete|change)\b.{0,12}\balarms?\b|\balarms? (?:for|at) \d|"
    r"\bno alarm\b|\bwake me(?: up)? (?:at|in|tomorrow|tmrw)\b|\bset (?:a|the) timer\b|"
    r"\btimer for\b|\bremind me (?:to|at|in|"
    r"every|tomorrow|tonight)\b|\bmy (?:calendar|schedule|agenda|meetings?)\b|"
    r"\b(?:shopping|grocery|to-?do) list\b|\bmeeting (?:to|at) \d",
    re.IGNORECASE)
# Reminders the community sends itself: events, appointments, fees, tickets.
_COMMUNITY_DIARY = re.compile(
    r"活动|报名|讲座|义诊|体检|疫苗|工单|缴费|物业费|交费|开会|课|"
    r"\b(?:event|sign ?up|class|workshop|talk|ticket|repair|fee|committee|screening)\b",
    re.IGNORECASE)

# -- a call or a message to one's own people ------------------------------------------------------

_KIN_ZH = (r"妈|爸|儿子|女儿|闺女|老伴|老公|老婆|媳妇|孙子|孙女|外孙|爷爷|奶奶|姥姥|姥爷|外婆|外公|"
           r"哥|姐|弟|妹|小[王李张刘陈赵]|老[王李张刘陈赵]")
_CALL_ZH = re.compile(
    rf"^(?:帮我|给我|请)?(?:打电话|打个电话|拨个?电话|视频|发微信|发个微信|发消息|发短信|微信)(?:给|跟|和)?"
    rf"我?(?:{_KIN_ZH})|^(?:帮我|请)?给我?(?:{_KIN_ZH})(?:打|发|拨)")
_CALL_EN = re.compile(
    r"^(?:please |pls |hey |ok )?(?:call|ring|phone|text|facetime|video ?call|message|whatsapp)"
    r" (?:my )?(?:mom|mum|mother|dad|father|son|daughter|wife|husband|grandma|grandpa|granny|"
    r"brother|sister|boss|friend)\b", re.IGNORECASE)

# -- music and the radio --------------------------------------------------------------------------

_MEDIA_ZH = re.compile(
    r"放(?:一?首|个|点|几首|段)\S{0,8}(?:歌|音乐|曲子|戏|评书|相声)|放(?:歌|音乐)|下一首|上一首|切歌|暂停播放|继续播放|音量|"
    r"^(?:暂停|继续)(?:一下)?$|^调大声|^声音调(?:大|小)点")
_MEDIA_EN = re.compile(
    r"\b(?:next|previous) (?:track|song)\b|\bskip (?:this|the) song\b|"
    r"\bplay (?:some|me|my|a|the)? ?(?:music|songs?|playlist|podcast|radio|jazz)\b|"
    r"^(?:pause|resume|louder|quieter|volume up|volume down|mute|unmute)\b|"
    r"\bturn (?:it|the volume|the music|the tv) (?:up|down)\b", re.IGNORECASE)

# -- the date, the time, a route ------------------------------------------------------------------

_CLOCK_ZH = re.compile(
    r"^(?:今天|明天|昨天|后天|下周.|这周.)?(?:是)?(?:几号|星期几|周几|礼拜几)(?:啊|呀|了)?$|^现在几点(?:了)?|"
    r"导航(?:到|去)")
_CLOCK_EN = re.compile(
    r"^what(?:'s| is) (?:the )?(?:date|time)(?: (?:is it|today|now))?[?!. ]*$|"
    r"^what time is it\b|\bwhat day is it\b|"
    r"\bwhat day of the week\b|\bnavigate to\b|\bdirections to\b", re.IGNORECASE)

# -- a language, asked about or translated --------------------------------------------------------

_LANGUAGES = (r"英语|英文|日语|日文|韩语|韩文|法语|德语|俄语|西班牙语|意大利语|泰语|阿拉伯语|粤语|"
              r"普通话|中文|汉语|方言|四川话|上海话")
_TONGUE_ZH = re.compile(
    rf"(?:{_LANGUAGES}).{{0,6}}(?:怎么说|怎么讲|咋说|咋讲|怎么念|怎么读|怎么写|难学|好学|难不难|"
    rf"语法|发音|字母)|(?:怎么说|怎么讲|咋说|怎么念|怎么读).{{0,6}}(?:{_LANGUAGES})|"
    rf"翻译|翻成|译成|的地得|成语|"
    rf"(?:{_LANGUAGES}).{{0,8}}(?:意思|怎么用|咋用)|(?:{_LANGUAGES}).{{0,12}}(?:区别|分别)|"
    rf"係咩意思|咩意思|乜嘢意思|"
    rf"[a-z]{{2,}}[a-z ,'!?.]*(?:怎么念|怎么读|是啥意思|是什么意思|啥意思|什么意思|中文意思|"
    rf"该怎么回)|"
    rf"(?:是啥意思|是什么意思|啥意思|什么意思|怎么念|怎么读)\s*[a-z]{{2,}}", re.IGNORECASE)
_TONGUE_EN = re.compile(
    r"\bhow (?:do|would|to|can) (?:you |i |u |we )?say\b|\bhow to say\b|\btranslat\w*\b|"
    r"^(?:what'?s|what is|how do you say|how to say) .{1,40} in (?:chinese|english|mandarin|"
    r"cantonese)\b|\bteach (?:me|us) (?:some )?(?:basic )?(?:chinese|mandarin|english|cantonese)\b|"
    r"\bwhat does [\w' ]{1,30} mean\b.*|\bmeaning of\b|\bgrammar\b|\bpronounc\w*|\bidiom\b|"
    r"\b(?:in|into) (?:japanese|korean|french|german|spanish|russian|italian|cantonese|arabic|"
    r"thai)\b|\btones\b|\blearn(?:ing)? (?:mandarin|chinese|english|cantonese)\b|"
    r"\b(?:mandarin|cantonese|chinese|english) (?:is )?(?:hard|easy|harder|easier)\b|"
    r"\bcorrect my (?:chinese|english|grammar|sentence)\b", re.IGNORECASE)
# "what does ... mean" of a notice or a beep is the community's question, not a word's.
_ABOUT_WORDS = re.compile(
    r"\b(?:word|phrase|idiom|slang|character|expression|chinese|english|japanese|korean|french|"
    r"say)\b", re.IGNORECASE)
# The bot asked to speak another language: that is set_language, and the community's.
_SWITCH = re.compile(
    r"^(?:请|麻烦|能不能|可以)?(?:用|说|讲|换成?|切换(?:到|成)?|改成?)(?:英文|英语|中文|汉语|普通话)|"
    r"(?:用|说|讲|换成?|切换(?:到|成)?|改成?)(?:英文|英语|中文|汉语|普通话)(?:回复|回答|跟我|和我|吧|模式)|"
    r"^(?:please |pls )?(?:translate|switch|change) (?:it |this |that )?(?:in)?to "
    r"(?:english|chinese)(?: please| pls)?[.!]*$|"
    r"\b(?:reply|respond|answer|talk|speak|continue) (?:to me )?in (?:english|chinese|mandarin)\b|"
    r"\bspeak (?:english|chinese|mandarin)\b", re.IGNORECASE)
# A notice or a ticket to translate is the community's own text.
_COMMUNITY_TEXT = re.compile(r"通知|公告|告示|工单|回复|\b[a-z]{2}-\d{8}|^thanks? (?:you )?for\b|"
                             r"\b(?:notice|announcement|ticket|reply)\b", re.IGNORECASE)

# -- the bot as a companion -----------------------------------------------------------------------

_COMPANION_ZH = re.compile(
    r"你(?:今年)?(?:多大|几岁)|你(?:吃饭?了?吗|吃了没)|你(?:晚上|平时)?(?:睡觉|睡不睡|吃饭)(?:吗|不|没)|你住(?:在)?哪|你(?:会不会|会)(?:累|做梦|睡觉|生气|哭|饿)|"
    r"你(?:有没有|有)(?:感情|女朋友|男朋友|对象|身份证|家人|爸妈)|你(?:喜欢|爱)(?:什么|吃|猫|狗|看|我)|"
    r"你爸妈|你(?:几点)?下班|当我(?:的)?(?:女|男)朋友|你是(?:哪个公司|谁)(?:做|开发|写|造)的|你的程序|"
    r"你是用什么做|你住在电脑|你(?:在)?干嘛呢?$|^在干嘛|你猜|你(?:那边|那里)(?:下雨|天气|冷|热)|"
    # company wanted, not a service: boredom, loneliness, a game, a poem
    r"好无聊|无聊死|陪我(?:聊|说)|跟我聊聊|说个秘密|你能看到我吗|如果你是人|玩个游戏|我们玩|"
    r"(?:帮我|给我)写(?:情书|首诗|诗)|起个名字|我(?:胖|丑|帅|好看|漂亮)吗")
_COMPANION_EN = re.compile(
    r"\bhow old are you\b|\bare you (?:single|married|smarter|cute|lonely|happy|"
    r"sad|tired|alive)\b|\bdo you (?:ever )?(?:sleep|dream|eat|get tired|get bored|have feelings|"
    r"have a (?:girlfriend|boyfriend)|love me|like me)\b|\bwhat(?:'s| is) your (?:favou?rite|"
    r"star sign|age)\b|\bwho (?:made|built|created|programmed) you\b|\bbe my (?:girlfriend|"
    r"boyfriend|friend)\b|\byou(?:'re| are) (?:kinda |so |really )?(?:cute|funny|smart|sweet)\b|"
    r"\b(?:what do you do|what are you doing) for fun\b|\bwhere do you live\b|"
    r"\bis it raining where you are\b|^wyd\b|"
    r"\b(?:i'?m|im) (?:so |really |kinda )?(?:bored|lonely)\b|"
    r"(?:lonely|bored|can'?t sleep).{0,30}\btalk to me\b|\bjust talk to me\b|"
    r"\bfeeling (?:kinda |so |a bit |really )?(?:down|sad|low|blue)\b|"
    r"\bsay something nice\b|\bcan you see me\b|\bif you were (?:a )?human\b|\blet'?s play\b|"
    r"\bwrite me a (?:poem|love letter|story|song)\b|\bsuggest a (?:baby )?name\b|"
    r"\bdo you think i'?m\b", re.IGNORECASE)

# -- nobody: keys mashed, a vote, an advert, a chain message --------------------------------------

_NOBODY = re.compile(
    r"^(?:qwer|asdf|zxcv|jkjk|hjkl)\w*$|^(?:test|测试)(?:[\s,]*(?:test|测试))+$|"
    r"^(?:bump|testing(?: \d+)?|test \d+|just (?:checking|testing)(?: if this works)?)[.!]*$|"
    r"\bblessed (?:day|week|sunday|weekend)\b|转发.{0,8}(?:吉祥|如意)|"
    r"撤回了一条消息|此消息已撤回|^\[(?:图片|语音|视频|表情|动画表情|文件|链接|位置|名片)\]$|"
    r"帮.{0,4}投(?:个|一)?票|投(?:我|我家|我们)一?票|点(?:个)?赞吧|帮.{0,6}点(?:个)?赞|砍一刀|助力一下|转发好运|转发.{0,6}(?:平安|好运|发财)|"
    r"加(?:我)?(?:微信|vx|v信)|（广告）|\(广告\)|\bvote for (?:my|our|me)\b|"
    r"\blike (?:my|this) post\b|"
    r"\bforward (?:this|to \d+)\b|\bclick (?:the|this) link\b", re.IGNORECASE)
_MASHED = re.compile(r"^([a-z])\1{3,}$|^([a-z]{2})\2{2,}$|^[。.，,!！?？~～…、\s]+$|"
                     r"^(?:[哈嘿呵嘻啊啦]{3,}|在{3,}|(?:ha){2,}h?|(?:he){2,}|lo+l+|lmf?a+o+)[!！~～。.]*$",
                     re.IGNORECASE)
# Meant for someone else's chat: "不好意思 发错群了", "sorry, that was for my husband", or a
# family member addressed by name ("老公 家长会你去还是我去").
_MISSENT = re.compile(
    r"发错(?:了|人|群|地方)|撤回一下|(?:刚才|上面|那条|这条|前面)[^，,。]{0,6}(?:是)?(?:要)?发给"
    r"(?!物业|居委|网格|社区|管家|保安|工作人员|你们)[^，,。\s]{1,6}的(?=$|[\s，,。!！~～])|"
    r"\bwrong (?:group|thread|chat|person)\b|"
    r"\bmeant (?:it |that )?for (?:my|the)\b|\b(?:was|is) for my (?:husband|wife|mum|mom|dad|son|"
    r"daughter|boss|team)\b|\bignore (?:that|my) last\b|"
    r"^(?:老公|老婆|媳妇|闺女|儿子|妈|爸|姥姥|奶奶|宝宝|亲爱的)[,，\s]|"
    r"^(?:mum|mom|dad|honey|babe|hon|sweetie),", re.IGNORECASE)

# -- another company's business: a courier, a carrier, a shop, an app -----------------------------

_COMPANY = re.compile(
    r"淘宝|天猫|京东|拼多多|顺丰|圆通|中通|申通|韵达|极兔|中国邮政|\bems\b|联通|中国移动|移动公司|电信|"
    r"10010|10086|12306|12315|美团|饿了么|滴滴(?:打车|出行|司机|快车|专车|客服)|打个?滴滴|携程|抖音|快手(?:上|app|直播|视频|号)|[bB]站|up主|\bqq\b|猫眼|淘票票|"
    r"\b(?:sf express|jd\.com|taobao|didi|meituan|ctrip|my (?:phone )?carrier|tiktok|douyin|dhl|"
    r"fedex)\b",
    re.IGNORECASE)
# One's own gadgets and accounts: a phone, a laptop, a password, a bank card. Not a phone
# number (one's contact for the grid member) nor an e-bike's charging.
_GADGETS = re.compile(
    r"(?:手机|电脑|笔记本|平板|打印机)(?:屏幕?|摔|碎|进水|中毒|蓝屏|开不了机|卡死|内存|电池不|充不进|"
    r"怎么(?:修|连|设置)|哪里修|在哪修)|充电宝|qq密码|qq号|wifi密码|网银|银行卡|信用卡|借呗|花呗|微信钱包|"
    r"95588|路由器|主板|电源键|光猫|保温杯|车没电|电瓶没电|搭电|发动机|故障灯|"
    # one's home line, which its operator fixes (the home word is part of what is matched)
    r"(?:(?:我们?家|家里)的?)?(?:宽带|光猫|机顶盒|有线电视)|(?:我们?家|家里)的?(?:wifi|wi-fi|网(?!格)|电视(?![墙柜机]))|"
    r"(?:电脑|笔记本|手机)(?:风扇|键盘|屏幕|电池|充电口)|"
    r"\b(?:(?:my |the )?(?:phone|laptop|printer|tablet|ipad|iphone)(?:'s)? (?:screen|died|is dead|"
    r"battery|won'?t (?:turn on|charge|connect|print))|cracked (?:my|the) screen|bank card|"
    r"credit card|wechat wallet|my (?:bank )?statement|charged twice|power ?bank|router|"
    r"motherboard|(?:home|my) (?:wi-?fi|internet|broadband|cable tv|tv signal)|"
    r"no (?:phone )?service|phone signal|jump ?start|"
    r"laptop (?:keyboard|fan|screen|battery)|check engine|engine light|"
    r"car battery)\b", re.IGNORECASE)
# One's own appliances, car and gadgets by their maker, their after-sales and fault codes: the
# maker's to fix ("美的洗衣机显示E4", "Haier fridge stopped cooling").
_MAKERS = re.compile(
    r"美的|海尔|格力|小米(?!粥)|华为|方太|万和|万家乐|西门子|松下|戴森|科沃斯|九阳|苏泊尔|小天鹅|奥克斯|"
    r"海信|创维|比亚迪|特斯拉|蔚来|售后|(?:显示|报|出现|跳)\s?[ef]\d{1,2}\b|故障码|错误码|"
    r"\b(?:midea|haier|gree|xiaomi|huawei|samsung|dyson|little swan|thinkpad|lenovo|dell|kindle|"
    r"tesla|byd|toyota|honda|bmw|after-?sales|warranty|error code|fault code|"
    r"(?:shows?|showing|says) e\d{1,2})\b", re.IGNORECASE)
# The news of the world, not of the compound.
_NEWS = re.compile(
    r"大新闻|新闻联播|两会|峰会|选举|北约|联合国|延迟退休|俄乌|中东|"
    r"\b(?:g20|election|president|prime minister|ukraine|middle east|nato|congress|parliament|"
    r"the news)\b", re.IGNORECASE)
# Trips and their bookings, and the traffic office: a train, a flight, a hotel room, a licence.
_TRIPS = re.compile(
    r"高铁|(?<!电)动车|火车票|机票|长途汽车|长途客车|汽车站|火车站|地铁卡|公交卡|"
    r"(?:酒店|宾馆|民宿|电影票|演出票|门票|车票)(?:的)?(?:预订|订单)?.{0,6}(?:退|取消|改签)|退票|改签|"
    r"驾照|驾驶证|车管所|违章(?!停车|搭建|建筑|建房)|罚单|(?:汽车|车辆)年检|限行|摇号|护照|签证|"
    r"动物园|水上乐园|方特|欢乐谷|"
    r"\b(?:night bus(?:es)?|subway|metro card|train tickets?|didi|ride.?hail\w*|"
    r"uber|taxi|driving licen[cs]e|driver'?s licen[cs]e|traffic (?:ticket|fine)|"
    r"speeding|(?:hotel|flight|train) (?:booking|reservation)|passport|visas?|zoo|water park|"
    r"check-in|airbnb|trip\.com)\b", re.IGNORECASE)
# Leisure elsewhere: a cinema, a theme park, a show to stream. Not the community's own film
# night or an activity proposed ("能不能搞个剧本杀").
_LEISURE = re.compile(
    r"电影院|影院|电影票|影城|游乐园|主题公园|ktv|音乐节|演唱会|展览馆|密室|剧本杀|网飞|爱奇艺|优酷|"
    r"腾讯视频|这部电影|那部电影|好看的(?:电影|剧|动漫|展览)|电影推荐|"
    r"\b(?:cinema|movie theat\w+|box office|netflix|streaming service|music festivals?|"
    r"escape rooms?|amusement park|theme park|marvel|good movies?|the movie|this movie|"
    r"movies? out)\b", re.IGNORECASE)
_OUR_LEISURE = re.compile(r"活动|搞个|组织|建议|报名|社区|小区|露天|放映|\bmovie night\b|"
                          r"\bcommunity\b|\borgani[sz]e\b|\bsign\b", re.IGNORECASE)

# -- a doctor's, a teacher's or a calculator's question -------------------------------------------

# One's own symptoms and what to take for them. Not the community's health services (a vaccine
# drive, a check-up, the family doctor) nor a danger (the danger guard's).
_HEALTH = re.compile(
    r"(?:发烧|发热|咳嗽|感冒|嗓子疼|拉肚子|腹泻|便秘|失眠|血压|血糖|过敏|湿疹|痛风|痘痘|月经|姨妈|"
    r"胃疼|牙疼|腰疼|膝盖|颈椎)\S{0,12}(?:吃什么|吃啥|吃点啥|怎么办|咋办|要不要|用不用|能不能|正常吗|"
    r"怎么治|怎么调理|有啥办法|有什么办法|去医院|看医生|挂什么科|什么药|咋回事|怎么回事|什么原因)|吃什么药|挂什么科|"
    r"要不要去医院|(?:最近|晚上|老是|总是)(?:老是|总是)?失眠|压力(?:好|很|太|特别)大|"
    r"\b(?:fever|cough\w*|a cold|the flu|diarrh\w+|insomnia|blood pressure|blood sugar|rash|"
    r"allerg\w+|migraine|sore throat|back pain|toothache|period)\b.{0,40}(?:\bwhat (?:should|can|"
    r"do) i take\b|\bwhat (?:medicine|meds)\b|\bshould i (?:see|go to)\b|\bnormal\b|"
    r"\bhow (?:do|can) i (?:treat|cure|get rid)\b)|\bwhat (?:medicine|meds|pills?) (?:should|can|"
    r"do) i\b|\bshould i (?:see|go to) (?:a|the) (?:doctor|gp|hospital|dentist)\b|"
    r"\bso (?:stressed|burnt out|burned out)\b|\bmy back\b.{0,15}\b(?:broken|killing|hurts?)\b|"
    r"腰(?:又)?(?:坏了|疼|痛|酸)", re.IGNORECASE)
_COMMUNITY_HEALTH = re.compile(
    r"疫苗|接种|体检|义诊|量血压|测血压|卫生服务|社区医院|家庭医生|签约|医保|报销|煤气|燃气|着火|冒烟|"
    r"讲座|活动|报名|心理咨询|"
    r"\b(?:vaccin\w*|jab|check-?up|free clinic|family doctor|gas|smoke|fire|talk|workshop|"
    r"event|session|counsel\w*)\b", re.IGNORECASE)
# Homework, exams and sums: a tutor's or a calculator's.
_STUDY = re.compile(
    r"高数|微积分|线代|考研|雅思|托福|四六级|论文|作文|期末考|期中考|数学题|这道题|做作业|写作业|作业不会|"
    r"(?<![\d号楼栋])\d+(?:\.\d+)?\s*(?:[x×*÷/+]|加|减|乘以?|除以)\s*\d+(?:\.\d+)?\s*(?:=|等于)|"
    r"\b(?:my homework|calculus|algebra|thesis|dissertation|ielts|toefl|gre|gpa|my essay|"
    r"math(?:s)? (?:problem|question|homework))\b|"
    r"\bwhat(?:'?s| is)\s+\d+(?:\.\d+)?\s*(?:%\s*of|[x×*/÷+-]|plus|minus|times|divided by)\s*\d",
    re.IGNORECASE)
_OUR_STUDY = re.compile(
    r"辅导|托管|课堂|四点半|班|\b(?:club|tutor\w*|after-?school|class(?:es)?)\b", re.IGNORECASE)

# A heart, a life or a mood to mend: a figure of speech, not a repair ("我心里的灯灭了 谁来修一修").
_FIGURE = re.compile(
    r"(?:心里|内心|心灵|心情|心)(?:的)?(?:灯|门|窗|天)\S{0,4}(?:修一修|修修|维修|修好|坏了|灭了|塌了)|"
    r"人生.{0,6}(?:维修|修理|师傅)|心碎|心里堵|心里难受|心情(?:不好|很差|糟)|"
    r"\bmy (?:heart|life|brain|soul|mood)\b.{0,25}\b(?:broken|repair|fix|ticket|mend)\w*|"
    r"\b(?:repair|fix|mend)\w* (?:my )?(?:heart|life|brain|soul)\b|\bheartbroken\b",
    re.IGNORECASE)

# A reason given for withdrawing from an event: the withdrawal is the community's.
_WITHDRAWN = re.compile(r"去不了|来不了|参加不了|\bcan'?t make\b|\bbail\b|\bwon'?t make\b|"
                        r"\bskip\b|\bwithdraw", re.IGNORECASE)

_Patterns = tuple[re.Pattern[str], ...]
#: Each kind's patterns for text with Chinese characters, with Latin letters, and for any text:
#: a message is searched only with those its script can match (every parse pays for this).
_KINDS: tuple[tuple[str, _Patterns, _Patterns, _Patterns], ...] = (
    ("device", (_SWITCHED_ZH,), (_SWITCHED_EN,), ()),
    ("diary", (_DIARY_ZH,), (_DIARY_EN,), ()),
    ("call", (_CALL_ZH,), (_CALL_EN,), ()),
    ("media", (_MEDIA_ZH,), (_MEDIA_EN,), ()),
    ("clock", (_CLOCK_ZH,), (_CLOCK_EN,), ()),
    ("language", (_TONGUE_ZH,), (_TONGUE_EN,), ()),
    ("companion", (_COMPANION_ZH,), (_COMPANION_EN,), (_FIGURE,)),
    ("nobody", (), (), (_NOBODY, _MASHED, _MISSENT)),
    ("company", (), (), (_COMPANY, _TRIPS, _GADGETS, _MAKERS)),
    ("news", (), (), (_NEWS,)),
    ("leisure", (), (), (_LEISURE,)),
    ("health", (), (), (_HEALTH,)),
    ("study", (), (), (_STUDY,)),
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def _vetoed(kind: str, text: str) -> bool:
    """Whether what marks ``text`` as ``kind`` is the community's after all."""
    if kind == "device":
        return bool(_FAULT.search(text))
    if kind == "nobody":  # told of, not sent: "群里天天有人发砍一刀链接"
        return bool(re.search(r"(?<!所)有人|天天|老是|总是|群主|\bsomeone\b|\bpeople keep\b",
                              text, re.IGNORECASE))
    if kind == "company":  # the compound's guard watching videos, its parcel lockers, its
        # meters and lifts; a train to catch, the reason a sign-up is withdrawn
        return bool(re.search(r"保安|门卫|快递柜|丰巢|保洁|停电|断电|跳闸|燃气表|水表|电表|气表|"
                              r"电梯|门禁|\bguard\b|\blocker|\bmeter\b|\blift\b|\belevator\b|"
                              r"\bpower (?:cut|out|outage)\b|\belectrician\b|\blights?\b", text,
                              re.IGNORECASE) or _WITHDRAWN.search(text)
                    or _COMMUNITY_DIARY.search(text))
    if kind == "leisure":
        return bool(_OUR_LEISURE.search(text))
    if kind == "health":  # a check-up, a vaccine; a bad back as the reason to withdraw
        return bool(_COMMUNITY_HEALTH.search(text) or _WITHDRAWN.search(text))
    if kind == "study":
        return bool(_OUR_STUDY.search(text))
    if kind == "diary":
        return bool(_COMMUNITY_DIARY.search(text))
    if kind == "language":
        if _SWITCH.search(text) or _COMMUNITY_TEXT.search(text):
            return True
        meaning = re.search(r"\bwhat does\b.*\bmean\b", text, re.IGNORECASE)
        return meaning is not None and not _ABOUT_WORDS.search(text) \
            and not _TONGUE_EN.search(text[:meaning.start()] + text[meaning.end():])
    return False


def kind(text: str, place_given: bool = False) -> str | None:
    """What kind of request for someone else ``text`` is, or None (``place_given``: a building
    or flat was found in it, which makes it the community's)."""
    said = text.strip()
    if not said or place_given:
        return None
    han, latin = _HAN.search(said) is not None, _LATIN.search(said) is not None
    for name, for_han, for_latin, for_any in _KINDS:
        patterns = (*(for_han if han else ()), *(for_latin if latin else ()), *for_any)
        for pattern in patterns:
            if (match := pattern.search(said)) is None:
                continue
            # a word asked about ("物业费 英文怎么说") or a vote wanted ("帮我家孩子投一票")
            # may name the community; the request is still for someone else. Elsewhere the
            # community named makes it the community's, unless it is named only as part of
            # what is someone else's ("我家wifi": the home's line, its operator's to fix)
            if name not in ("language", "nobody") and _names_community(said, match):
                break
            if not _vetoed(name, said):
                return name
    return None


def _names_community(text: str, match: re.Match[str]) -> bool:
    """Whether ``text`` names the community outside what ``match`` matched."""
    return COMMUNITY.search(text[:match.start()]) is not None \
        or COMMUNITY.search(text[match.end():]) is not None


def guard(text: str, ranking: Sequence[tuple[str, float]], *,
          place_given: bool = False) -> list[tuple[str, float]]:
    """``ranking`` with out of scope first when ``text`` is a request for someone else and the
    leading reading is not an emergency; its confidence is the one the reading had."""
    if not ranking or ranking[0][0] in (OUT_OF_SCOPE, "report_emergency") \
            or kind(text, place_given) is None:
        return list(ranking)
    return set_aside(ranking)
