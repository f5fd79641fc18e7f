"""The flow runner: one state per (chat, person), slots filled from entities, only what is
missing asked, cancel and interruptions handled, actions called through the rasa_sdk protocol."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from actions.help import wants_a_person
from actions.location import place_text
from actions.people import is_nod
from actions.responses import Responses
from flows.definitions import Flow, Step
from flows.executor import ActionCaller
from nlu import danger
from nlu.data_rights import (
    asks_for_others,
    bare_data_request,
    only_asks_for_others,
    read_data_request,
)
from nlu.entities import party_added, party_said, resized_to
from nlu.followups import follows_up
from nlu.hedges import after_hedge, asks_what_to_do, unsure
from nlu.intents import sure
from nlu.openers import says_what_is_wrong
from nlu.rating import read_rating
from nlu.segments import as_parse
from nlu.text import clean

#: Slots a flow may take from the NLU's entities.
ENTITY_SLOTS = ("building", "unit", "room", "category", "ticket_id")
#: Slots flows fill from whole answers; cleared with the flow that asked for them.
FREE_TEXT_SLOTS = ("suggestion", "audience", "schedule", "notice_zh", "notice_en")
#: Intents that may interrupt a question in progress (then the question is asked again).
#: Emergencies are not among them: they outrank everything (see ``FlowRunner.handle``).
INTERRUPTING = frozenset({"ticket_status", "request_human", "bot_help",
                          "set_language", "ticket_cancel", "queue", "accept", "progress",
                          "resolve", "note", "escalate", "rate", "reply", "end",
                          "claim_confirm", "claim_refuse", "poll_vote", "support",
                          "data_export", "data_erase"})
#: Questions a resident may ask while the bot waits on a question of its own ("灭火器在哪"
#: while it asks which building): answered, then the waiting question asked again.
ASIDES = frozenset({"ask_faq", "event_list"})
#: Cancel words, and as people lead into them: "actually cancel that", "那就算了", "还是不报了".
_CANCEL = re.compile(r"^\s*((actually|oh|um+|well|wait|no wait|哦|噢|呃|那|那就|还是|要不)"
                     r"[\s,，.。]*)?"
                     r"(算了|不用了|取消|不报了|(cancel|stop|never ?mind|forget it)\b)",
                     re.IGNORECASE)
# "继续", and with a yes before it as people say it: "好的，继续", "嗯 接着说", "yes, carry on".
_CARRY_ON = re.compile(r"^\s*((好的?|好吧|行|嗯+|是的?|对|可以|ok(ay)?|yes|yeah|sure)"
                       r"[\s,，.。!！~]*)?(继续|接着|还要|要的?|carry on|continue|go on|go ahead)",
                       re.IGNORECASE)
#: At a yes-or-no question before something is undone (a confirm step): "是的", "确定",
#: "yes", never anything with a "not" in it ("确定不撤销"); "不", "算了", "no" keep it. "取消"
#: and "cancel" are neither there: at "确定要取消报名吗？" they may mean either.
_YES = re.compile(r"^\s*(是的?|对的?|确定|确认|好的?|可以|yes|yeah|yep|sure|ok(ay)?|confirm)"
                  r"[\s,，]*(要|就)?(撤销|取消|删除|撤|do it|cancel it|withdraw it|please)?"
                  r"[\s吧了啊呀!！.。~]*$", re.IGNORECASE)
_NEGATED = re.compile(r"不|别|没|\b(no|not|never|nope)\b|n't\b", re.IGNORECASE)
#: A yes that says the deed itself ("嗯 删吧 不用留了", "yes delete it all", "go ahead"), its
#: verb not negated ("别删", "don't delete").
_DO_IT = re.compile(r"^\s*(?:(?:嗯+|好的?|是的?|对|行|yes|yeah|yep|ok(?:ay)?|sure)[\s,，]*)?"
                    r"(?:(?:那|就|那就|你|给我|帮我)*(?:都|全)?(?:删|撤)|\b(?:delete|erase|remove|withdraw|wipe)\b|"
                    r"\bgo ahead\b|\bdo it\b)", re.IGNORECASE)  # not "cancel": which one?
_NO = re.compile(r"^\s*(不|别|算了|\b(no|nope|don'?t|stop|never ?mind|forget it)\b)",
                 re.IGNORECASE)
#: Keeping what a confirm step would undo, said as such: "哦不对 还是报吧", "no wait, keep it".
_KEEP = re.compile(r"还是(?:报|修|留|去|参加)(?!.{0,6}(?:取消|删|撤|退))|别撤|不撤|不取消|别取消|"
                   r"留着|\bkeep (?:it|them|the|my)\b|"
                   r"\bstill want (?:it|them|the|to (?:go|come))\b|"
                   r"\bdon'?t (?:cancel|withdraw|delete)\b", re.IGNORECASE)
#: Words that correct what was just said: "不对，是5号楼", "sorry i meant block 5".
_CORRECTION = re.compile(r"不对|错了|说错|打错|搞错|写错|弄错|应该是|不是\s*\d|"
                         r"\b(sorry|oops|i mean|i meant|should be|wrong|correction|typo)\b",
                         re.IGNORECASE)
#: What is wrong, said again differently while a report is asked about: "哦不对 不是空调 是暖气片
#: 漏水", "no wait, not the aircon, it's the radiator". Not a "no" to the question.
_REPHRASED = re.compile(r"不是.{1,12}?[\s,，、]*(?:是|而是)|我是说|我的意思是|"
                        r"\bnot (?:the |a |an |my |our )?[\w' ]{1,20}?[\s,]+(?:it'?s|its|but)\b|"
                        r"\bi mean(?:t)?\b", re.IGNORECASE)
#: An afterthought about what was just reported: "对了 是2单元301", "oh and it's flat 301".
_ADDITION = re.compile(r"对了|补充|忘了说|还有就是|\bby the way\b|\bbtw\b|\bforgot\b|"
                       r"\boh and\b|\balso\b", re.IGNORECASE)
#: Just after a report: the resident drops it ("算了 不报了", "我自己换个灯泡", "no need to come,
#: I fixed it").
_DROPS_REPORT = re.compile(r"不报了|不修了|不用修了|不用来了|别来了|不用派人|"
                           r"自己(?:换|修|弄|搞|处理)|我自己来|\bno need to come\b|"
                           r"\bdon'?t (?:need to )?come\b|"
                           r"\bi'?ll (?:fix|sort|do) it myself\b|\bi (?:fixed|sorted) it\b|"
                           r"\bcancel (?:the|my|that) (?:report|repair|request|ticket)\b",
                           re.IGNORECASE)
#: ... or asks about the visit ("能不能today来修", "can someone come this afternoon").
_ABOUT_THE_VISIT = re.compile(
    r"来修|来看|上门|过来|来一趟|来人|几点来|什么时候来|早点|尽快|快点修|(?:今天|明天|上午|下午|晚上|周末)"
    r".{0,4}(?:来|修|在家)|(?:在家|有人)(?:等|在)|"
    r"\b(?:come|visit|fix it|send someone|pop round)\b.{0,25}\b(?:today|tomorrow|morning|"
    r"afternoon|evening|tonight|weekend|asap|soon|now)\b|\btoday\b|\bi'?m (?:home|in) "
    r"(?:all day|until|till|after|before)\b|"
    # when the resident is in, or is not: "明天我不在家", "下午3点以后都行", "after 3pm is best"
    r"不在家|没在家|家里没人|(?:\d+点|上午|下午|晚上|中午)(?:以后|之后|以前|之前|前|后)?(?:都|也)?"
    r"(?:行|可以|方便|有空|在家)|\bnot (?:home|in|around)\b|\bwon'?t be (?:home|in|around)\b|"
    r"\b(?:after|before|between) \d{1,2}(?::\d\d)? ?(?:am|pm)?\b|"
    r"\b\d{1,2} ?(?:am|pm) (?:is|would be|works)\b|\bcan (?:they|he|she|someone|you) come\b|"
    # when the resident is at work: "i work till 7pm weekdays", "我白天上班 下班后在家"
    r"\bcan i be out\b|\bi work (?:till|until|late|nights|days|weekdays)\b|"
    r"我(?:白天|平时|工作日)?(?:要)?上班|下班(?:后|以后|回来)",
    re.IGNORECASE)
#: "几天能修好", "how long will it take": just after a report, about that report.
_HOW_LONG = re.compile(r"多久|多长时间|几天|啥时候|什么时候|几点|\bhow long\b|\bhow soon\b|"
                       r"\bwhen (?:will|can|are|is|do)\b", re.IGNORECASE)
#: What something costs ("多少钱", "要钱吗", "is it free?").
_COSTS = re.compile(r"多少钱|收费|要钱|收钱|免费|花钱|贵不贵|\bhow much\b|\bcost|\bfree\b|"
                    r"\bcharge|\bpay\b", re.IGNORECASE)
#: A question of what something costs ("换个门锁多少钱", "is it free?"), not a word on paying.
_PRICE_ASKED = re.compile(r"多少钱|要钱吗|收费吗|收不收(?:费|钱)|要不要钱|贵不贵|免费吗|得花多少|"
                          r"\bhow much\b|\bis (?:it|that|this|the \w+) free\b|"
                          r"\bdo (?:i|we) (?:have to |need to )?pay\b|\bwill i be charged\b|"
                          r"\bcost(?:s)?\?", re.IGNORECASE)
#: When a supply is to be cut, asked ahead ("什么时候停水", "会不会停电", "when will the power
#: be off"): a question for the FAQ, no report of one cut now ("停水了", "什么时候来水").
_CUT_ASKED = re.compile(r"(?:什么时候|啥时候|几点|哪天|几号|会不会|是不是|要不要|会|要)(?:开始)?"
                        r"停(?:水|电|气)(?!了)|停(?:水|电|气)(?:吗|么|不)|"
                        r"\bwhen (?:is|will|are) (?:the )?(?:water|power|electricity|gas)\b"
                        r"(?!.*\b(?:back|on again)\b)|"
                        r"\b(?:is|will|are|r) (?:the |our )?(?:water|power|electricity|gas|heating)"
                        r" (?:gonna |going to |going |to )?(?:be )?(?:off|cut|shut off)\b|"
                        r"\b(?:water|power|electricity|gas) (?:off|cut)\b.{0,20}"
                        r"\b(?:tomorrow|tomorow|tmrw|tmr|tonight|this week|next week)\b|"
                        r"\b(?:planned|scheduled) (?:water|power|gas) (?:cut|outage|shut ?down)",
                        re.IGNORECASE)
#: The topic a cost question just after a report is asked with (actions/faq.py).
_REPAIR_TOPIC = {"zh": "报修维修", "en": "the repair"}
#: Said of the thing just reported ("it's between floor 3 and 4", "在3楼和4楼中间", "就是车棚
#: 最里面那盏", "the one by the bins").
_OF_IT = re.compile(r"^\s*(?:it'?s|it is|its|it was|it keeps|they'?re|that'?s|the one\b|"
                    r"就在|就是(?=\S{2})|在(?!哪))",
                    re.IGNORECASE)
#: A wish to go to the event just talked about ("ok 1 spot pls", "算我一个", "count me in").
_WANTS_IN = re.compile(r"算我一个|算上我|我也(?:要)?(?:去|参加|报)|我要(?:去|参加|报)|"
                       r"给我报|帮我报|报(?:一|两|1|2)个|"
                       r"\b(?:a|one|two|\d) (?:spot|place|seat|ticket)s?\b|\bcount (?:me|us) in\b|"
                       r"\bput (?:me|us) down\b|\bsign (?:me|us) up\b|\bi'?ll (?:go|come|join)\b|"
                       r"\bi'?m in\b|\bbook (?:me|us)\b", re.IGNORECASE)
#: A question put as "A or not A" ("要空腹不", "能带孩子不", "收钱没有", "抽血不"), or asked
#: before more is said ("要空腹吗 抽血不").
_A_NOT_A = re.compile(r"(?:要|用|能|可以|会|是|有|收|带|让)\S{0,4}(?:不|没有?)"
                      r"(?=\s|$|[?？,，。!！])|吗(?=[\s,，。!！])|(?<![我你他她要别])不[?？!！]*\s*$")
#: Whether a sign-up worked ("报上了吗", "did it go through?").
_SIGNUP_CHECKED = re.compile(r"报上了?吗|报上没|报名成功了?吗|报成功了?吗|报好了吗|报进去了吗|"
                             r"\bgo(?:ne)? through\b|\bam i (?:signed up|in|booked|registered)\b|"
                             r"\bdid i get (?:in|a (?:spot|place|seat))\b|\bam i on the list\b",
                             re.IGNORECASE)
#: Readings that a question just after hearing of an event may take by mistake ("能带俺孙子去
#: 不" reads as a withdrawal): it is about the event.
_EVENT_ASIDES = frozenset({"event_cancel", "event_list", "ticket_cancel", "ticket_status",
                           "out_of_scope", "bot_help", "set_language", "register_household"})
#: A question to Linli about itself ("你是机器人吗", "what can you do"), which no event's
#: details answer, whatever was just shown.
_TO_THE_BOT = re.compile(r"^(?:请问)?(?:你|您)(?:是|能|会|可以|叫|到底|都)|机器人|真人|"
                         r"\b(?:are|r) (?:you|u)\b|\bwhat (?:can|do) (?:you|u) do\b|"
                         r"\bwho (?:are|r) (?:you|u)\b|\bbot\b", re.IGNORECASE)
#: Words that withdraw from an event.
_WITHDRAWS = re.compile(r"取消|不去|去不了|退|撤|\bcancel|\bwithdraw|\bcan'?t (?:make|come|go)|"
                        r"\bdrop out|\bnot (?:coming|going)\b", re.IGNORECASE)
#: Words that ask to take part, in a question too ("还能报名吗", "can i sign up?").
_SIGNS_UP = re.compile(r"报名|报个名|报上|参加|算我|(?:我|俺|咱)们?(?:也)?(?:要|想)?去|能去|可以去|"
                       r"预约|留个位|留位|"
                       r"\bsign(?:ed)? (?:me|us|up)\b|\bregister\b|\bjoin\b|\bbook\b|"
                       r"\bcount (?:me|us)\b|\bput (?:me|us)\b|\bcome along\b|\bspots?\b|"
                       r"\bplaces?\b|\bseats?\b|\battend\b|\bcan i (?:come|go|join)\b",
                       re.IGNORECASE)
#: "修好了告诉我一声", "keep me posted": a wish to hear back, which residents get anyway.
_KEEP_ME_POSTED = re.compile(
    r"修好了?(?:告诉|通知|跟我说|说一声)|有(?:进展|消息|结果)了?(?:就)?(?:告诉|通知|跟我说)|"
    r"(?:告诉|通知)我一声|\blet me know when\b|\bkeep me (?:updated|posted|in the loop)\b|"
    r"\btell me when (?:it'?s|they'?re|its) (?:fixed|done|sorted)\b|"
    r"\b(?:update|notify|ping) me when\b", re.IGNORECASE)
#: A pause asked for while a question waits ("等一下 我先给闺女打个电话", "hold on, one sec").
_PAUSE = re.compile(r"^(?:你|您)?(?:先)?(?:等一下|等下|等一会儿?|等会儿?|稍等|等等|等我一下|别急)|"
                    r"^(?:hold on|hang on|one sec|wait a (?:sec|second|moment|min|minute)|"
                    r"give me a (?:sec|second|moment|min|minute)|brb)\b", re.IGNORECASE)
#: Where and when to turn up ("where do we meet", "在哪集合", "几点到").
_MEETING = re.compile(r"集合|在哪|几点到|几点开始|地址|怎么走|\bwhere do (?:we|i) (?:meet|go)\b|"
                      r"\bwhere(?:'s| is) it\b|\bwhat time\b|\bwhen does it start\b|\baddress\b|"
                      r"\bvenue\b|\bhow do i get there\b", re.IGNORECASE)
#: Whether someone may come along ("能带俺外孙去不", "can my sister come too?"): a question the
#: event's organisers answer, however sure the NLU is that it is one for the FAQ.
_COMPANION = re.compile(r"带.{0,6}(?:去|来|参加|一起)|"
                        r"\b(?:come|join) (?:too|along|with (?:me|us))\b|"
                        r"\bbring (?:my|a|our|the)\b", re.IGNORECASE)
#: Another problem, not more of the one just reported ("还有个事", "also the lift").
_ANOTHER = re.compile(r"另外|还有|又|也|另一|第二|别的|其他|顺便|"
                      r"\b(?:another|also|too|second|other|plus|as well|separate)\b",
                      re.IGNORECASE)
#: Chasing the report just filed, in few words ("你们管不管", "能快点吗 都黑了好几天了"):
#: for its handler, not a new report.
_CHASES = re.compile(r"管不管|有没有人管|没人管|能(?:不能)?快点|快点吧|催一下|催催|怎么还没|"
                     r"还没(?:来|修|人)|等了?好几天|好几天了|\bhurry\b|\basap\b|"
                     r"\bany(?: chance)? (?:faster|sooner)\b|\bnobody (?:came|has come)\b|"
                     r"\bstill (?:not|waiting)\b|\bwill anyone\b|"
                     r"\bis anyone (?:going|coming)\b|"
                     # "让他别吵了", "pls make him stop": the handler is to act on it
                     r"(?:让|叫|请)(?:他|她|他们|她们|楼上|隔壁|对门)(?:别|停|不要|不许)|管管|"
                     r"\b(?:make|get|tell) (?:him|her|them|it) (?:to )?stop\b|"
                     r"\bdo something\b|\bsort (?:it|this) out\b", re.IGNORECASE)
#: How short a chase is: longer, it tells of a problem of its own (in Latin letters, twice
#: as long: a word takes several).
_CHASE_AT_MOST = 16
#: "别说是我投诉的", "please don't tell them it was me": for the handler, whatever it reads as
#: (no withdrawal).
_KEEP_ME_OUT = re.compile(r"别说是我|不要说是我|别告诉.{0,6}是我|匿名|替我保密|"
                          r"(?:会不会|会|能不能不)告诉.{0,4}是我|知道是我|"
                          r"\bdon'?t tell (?:them|him|her|anyone|the neighbou?rs?)\b|"
                          r"\bkeep my name out\b|\banonymous\b|"
                          r"\bwill (?:they|he|she|the neighbou?rs?) (?:know|find out)\b",
                          re.IGNORECASE)
#: How to reach the resident when they come ("我耳朵不好 敲门大点声", "ring twice, I'm hard of
#: hearing"): for the handler, even when it sounds like someone in need.
_HOW_TO_VISIT = re.compile(r"敲门|按门铃|门铃|耳朵不好|耳背|听不见|听不到|腿脚不好|行动不便|"
                           r"(?:来之前|到之前|来前|提前)(?:给我|先)?(?:打|来)?(?:个)?电话|"
                           r"\bcall (?:me )?(?:first|before|ahead)\b|\bring me before\b|"
                           r"\bknock\b|\bring (?:the bell|twice|loud)|\bhard of hearing\b|"
                           r"\bdeaf\b|\bin a wheelchair\b", re.IGNORECASE)
#: Small talk, which answers no question that wants words ("ok thanks" for a suggestion).
_NO_CONTENT = frozenset({"affirm", "deny", "thank", "greet", "goodbye"})
#: A time the resident asks for ("今天下午", "tomorrow", "I'm home till 5"): a word for the
#: handler even when it reads as a status question.
_WHEN_WANTED = re.compile(r"今天|明天|后天|上午|下午|晚上|周末|\d+点|在家|"
                          r"\b(?:today|tomorrow|tonight|this (?:morning|afternoon|evening)|"
                          r"weekend|i'?m (?:home|in))\b", re.IGNORECASE)
#: Words about a report of one's own ("我的工单", "报修的进度", "my complaint").
_OF_REPORTS = re.compile(r"工单|单号|报修|投诉|报的|进度|处理|修好|来修|派人|"
                         r"\b(?:ticket|report|repair|complaint|status|progress|fixed|update)",
                         re.IGNORECASE)
#: A car's number plate ("京A·12345", "沪A 12345", "plate AB12"): which car it is.
_PLATE = re.compile(r"[京沪津渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z]"
                    r"[·.\s]?[A-Za-z0-9]{4,6}|车牌|\b(?:number )?plate\b", re.IGNORECASE)
#: Readings that are about reports themselves: never taken for a word about the last one.
_ABOUT_REPORTS = frozenset({"report_repair", "file_complaint", "report_emergency",
                            "ticket_status", "ticket_cancel"})
_BARE_NUMBER = re.compile(r"^\s*(?:(?:ok(?:ay)?|fine|sure|well|yes|yeah|um+|it'?s|its|i think|"
                          r"i guess|i believe|probably|maybe|which building\??|好吧|好的|嗯+|那|就|"
                          r"是|应该|大概|可能|好像|估计|我觉得|我记得|几号楼[?？]?)[\s,，.。!！]*)*"
                          r"(\d{1,3})\s*(号楼|栋|幢|号)?(?:[\s,，]*(?:吧|啊|呀|哦|呢|好像|我记得|"
                          r"i think|i guess|i believe|probably|maybe))*[\s.。!！?？]*$",
                          re.IGNORECASE)
#: Readings of a message that only says where ("就在3号楼", "in block 5").
_PLACE_ONLY = frozenset({"register_household", "out_of_scope", "affirm"})
#: A number put right ("oops it's 15 not 16", "是15 不是16"): the first one.
_NUMBER_NOT_THAT = re.compile(r"(?<!\d)(\d{1,3})\s*(?:号楼|栋|幢|号)?[\s,，]*"
                              r"(?:\bnot\b|\binstead of\b|不是|而不是)\s*\d{1,3}(?!\d)",
                              re.IGNORECASE)
#: What may stand around a place in a message that says nothing else ("是2单元的", "it's in
#: unit 2").
_AROUND_A_PLACE = re.compile(r"(?:就是|就在|是|在|的|那个|那边|那部|那台|这部|这个|呢|啊|哦|呀|吧|"
                             r"下面|楼下|门口|旁边|附近|外面|里面|这边|那儿|这儿|"
                             r"\b(?:it'?s|its|in|at|the|that|on|of)\b|[\W_])*", re.IGNORECASE)
#: Replies that answer a question rather than ask for something else (see ``moves_on``).
_SMALL_TALK = frozenset({"affirm", "deny", "thank", "greet", "goodbye", "out_of_scope"})
#: A yes or no with nothing asked gets a reply in kind only when surely one ("就在我家",
#: affirm at 0.46, is no "好的").
_YES_OR_NO = frozenset({"affirm", "deny"})
#: Reports that need to say what is wrong: one that only announces itself ("我要报修") is
#: asked what is wrong, and the answer starts it.
REPORTS = frozenset({"report_repair", "file_complaint"})
#: What, said after such an announcement, is not the description it waits for.
_NOT_A_DESCRIPTION = REPORTS | (_SMALL_TALK - {"out_of_scope"})
STALE_AFTER = dt.timedelta(minutes=30)
#: How long an unsure remark just after a report is at least, to be a word for its handler
#: (shorter: "嗯嗯", "ok then").
_A_DETAIL_AT_LEAST = 6
#: Characters after "不知道" that say more than "算不算": a detail worth keeping.
_A_FEW_WORDS = 4
#: The step that files a report: a doubtful reading that got there without a question is
#: offered, not filed.
OPENS_TICKET = "action_open_ticket"
#: A smell or smoke, which in a report of gas or fire may be a danger now.
_SMELLS = re.compile(r"味|闻|烟|\bsmell|\bstink|\bfumes?\b|\bsmok", re.IGNORECASE)
#: Kinds of report whose unsure reading may be a danger now: asked about as one.
_DANGER_KINDS = frozenset({"gas", "fire"})
#: The flow of an emergency, which outranks every other.
EMERGENCY = "report_emergency"
#: How sure the NLU must be that a message is an emergency before it interrupts anything and
#: alerts people at once; a less sure reading is asked about first, because a false alarm
#: wakes real people. Real reports parse at 0.98 and above; a place answer that merely sounds
#: alarming ("就在3号楼门口") at about 0.6.
EMERGENCY_CONFIDENCE = 0.85
#: Readings that undo something, each asked about first.
_UNDOING = frozenset({"ticket_cancel", "event_cancel", "data_erase"})
#: A question, by its mark or its last word.
_QUESTION = re.compile(r"[?？]\s*$|[吗呢么]\s*$|^(?:will|would|does|do|is|are|can|what|whats|"
                       r"how|hows)\b", re.IGNORECASE)
#: A question without its mark ("多少钱", "how long").
_ASKS = re.compile(r"多少|多久|几[天点时号个]|怎么|什么|为什么|哪|谁|要钱|收费|"
                   r"\b(?:how|hows|what|whats|when|whens|why|who|whos|where|wheres|which)\b",
                   re.IGNORECASE)
#: Words that withdraw something in so many words ("取消", "撤销", "cancel my repair").
_CANCEL_SAID = re.compile(r"取消|撤销|撤回|撤了|不报了|不修了|\bcancel|\bwithdraw", re.IGNORECASE)
#: Readings that, when sure, are no word about an emergency going on: small talk, and requests
#: the resident makes of their own accord.
_NOT_ABOUT_THE_EMERGENCY = frozenset({"thank", "affirm", "deny", "goodbye", "request_human",
                                      "set_language", "ticket_cancel", "event_cancel",
                                      "event_signup"})
#: Slots that belong to the flow in progress: kept aside while an emergency interrupts it.
FLOW_SLOTS = (*ENTITY_SLOTS, *FREE_TEXT_SLOTS, "flow_intent", "report_text", "signup",
              "move_ok", "place_nagged", "emergency_spot")


class Position(TypedDict):
    """Where a turn left the conversation: the flow, and the name of the question it waits
    on, or ``"done"`` when the flow finished in that turn (``FlowRunner.position``)."""

    flow: str
    step: str


#: The step of a ``Position`` whose flow finished in the turn.
DONE = "done"


@dataclass(slots=True)
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    asks: str | None = None  # the slot this reply asks for, if it is a question

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, **({"buttons": self.buttons} if self.buttons else {})}


@dataclass(slots=True)
class Context:
    """Who is talking, in which language, with what parse."""

    sender: str
    person_id: int
    language: str
    parse: dict[str, Any]
    now: dt.datetime
    in_handoff: bool = False  # the person talks to staff through Linli (store/handoffs.py)


def _sure(parse: Mapping[str, Any]) -> bool:
    """The NLU is sure enough of its reading for the reading to steer the conversation."""
    return sure(parse["intent"])


def _confirms(parse: Mapping[str, Any]) -> bool:
    """A plain yes to a confirm step: a sure "yes" (or its button), with no "not" in it."""
    text = str(parse.get("text", ""))
    if _DO_IT.search(text):
        return True
    return not _NEGATED.search(text) and not unsure(text) and (
        bool(_YES.search(text)) or (parse["intent"]["name"] == "affirm" and _sure(parse)))


def _refuses(parse: Mapping[str, Any]) -> bool:
    """A plain no to a confirm step: "不", "算了", "no", or a sure "no" (its button); never a
    yes that says the deed ("嗯 删吧 不用留了")."""
    text = str(parse.get("text", ""))
    return not _DO_IT.search(text) and (bool(_NO.search(text)) or bool(_KEEP.search(text)) or (
        parse["intent"]["name"] == "deny" and _sure(parse)))


def _tells_more_of_the_danger(parse: Mapping[str, Any]) -> bool:
    """An answer to "is this a danger now?" that is no yes but says so all the same: an
    emergency reading however unsure, or where it is with a sign it is going on now, and no
    cancel words or "no"."""
    if _declines(parse):
        return False
    if parse["intent"]["name"] == EMERGENCY:
        return True
    reading = danger.read(str(parse.get("text", "")))
    placed = any(e["entity"] in danger.PLACE_ENTITIES for e in parse.get("entities", []))
    return not reading.elsewhere and (reading.here_now or (placed and reading.likely_now))


def _declines(parse: Mapping[str, Any]) -> bool:
    """Cancel words, or a sure "no"."""
    return bool(_CANCEL.search(parse.get("text", ""))) or (
        parse["intent"]["name"] == "deny" and _sure(parse))


def _place_told(parse: Mapping[str, Any]) -> dict[str, str]:
    """The place a message gives when that is all it says ("3号楼", "unit 2 flat 501", a
    bare "3" for a building); empty when it says anything else."""
    text = str(parse.get("text", ""))
    if _only_a_place(parse):
        return {e["entity"]: str(e["value"]) for e in parse.get("entities", [])
                if e["entity"] in danger.PLACE_ENTITIES}
    bare = _BARE_NUMBER.match(text)
    return {"building": bare.group(1)} if bare else {}


def _only_a_place(parse: Mapping[str, Any]) -> bool:
    """The message says where and nothing else ("2单元", "是3号楼的", "unit 2 flat 501")."""
    text = str(parse.get("text", ""))
    spans = sorted((e["start"], e["end"]) for e in parse.get("entities", [])
                   if e["entity"] in danger.PLACE_ENTITIES and e.get("start") is not None)
    if not spans:
        return False
    rest, last = [], 0
    for start, end in spans:
        rest.append(text[last:start])
        last = max(last, end)
    rest.append(text[last:])
    return _AROUND_A_PLACE.fullmatch(" ".join(rest)) is not None


def _about_the_report(parse: Mapping[str, Any], nothing_asked: bool) -> bool:
    """Words, just after a report was filed, for whoever handles it: a wish to stay unnamed,
    a chase, when or how to come, or a detail (said as one, or of "it") that names no place
    and is no request of its own."""
    text = str(parse.get("text", ""))
    intent = parse["intent"]["name"]
    unplaced = not any(e["entity"] in danger.PLACE_ENTITIES for e in parse["entities"])
    if _KEEP_ME_OUT.search(text) or (
            _CHASES.search(text) and len(text) <= _CHASE_AT_MOST * (2 if text.isascii() else 1)
            and unplaced):
        return True
    if _PLATE.search(text) and not _sure_other_request(parse):
        return True  # "车是白色的 京A·12345", "plate 沪A 12345": which car, for the handler
    if intent in REPORTS and unplaced and (
            _ABOUT_THE_VISIT.search(text) or _HOW_TO_VISIT.search(text) or _OF_IT.search(text)):
        return True
    if nothing_asked and unplaced and _CORRECTION.search(text) \
            and (intent in _SMALL_TALK or intent in REPORTS) \
            and len(clean(_CORRECTION.sub("", text)).text) >= _A_FEW_WORDS:
        return True  # "哦不对不对 是厨房的": the report put right, for its handler
    if nothing_asked and unplaced and not _sure(parse) and intent not in _ABOUT_REPORTS \
            and len(clean(text).text) >= _A_DETAIL_AT_LEAST \
            and not (_QUESTION.search(text) or _ASKS.search(text)):
        return True  # "整栋楼都没有 对门也说没有", "我邻居说他昨天好像也报过了"
    # "就是车棚最里面那盏" reads as a sure yes, but says more than one
    # ... but "对了 楼道里那根水管子也在滴" is another problem, reported as such
    return nothing_asked and bool(_ADDITION.search(text) or _OF_IT.search(text)) \
        and not (intent in REPORTS and _ANOTHER.search(text)) \
        and (not _sure(parse) or (intent in _YES_OR_NO and not is_nod(text)))


def _smells_of_danger(parse: Mapping[str, Any]) -> bool:
    """A report of a smell or smoke, of the gas or fire kind, told as here and now (not a
    question, a memory or somewhere else)."""
    text = str(parse.get("text", ""))
    kind = next((e["value"] for e in parse.get("entities", []) if e["entity"] == "category"),
                None)
    reading = danger.read(clean(text).text)
    return kind in _DANGER_KINDS and bool(_SMELLS.search(text)) and not reading.elsewhere \
        and not reading.loosely


def _sure_other_request(parse: Mapping[str, Any]) -> bool:
    """A sure reading of a request of its own (not small talk, not a report, not unknown)."""
    intent = parse["intent"]["name"]
    return _sure(parse) and intent not in _SMALL_TALK and intent not in REPORTS


def _all_clear(parse: Mapping[str, Any]) -> bool:
    """The danger is over or was none: "没事了 是邻居在烧烤", "nvm false alarm"."""
    return danger.all_clear(clean(str(parse.get("text", ""))).text)


def _read_as(parse: Mapping[str, Any], intent: str,
             entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``parse`` as the conversation reads it: surely ``intent``, about ``entities`` if given."""
    return {**parse, "intent": {"name": intent, "confidence": 1.0},
            **({"entities": entities} if entities is not None else {})}


def _quote(text: str) -> str:
    """A resident's words repeated back to them, cut short when long."""
    return text if len(text) <= 30 else text[:29] + "…"


class FlowRunner:
    """Advances a conversation state by one user message."""

    def __init__(self, flows: Mapping[str, Flow], actions: ActionCaller,
                 responses: Responses) -> None:
        self.flows = flows
        self.actions = actions
        self.responses = responses

    async def handle(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """Update ``state`` in place for one message and return the replies. A message with
        two requests (its parse's ``segments``) is handled one request after the other."""
        state.pop("ran", None)  # the flow this turn runs, if any (see ``position``)
        slots = state.setdefault("slots", {})
        # The question the FAQ answered last turn, for a follow-up ("那去哪儿办") this turn.
        slots["faq_before"] = slots.pop("last_faq", None)
        replies = await self._handle(state, self._first_request(state, context))
        if context.in_handoff and "foreign_handoff" in slots and not slots["foreign_handoff"]:
            context = dataclasses.replace(context, in_handoff=False)  # it ended: Linli's again
        replies = await self._next_requests(state, context, replies)
        if state.pop("others_asked", False):
            replies.append(self.say("utter_others_details_refused", slots))
        recheck = state.pop("emergency_recheck", None)
        if recheck is not None and "emergency_check" not in state and not any(
                frame["flow"] == EMERGENCY for frame in state.get("stack", [])):
            state["emergency_check"] = recheck
            replies.append(self.say("utter_confirm_emergency", state["slots"]))
        return replies

    async def _handle(self, state: dict[str, Any], context: Context) -> list[Reply]:
        replies: list[Reply] = []
        updated = state.get("updated")
        if updated and context.now - dt.datetime.fromisoformat(updated) > STALE_AFTER:
            state.clear()
        state["updated"] = context.now.isoformat()
        stack: list[dict[str, Any]] = state.setdefault("stack", [])
        slots: dict[str, Any] = state.setdefault("slots", {})
        slots.update(language=context.language, person_id=context.person_id)
        intent = context.parse["intent"]["name"]

        # 1. Safety first: an emergency outranks whatever the conversation was doing. Nothing
        #    may come before this; modes that hold a conversation (a handoff, a rating in
        #    words) are checked after it.
        if self._about_the_live_emergency(state, context) and await self._taken(
                "action_emergency_update", slots, context, replies):
            asked = self.waiting_step(stack)
            if asked is not None:  # a question of another matter still waits
                await self._ask(asked, slots, context, replies)
            return replies
        emergency = self._emergency_said(state, context)
        if emergency is not None:
            return await self._emergency(state, dataclasses.replace(context, parse=emergency))
        if "emergency_check" in state:  # "is this an emergency?" answered, not with a yes
            replies = await self._doubt_answered(state, context)
            if replies:
                return replies

        # 2. Modes that hold the conversation: a handoff to staff, else a rating said in words
        #    while a satisfaction poll waits. Neither takes a command or a button (explicit
        #    work still works) nor the answer to a question the bot is asking.
        text = str(context.parse.get("text", ""))
        asked = self.waiting_step(stack)
        # A resident asking for their data or its erasure (PIPL) is heard in any mode, as
        # its own request (nlu/data_rights.py); not in an answer taken word for word (a
        # suggestion, a notice), except at a question they may pass by.
        wanted = read_data_request(text) if asked is None or not asked.from_text \
            or asked.optional else None
        # "export it please", "now delete everything" just after a request about their data
        data_before = slots.pop("last_data", None)
        if wanted is None and data_before and (asked is None or asked.kind == "confirm"):
            wanted = bare_data_request(text)
        if wanted is not None and f"data_{wanted}" in self.flows:
            slots["last_data"] = wanted
            intent = f"data_{wanted}"
            context = dataclasses.replace(context, in_handoff=False,
                                          parse=_read_as(context.parse, intent))
        # "你把他家电话给我", "1号楼住户名单发我一份": never given, whoever asks; a report
        # made with it is still taken
        if asks_for_others(text) and (asked is None or not asked.from_text) \
                and not text.startswith("/"):
            if intent not in REPORTS or only_asks_for_others(text):
                return [self.say("utter_others_details_refused", slots)]
            state["others_asked"] = True
        if context.in_handoff and asked is None and not text.startswith("/"):
            if await self._taken("action_relay_to_staff", slots, context, replies):
                return replies
            if replies:  # the handoff had fallen silent: said so, then on as usual
                return [*replies, *await self._handle(
                    state, dataclasses.replace(context, in_handoff=False))]
        elif not context.in_handoff and read_rating(text) is not None and (
                asked is None or not self._fill(asked, context.parse, dict(slots))) \
                and await self._taken("action_rate_in_words", slots, context, replies):
            if asked is not None:  # rated in the middle of a question: back to it
                await self._ask(asked, slots, context, replies)
            return replies

        # 3. What an emergency interrupted is offered back; the answer to the offer.
        if state.pop("offered", False):
            replies = await self._offer_answered(state, context)
            if replies:
                return replies

        # 4. "不对，是5号楼", "对了 是2单元301" right after a report was filed: its place was
        #    wrong or not all there.
        if slots.get("last_ticket") and self._places_the_report(asked, stack, context.parse) \
                and await self._taken("action_correct_place", dict(slots), context, replies):
            if asked is not None:
                await self._ask(asked, slots, context, replies)
            return replies

        # 4b. Right after a report (nothing asked, or only its own optional question): "算了 不
        #     报了 我自己换个灯泡" withdraws it (asked first); "能不能今天来修" is a word for
        #     whoever handles it.
        after_report = bool(slots.get("last_ticket")) and (
            asked is None or (asked.optional and stack[-1]["flow"] in REPORTS))
        if after_report and (intent not in _ABOUT_REPORTS or (
                intent == "ticket_status" and _WHEN_WANTED.search(text)) or (
                intent == EMERGENCY and _HOW_TO_VISIT.search(text)
                and not danger.read(clean(text).text).here_now)):
            if _DROPS_REPORT.search(text) and not any(  # "义诊那个先不报了": the sign-up
                    e["entity"] == "event" for e in context.parse["entities"]):
                intent = "ticket_cancel"
                context = dataclasses.replace(context, parse=_read_as(context.parse, intent, [
                    {"entity": "ticket_id", "value": slots["last_ticket"]}]))
            elif (_ABOUT_THE_VISIT.search(text) or _HOW_TO_VISIT.search(text)) \
                    and await self._taken(
                    "action_pass_on", dict(slots), context, replies):
                if asked is not None:
                    await self._ask(asked, slots, context, replies)
                return replies

        # "几天能修好" just after a report (at its contact question too): when they come; and
        # "什么时候能来 我下午要去接孙子": that too, and when the resident is out, for the handler
        if after_report and _HOW_LONG.search(text) \
                and (intent in ("out_of_scope", "ticket_status", "bot_help")
                     or not _sure(context.parse)) \
                and await self._taken("action_report_timing", dict(slots), context, replies):
            if _WHEN_WANTED.search(text):
                await self._taken("action_pass_on", dict(slots), context, replies)
            if asked is not None:
                await self._ask(asked, slots, context, replies)
            return replies

        # "我是租户不是房东 这样也行吗": a question, whatever yes or no it reads as, when
        # nothing was asked
        if intent in _YES_OR_NO and asked is None and not stack \
                and (_QUESTION.search(text) or _A_NOT_A.search(text)) \
                and len(clean(text).text) > _A_DETAIL_AT_LEAST and not slots.get("last_ticket"):
            intent = "ask_faq"

        # "天然气要是闻着有点味道是不是就要打电话啊": a question the NLU half took for one
        # about the resident's reports, which it names nothing of
        if intent == "ticket_status" and asked is None and not _sure(context.parse) \
                and not _OF_REPORTS.search(text) and not slots.get("last_ticket"):
            intent = "ask_faq"

        # "那电池呢" after an answer from the FAQ, read as small talk or unsure: more of it.
        if slots.get("faq_before") and follows_up(text) and asked is None and (
                intent in _SMALL_TALK or not _sure(context.parse)):
            intent = "ask_faq"

        # "等一下 我先给闺女打个电话" while a question waits: it waits, unasked again.
        if asked is not None and intent != EMERGENCY and _PAUSE.search(clean(text).text) \
                and not any(e["entity"] in ("building", "unit", "room")
                            for e in context.parse.get("entities", [])):
            return [self.say("utter_take_your_time", slots)]

        # "修好了告诉我一声", "let me know when it's fixed": they will be told; no status
        # asked, nothing withdrawn, nobody called over.
        if _KEEP_ME_POSTED.search(text) and len(text) <= _CHASE_AT_MOST * 2 \
                and intent != EMERGENCY and (asked is None or after_report):
            replies.append(self.say("utter_keep_posted", slots,
                                    ticket=slots.get("last_ticket") or ""))
            if asked is not None:
                await self._ask(asked, slots, context, replies)
            return replies

        # "多少钱", "is it free?" just after a report: what repairs cost, from the FAQ.
        if slots.get("last_ticket") and _COSTS.search(text) and len(text) <= _CHASE_AT_MOST * 2 \
                and (intent in ("out_of_scope", "ask_faq") or not _sure(context.parse)):
            slots["faq_before"] = _REPAIR_TOPIC.get(context.language, _REPAIR_TOPIC["zh"])
            intent = "ask_faq"

        # "对了 碎玻璃还在地上", "it's between floor 3 and 4", "别说是我投诉的", "你们管不管",
        # "能不能今天就来": more about the report just filed.
        if after_report and intent != EMERGENCY \
                and _about_the_report(context.parse, asked is None) \
                and await self._taken("action_pass_on", dict(slots), context, replies):
            if _KEEP_ME_OUT.search(text):  # "会不会告诉他是我投诉的": it will not
                replies.append(self.say("utter_complainant_kept_private", slots))
            if asked is not None:
                await self._ask(asked, slots, context, replies)
            return replies

        # "就是3楼那个灯 一直不亮" just after "楼道灯坏了": the same problem told again, more
        # exactly: a detail for its handler, not a second report; "还是有味道": on record
        # (actions: ``SameReport``).
        if after_report and asked is None and (intent in REPORTS or not _sure(context.parse)) \
                and intent != EMERGENCY and not _ANOTHER.search(text) \
                and not any(e["entity"] == "building" for e in context.parse["entities"]) \
                and await self._taken("action_same_report", dict(slots), context, replies):
            return replies

        # 4c. Just after a sign-up: "不对 是3个人", "make it 3", "me and my son" (that event
        #     named again or not) changes how many come; a short question the
        #     NLU cannot place ("when is it") is about that event (actions/events.py answers
        #     it, or lists what is on).
        said = clean(text).text
        if slots.get("last_event") and not slots.get("last_ticket") and asked is None \
                and intent == "ticket_cancel" and not any(
                    e["entity"] == "ticket_id" for e in context.parse.get("entities", [])):
            # "cancel it" with no report made in this conversation: the sign-up (asked first)
            intent = "event_cancel"
            context = dataclasses.replace(context, parse=_read_as(
                context.parse, intent, [{"entity": "event", "value": slots["last_event"]}]))
        if slots.get("last_event") and asked is None and (
                party_said(said) or party_added(said)) and (
                intent not in (*_ABOUT_REPORTS, "event_cancel") or not _sure(context.parse)
                or (intent == "event_cancel" and resized_to(said))) \
                and not any(e["entity"] == "event" and e["value"] != slots["last_event"]
                            for e in context.parse.get("entities", [])) \
                and await self._taken("action_resize_signup", dict(slots), context, replies):
            return replies
        if slots.get("last_event") and asked is None and intent != EMERGENCY \
                and (intent in _EVENT_ASIDES or not _sure(context.parse)
                     or (intent == "ask_faq" and (_MEETING.search(text)
                                                  or _COMPANION.search(text)))) \
                and not (intent == "bot_help" and _TO_THE_BOT.search(text)) \
                and (_QUESTION.search(text) or _ASKS.search(text) or _A_NOT_A.search(text)) \
                and not (_SIGNS_UP.search(text) or _WITHDRAWS.search(text)
                         or _SIGNUP_CHECKED.search(text)) \
                and not any(e["entity"] == "event" and e["value"] != slots["last_event"]
                            for e in context.parse.get("entities", [])) \
                and await self._taken("action_event_question", dict(slots), context, replies):
            # "能带俺孙子去不", "can my mum come too?" just after hearing of an event: about it
            return replies
        if slots.get("last_event") and asked is None and _WANTS_IN.search(text) \
                and intent in (*_SMALL_TALK, "event_list"):
            # "ok 1 spot pls", "算我一个" after hearing about one event: a sign-up for it
            intent = "event_signup"
        elif slots.get("last_event") and asked is None and len(text) <= 24 and (
                intent == "out_of_scope" or not _sure(context.parse)
                or (intent == "ask_faq" and _MEETING.search(text))) and intent != EMERGENCY \
                and (_MEETING.search(text) or _QUESTION.search(text) or _ASKS.search(text)):
            # "where do we meet?": about the event just signed up for ("see u there 🥟" is no
            # question about it)
            intent = "event_list"

        # "那个义诊要空腹不", "is the movie night free?": a question about an event, not a
        # sign-up; what is on is shown, with its sign-up button.
        if intent == "event_signup" and asked is None and not _SIGNS_UP.search(text) and (
                _QUESTION.search(text) or _ASKS.search(text) or _A_NOT_A.search(text)):
            intent = "event_list"

        # "did the movie signup go through?", "义诊报上了吗": whether one is in, never a
        # withdrawal (the sign-up says "already signed up", or signs up after all)
        if intent == "event_cancel" and _SIGNUP_CHECKED.search(text) \
                and not _WITHDRAWS.search(text):
            intent = "event_signup"

        # "换个门锁多少钱", "how much to fix a broken window": a question of cost, answered from
        # the FAQ; the report it reads as is offered, never filed unasked.
        if intent in REPORTS and asked is None and not stack and _PRICE_ASKED.search(text) \
                and "interrupted" not in state:
            await self.run_action("action_answer_faq", slots, context, replies)
            self._offer(state, intent, context.parse)
            replies.append(self.say(
                "utter_report_offer", slots, report=_quote(text),
                flow_name=self.responses.label("flow", intent, context.language)))
            return replies

        # "什么时候停水": when a supply is to be cut, answered from the FAQ; nothing is cut now
        # (and the question is no stranger's: "这周会不会停电"), and "is the water gonna be off
        # tomorow?" is no goodbye, whatever the reading.
        if intent not in (EMERGENCY, "ask_faq") and asked is None and not stack \
                and _CUT_ASKED.search(text) and "interrupted" not in state:
            await self.run_action("action_answer_faq", slots, context, replies)
            return replies

        # 5. After "我要报修": what is wrong, told now, is that report (unless it is a request
        #    of its own, small talk, or cancel words).
        announced = state.pop("announced", None)
        placed = state.pop("announced_place", None) or {}  # where, told before what
        if announced is not None and not stack:
            if _declines(context.parse):
                return [self.say("utter_flow_cancelled", slots)]
            if where := _place_told(context.parse):
                # "3号楼", "应该是12吧", whatever they read as: kept for the report, and what
                # is wrong is asked again; never a report filed with nothing in it
                placed |= where
                state["announced"], state["announced_place"] = announced, placed
                place = place_text(placed.get("building"), placed.get("unit"),
                                   placed.get("room"), context.language)
                return [self.say("utter_ask_problem_there", slots, place=place) if place
                        else self.say("utter_ask_problem", slots)]  # "2单元": which building?
            if intent not in _NOT_A_DESCRIPTION and not (
                    intent in INTERRUPTING and _sure(context.parse)):
                intent = announced

        waiting = self.waiting_step(stack)
        if waiting is not None and waiting.kind == "confirm":
            # Before something is undone: only a plain yes goes on. "No" keeps it and says so;
            # any other message keeps it too and is then handled as itself. Either way only
            # the question's own flow ends: a question it interrupted is asked again.
            refused = _refuses(context.parse)
            if not refused and not _confirms(context.parse) and intent in _UNDOING \
                    and _QUESTION.search(text):
                # "will my repair be cancelled too?" while erasing data is asked: a question
                # about this, never a second thing to undo
                await self._ask(waiting, slots, context, replies)
                return replies
            if refused or not _confirms(context.parse):
                stack.pop()
                if not refused:
                    if not stack:
                        self._clear_flow_slots(slots)
                    return await self._handle(state, context)
                replies.append(self.say(waiting.on_cancel or "utter_flow_cancelled", slots))
            else:
                stack[-1]["step"] += 1
        elif waiting is not None:
            # A free-text answer (a suggestion, a notice) is not read as "no": only cancel
            # words end the flow there.
            # Once the report is filed, "取消报修" withdraws it (asked first), not the question.
            withdraws = waiting.on_cancel is not None and self._withdraws_report(
                stack, context.parse)
            if stack[-1]["flow"] in REPORTS and not waiting.from_text \
                    and _REPHRASED.search(text) and not _CANCEL.search(text) \
                    and not self._fill(waiting, context.parse, dict(slots)):
                return await self._amended(waiting, context, slots)
            if not withdraws and (_CANCEL.search(context.parse.get("text", "")) or (
                    intent == "deny" and _sure(context.parse) and not waiting.from_text
                    and not unsure(context.parse.get("text", ""))
                    # "哦不对 是15号楼": a correction that answers the question
                    and not self._fill(waiting, context.parse, dict(slots)))):
                return self._cancelled(state, waiting)
            phoned = any(e["entity"] == "phone" for e in context.parse["entities"])
            if waiting.optional and intent in ("thank", "goodbye") and _sure(context.parse) \
                    and not phoned:
                return self._cancelled(state, waiting, "utter_flow_left")  # "谢谢": no, thanks
            if waiting.optional and waiting.from_text and stack[-1]["flow"] in REPORTS \
                    and not phoned and (_QUESTION.search(text) or _ASKS.search(text)
                                        or _ADDITION.search(text)):
                # "多少钱", "also the light in there flickers" at the phone question: passed by
                stack.clear()
                self._clear_flow_slots(slots)
                return await self._handle(state, context)
            answers = not waiting.from_text and self._fill(waiting, context.parse, dict(slots))
            if (waiting.optional or stack[0].get("unsure")) and self.moves_on(context.parse) \
                    and not answers:
                # Passed by ("我的工单怎么样了"), or a flow a doubtful reading began ("公共区域")
                # left for a plain request ("我想报名"): the message is that request.
                stack.clear()
                self._clear_flow_slots(slots)
                self._start(intent, context.parse, slots, stack)
            elif self._fill(waiting, context.parse, slots):
                stack[-1]["step"] += 1
                if waiting.validate:
                    await self.run_action(waiting.validate, slots, context, replies)
                    if slots.get(waiting.name) is None:
                        stack[-1]["step"] -= 1
                        return replies
            elif (intent in INTERRUPTING or intent in ASIDES) and _sure(context.parse) \
                    and intent in self.flows:
                stack.append({"flow": intent, "step": 0})
            elif stack[-1]["flow"] == EMERGENCY and unsure(context.parse.get("text", "")):
                return self._cancelled(state, waiting)  # staff will find out by phone
            elif stack[-1]["flow"] == EMERGENCY and not waiting.from_text and (
                    intent in _SMALL_TALK or intent == EMERGENCY or not _sure(context.parse)
                    or _all_clear(context.parse)) \
                    and await self._heard_about_the_emergency(state, waiting, context, replies):
                # "我爸在卫生间摔倒了", "he's breathing but won't wake up": more of it, for those
                # alerted (and a room of one's home is the home), never dropped
                return replies
            elif self._signs_off(stack, context.parse):
                return self._cancelled(state, waiting, "utter_flow_left")
            else:
                replies = []
                if intent == EMERGENCY and not waiting.verbatim \
                        and stack[-1]["flow"] != EMERGENCY:
                    return self._ask_if_emergency(state, context, slots)
                await self._ask(waiting, slots, context, replies)
                return replies
        elif intent == EMERGENCY or (intent in REPORTS and _smells_of_danger(context.parse)):
            # "俺家灶台那边好像有点味儿": a smell of gas or burning is asked about as a danger
            # now first, however sure the reading of a repair is
            return self._ask_if_emergency(state, context, slots)
        elif intent in REPORTS and announced is None and not says_what_is_wrong(
                str(context.parse.get("text", ""))):
            state["announced"] = intent
            return [self.say("utter_ask_problem", slots)]
        elif intent == "bot_help" and wants_a_person(text) and "request_human" in self.flows:
            # "这机器人也没啥用 能不能找个真人": a person, not the help text again
            self._start("request_human", context.parse, slots, stack)
        elif intent in self.flows and (intent not in _YES_OR_NO or _sure(context.parse)):
            self._start(intent, context.parse, slots, stack,
                        unsure=announced is None and not _sure(context.parse))
            for key, value in placed.items():  # "3号楼", then "电梯坏了"
                if slots.get(key) is None:
                    slots[key] = value
        else:
            return [self.say("utter_default", slots)]
        state["ran"] = await self._advance(stack, slots, context, replies)
        held = bool(stack) and stack[-1].pop("held", False)
        if held and slots.get("category") in _DANGER_KINDS:
            # "俺家灶台那现在就有股味儿 不知道是不是": is it a danger now? (never a repair
            # offered for what may be a gas leak)
            stack.clear()
            self._clear_flow_slots(slots)
            return self._ask_if_emergency(state, context, slots)
        if held:
            # "吓我一跳", "俺家也用燃气灶 心里不踏实": a remark an unsure reading took for a
            # report, with nothing left to ask, is offered as one, never filed unasked
            frame = stack.pop()
            frame.pop("unsure", None)
            state.update(interrupted={"stack": [frame], "slots": dict(slots)}, offered=True)
            self._clear_flow_slots(slots)
            return [self.say("utter_report_offer", slots, report=_quote(text),
                             flow_name=self.responses.label("flow", intent, context.language))]
        self._offer_back(state, replies)
        return replies

    # -- two requests in one message --------------------------------------------------------

    def _first_request(self, state: dict[str, Any], context: Context) -> Context:
        """The request of a message with several to handle now; the others wait in the state
        (``pending``) for this one to need nothing more. An emergency goes first wherever it
        was said. The whole message stays one when it is an answer taken word for word, when
        it goes to staff, or when the whole reads as an emergency none of its parts is."""
        segments = context.parse.get("segments") or []
        foreign = bool(state.get("slots", {}).get("foreign_handoff"))  # may end (RelayToStaff)
        if len(segments) < 2 or (context.in_handoff and not foreign):
            return context
        asked = self.waiting_step(state.get("stack") or [])
        if asked is not None and asked.from_text:
            return context
        ordered = sorted(segments, key=lambda segment: segment["intent"] != EMERGENCY)
        if context.parse["intent"]["name"] == EMERGENCY and ordered[0]["intent"] != EMERGENCY:
            return context
        first = {**context.parse, **as_parse(ordered[0])}
        rest = ordered[1:]
        if ordered[0]["intent"] == EMERGENCY:
            # One alarm, carrying every word said: responders read the whole message; its
            # place and kind are the emergency's own.
            first.update(text=context.parse["text"], entities=ordered[0]["entities"])
            rest = [segment for segment in rest if segment["intent"] != EMERGENCY]
        first.pop("segments", None)
        message_id = context.parse.get("message_id")
        # Not the stored message's id: a ticket opened for a later request must not be taken
        # for the one this message opened first (store/tickets.py repeats by that id).
        state["pending"] = [{**as_parse(segment), "message_id": f"{message_id}:{number}"}
                            for number, segment in enumerate(rest, 2)]
        if not state["pending"]:
            del state["pending"]
        return dataclasses.replace(context, parse=first)

    async def _next_requests(self, state: dict[str, Any], context: Context,
                             replies: list[Reply]) -> list[Reply]:
        """Once nothing is asked or offered any more, go on with the next request the message
        held: "另外，您还提到：“想报名包饺子”", then that request as if sent alone. A question
        that may be passed by (a phone number for the report just filed) gives way to it."""
        waiting = self.waiting_step(state.get("stack") or [])
        if state.get("pending") and waiting is not None and waiting.optional:
            state["stack"].clear()
            self._clear_flow_slots(state["slots"])
            replies = [r for r in replies if r.asks != waiting.name]
        while state.get("pending") and not state.get("stack") and not state.get("offered") \
                and "emergency_check" not in state and not context.in_handoff:
            parse = state["pending"].pop(0)
            if not state["pending"]:
                del state["pending"]
            replies.append(self.say("utter_next_request", state["slots"],
                                    request=_quote(str(parse["text"]))))
            replies.extend(await self._handle(state, dataclasses.replace(context, parse=parse)))
        return replies

    # -- emergencies ------------------------------------------------------------------------

    def _emergency_said(self, state: dict[str, Any], context: Context
                        ) -> dict[str, Any] | None:
        """The parse to handle as an emergency now, if this message is one: a confident
        reading, or "yes" to the question whether a less sure one was. Not while the emergency
        flow itself asks where (more words about the same danger answer it), and not in a
        question kept word for word (staff writing a notice about fire safety)."""
        stack = state["stack"]
        parse = context.parse
        intent = parse["intent"]["name"]
        check = state.get("emergency_check")
        confident = intent == EMERGENCY and float(parse["intent"].get("confidence", 0.0)) >= \
            EMERGENCY_CONFIDENCE
        if confident:
            waiting = self.waiting_step(stack)
            if (stack and stack[-1]["flow"] == EMERGENCY) or (
                    waiting is not None and waiting.verbatim):
                return None
            if check is None:
                return parse
        if check is None:
            return None
        if intent == "affirm" and _sure(parse) and not unsure(str(parse.get("text", ""))):
            words, found = check["text"], check["entities"]
        elif confident or _tells_more_of_the_danger(parse) or (
                not _declines(parse) and not _all_clear(parse) and danger.someone_unwell(
                    clean(f"{check['text']} {parse.get('text', '')}").text)):
            # ... or someone is unwell now ("我和老伴都头晕恶心"), however unsure the answer
            # "就在7号楼1单元，烟很大": more of the same danger, and where it is; the words
            # and the place of the doubtful report stay with it.
            words = f"{check['text']} {parse.get('text', '')}".strip()
            found = [*check["entities"], *parse.get("entities", [])]
        else:
            return None
        del state["emergency_check"]
        return {**_read_as(parse, EMERGENCY, found), "text": words}

    def _about_the_live_emergency(self, state: dict[str, Any], context: Context) -> bool:
        """Once an emergency was raised and placed (its flow done, nothing asked about it): a
        message that may be more of it ("我就在里面 手机快没电了", "消防车来了", "should I knock
        on doors?") or its all-clear, rather than small talk or a plain request of another
        kind ("谢谢", "转人工"), the answer to what it interrupted ("好的，继续") or a rating
        ("5分"). While a question of another matter waits (a suggestion asked for) or staff
        are being talked to, only a danger or an all-clear is. ``EmergencyUpdate`` decides,
        knowing the ticket and how long ago it was."""
        parse = context.parse
        if not (state["slots"].get("live_emergency") or state["slots"].get("stood_down")) \
                or "emergency_check" in state \
                or (state.get("offered") and parse["intent"]["name"] != EMERGENCY) \
                or read_rating(str(parse.get("text", ""))) is not None or any(
                frame["flow"] == EMERGENCY for frame in state["stack"]):
            return False
        if _all_clear(parse) or state["slots"].get("stood_down"):
            return True
        if context.in_handoff or self.waiting_step(state["stack"]) is not None:
            # ... or where it is, when its place was only taken from the resident's home
            return parse["intent"]["name"] == EMERGENCY or bool(
                state["slots"].get("place_assumed") and any(
                    e["entity"] == "building" for e in parse.get("entities", [])))
        intent = parse["intent"]["name"]
        if intent == "ticket_cancel" and not _CANCEL_SAID.search(str(parse.get("text", ""))):
            return True  # "邻居帮我关了", "我已经下楼了": news of it, not a withdrawal
        return not (intent in _NOT_ABOUT_THE_EMERGENCY and _sure(parse))

    async def _emergency(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """Run the emergency flow now; a flow it interrupts is kept to be offered back."""
        stack: list[dict[str, Any]] = state["stack"]
        slots: dict[str, Any] = state["slots"]
        self._set_aside(state)
        state.pop("offered", None)  # offered (again) once this emergency is done
        self._start(EMERGENCY, context.parse, slots, stack)
        replies: list[Reply] = []
        state["ran"] = await self._advance(stack, slots, context, replies)
        self._offer_back(state, replies)
        return replies

    def _offer(self, state: dict[str, Any], intent: str, parse: Mapping[str, Any]) -> None:
        """``intent``'s flow for ``parse``, kept as an offer that a yes begins
        (``_offer_answered``)."""
        stack: list[dict[str, Any]] = []
        kept: dict[str, Any] = {}
        self._start(intent, parse, kept, stack)
        state.update(interrupted={"stack": stack, "slots": kept}, offered=True)

    @staticmethod
    def _set_aside(state: dict[str, Any]) -> bool:
        """Keep the flow on (if any) to be offered back once what interrupts it is done."""
        stack, slots = state["stack"], state["slots"]
        if stack:
            state["interrupted"] = {"stack": [dict(frame) for frame in stack],
                                    "slots": {k: slots[k] for k in FLOW_SLOTS if k in slots}}
        return bool(stack)

    def _ask_if_emergency(self, state: dict[str, Any], context: Context,
                          slots: dict[str, Any]) -> list[Reply]:
        """An emergency the NLU is not sure of: ask before alerting anyone."""
        check = {"text": context.parse.get("text", ""),
                 "entities": list(context.parse.get("entities", []))}
        # "2号楼大门口有个大坑", read as a doubtful emergency and next as a repair: if it is
        # no emergency, it is still a report to file, not to drop; a repair when the words
        # name what is wrong but read next as something else (a smoke alarm, as a question).
        runner_up = next((r["name"] for r in context.parse.get("intent_ranking", [])
                          if r["name"] != EMERGENCY), None)
        if runner_up not in REPORTS and any(e["entity"] == "category"
                                            for e in check["entities"]):
            runner_up = "report_repair"
        if runner_up in REPORTS and not state["stack"]:
            check["report"] = runner_up
        state["emergency_check"] = check
        return [self.say("utter_confirm_emergency", slots)]

    async def _amended(self, waiting: Step, context: Context,
                       slots: dict[str, Any]) -> list[Reply]:
        """What is wrong, said again differently before the report is filed: the words join
        the report (its kind too, if they tell it), and the question is asked again."""
        text = str(context.parse.get("text", "")).strip()
        slots["report_text"] = f"{slots.get('report_text') or ''} {text}".strip()
        category = next((e["value"] for e in context.parse.get("entities", [])
                         if e["entity"] == "category"), None)
        if category is not None and category != "other":
            slots["category"] = category
        replies = [self.say("utter_report_amended", slots, report=_quote(text))]
        await self._ask(waiting, slots, context, replies)
        return replies

    @staticmethod
    def _places_the_report(asked: Step | None, stack: list[dict[str, Any]],
                           parse: Mapping[str, Any]) -> bool:
        """A place for the report just filed: said as a correction or an afterthought
        ("不对，是5号楼", "对了 是2单元301"), or, at its contact question, on its own; with no
        phone number in it (that answers the question)."""
        entities = {e["entity"] for e in parse.get("entities", [])}
        text = str(parse.get("text", ""))
        if not entities & danger.PLACE_ENTITIES or "phone" in entities:
            return False
        if asked is None:
            return bool(_CORRECTION.search(text) or _ADDITION.search(text)) \
                or _only_a_place(parse)
        return asked.optional and stack[-1]["flow"] in REPORTS and bool(
            _CORRECTION.search(text) or _ADDITION.search(text)
            or parse["intent"]["name"] in _PLACE_ONLY or not _sure(parse))

    @staticmethod
    def _places_the_doubt(state: dict[str, Any], parse: Mapping[str, Any]) -> bool:
        """"就在3号楼" to "is this a danger now?": where it is, but no yes. The place stays
        with the doubtful report (never taken for a home address) and the question is asked
        again; no request of its own, no cancel words."""
        found = [e for e in parse.get("entities", []) if e["entity"] in danger.PLACE_ENTITIES]
        if not found or _declines(parse) or (
                parse["intent"]["name"] not in _PLACE_ONLY and _sure(parse)):
            return False
        check = state["emergency_check"]
        check["entities"] = [*check["entities"], *found]
        return True

    async def _doubt_answered(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """The answer to "is this a danger now?" when it is no yes: where it is ("就在3号楼",
        kept with the report), or a question of safety ("要不要关总阀", answered with what to
        do), gets the question again, spelt out, once; "I don't know", or a third answer that is
        neither, files the report for the grid member with what to do should it turn
        dangerous, never round in circles and never dropped. "no", and anything else, as
        ``_emergency_denied``."""
        check = state["emergency_check"]
        parse = context.parse
        text = str(parse.get("text", ""))
        placed = self._places_the_doubt(state, parse)
        asks = not placed and not _declines(parse) and asks_what_to_do(text)
        hedges = not (placed or asks) and unsure(text) and not _CANCEL.search(text)
        if not (placed or asks or hedges):
            return await self._emergency_denied(state, context)
        slots = state["slots"]
        replies: list[Reply] = []
        if asks:
            await self.run_action("action_safety_advice", slots, context, replies)
        if hedges or check.get("asked_again"):
            more = after_hedge(text) if hedges else ""
            if len(more) > _A_FEW_WORDS:  # "不知道 一直滴滴响": more of what is wrong
                check["text"] = f"{check['text']} {more}".strip()
            return [*replies, *await self._file_doubt(state, context)]
        check["asked_again"] = True
        return [*replies, self.say("utter_confirm_emergency_again", slots)]

    async def _file_doubt(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """A danger nobody could confirm: no alert, but a report for the grid member to look
        at (the report it also read as, else a repair); a flow it interrupts is offered back."""
        check = state.pop("emergency_check")
        stack: list[dict[str, Any]] = state["stack"]
        slots: dict[str, Any] = state["slots"]
        if "interrupted" not in state and self._set_aside(state):
            state.pop("offered", None)
        replies = [self.say("utter_emergency_doubt_filed", slots)]
        self._start(check.get("report") or "report_repair",
                    {"text": check["text"], "entities": check["entities"]}, slots, stack)
        state["ran"] = await self._advance(stack, slots, context, replies)
        self._offer_back(state, replies)
        return replies

    async def _emergency_denied(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """The answer to "is this an emergency?" when it is not yes: "no" is acknowledged and
        the question that was waiting is asked again; anything else is handled as usual."""
        check = state.pop("emergency_check")
        over = _all_clear(context.parse)  # "找到了 是锅烧干了 没事了": a no
        if not _declines(context.parse) and not over:
            if not check.get("asked_again"):
                # Another matter answered first ("确定撤销"): handled as usual, then the
                # danger is asked about once more rather than dropped unseen.
                state["emergency_recheck"] = {**check, "asked_again": True}
            return []
        slots = state["slots"]
        report = None if over else check.get("report")
        if report is not None and not state["stack"]:
            # No danger, but still something wrong: offered as the report it also read as,
            # filed on a yes (the offer of an interrupted flow, ``_offer_answered``).
            self._offer(state, report, {"text": check["text"], "entities": check["entities"]})
            return [self.say("utter_emergency_not_confirmed_offer", slots,
                             flow_name=self.responses.label("flow", report, slots["language"]),
                             report=_quote(check["text"]))]
        replies = [self.say("utter_emergency_not_confirmed", slots)]
        waiting = self.waiting_step(state["stack"])
        if waiting is not None:
            await self._ask(waiting, slots, context, replies)
        return replies

    def moves_on(self, parse: Mapping[str, Any]) -> bool:
        """Whether a message at an optional question plainly asks for something else: a
        confident request (not small talk, not a button answering the question) with none of
        the answer's own signs (a phone number in a name-and-phone answer)."""
        intent = parse["intent"]["name"]
        return intent in self.flows and intent not in _SMALL_TALK and _sure(parse) and not any(
            e["entity"] == "phone" for e in parse.get("entities", []))

    @staticmethod
    def _withdraws_report(stack: list[dict[str, Any]], parse: Mapping[str, Any]) -> bool:
        """A withdrawal ("取消报修", "cancel my report") with no ticket named, said while a
        repair or complaint is on."""
        return bool(stack) and stack[-1]["flow"] in REPORTS \
            and parse["intent"]["name"] == "ticket_cancel" and _sure(parse) \
            and not any(e["entity"] == "ticket_id" for e in parse.get("entities", []))

    async def _heard_about_the_emergency(self, state: dict[str, Any], waiting: Step,
                                         context: Context, replies: list[Reply]) -> bool:
        """Words at "where is it?" that name no building (actions: ``EmergencyWords``): the
        home they point at answers it; an all-clear ends the question; anything else was
        passed on, and the question waits without being asked again."""
        slots = state["slots"]
        await self.run_action("action_emergency_words", slots, context, replies)
        if slots.get(waiting.name) is not None:  # "在厨房": at home
            state["stack"][-1]["step"] += 1
            if waiting.validate:
                await self.run_action(waiting.validate, slots, context, replies)
            state["ran"] = await self._advance(state["stack"], slots, context, replies)
            return True
        if not slots.pop("taken", False):
            return False
        if slots.pop("place_settled", False):  # an all-clear, or where it is in words
            state["stack"].clear()
            self._clear_flow_slots(slots)
            self._offer_back(state, replies)
        return True

    @staticmethod
    def _signs_off(stack: list[dict[str, Any]], parse: Mapping[str, Any]) -> bool:
        """"先这样吧 拜拜" at a question, or thanks and nods a second time in a row: the
        resident is done with it, and asking again would only go round in circles."""
        intent = parse["intent"]["name"]
        if intent == "goodbye" and _sure(parse):
            return True
        if intent not in _SMALL_TALK or not _sure(parse):
            return False
        stack[-1]["small_talk"] = stack[-1].get("small_talk", 0) + 1
        return bool(stack[-1]["small_talk"] >= 2)

    def _cancelled(self, state: dict[str, Any], waiting: Step,
                   said: str = "utter_flow_cancelled") -> list[Reply]:
        """Cancel words at a question end its flow (``said`` there). A question asked once
        the flow's work is done (where an emergency is: its ticket and alerts stand) says its
        own ``on_cancel``; what an emergency interrupted is then offered back."""
        slots: dict[str, Any] = state["slots"]
        state["stack"].clear()
        self._clear_flow_slots(slots)
        replies = [self.say(waiting.on_cancel or said, slots)]
        self._offer_back(state, replies)
        return replies

    def _offer_back(self, state: dict[str, Any], replies: list[Reply]) -> None:
        """Once the emergency is done, offer back what it interrupted, never resuming it
        silently: "刚才您在报修…，还要继续吗？"."""
        if state["stack"] or "interrupted" not in state or state.get("offered"):
            return
        saved = state["interrupted"]
        language = state["slots"].get("language", "zh")
        flow = saved["stack"][0]["flow"]
        name = self.responses.label("flow", flow, language)
        report = str(saved["slots"].get("report_text") or "")
        report = "" if report.startswith("/") else report  # a command or button, not words
        replies.append(self.say(
            "utter_resume_offer", state["slots"],
            flow_name=name if name != flow else self.responses.label("flow", "other", language),
            report=_quote(report)))
        state["offered"] = True

    async def _offer_answered(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """Carry on with the interrupted flow (yes, or a direct answer to its question), set
        it aside (no), or let the offer lapse when the resident moves on."""
        saved = state.pop("interrupted", None)
        if saved is None:
            return []
        stack: list[dict[str, Any]] = state["stack"]
        slots: dict[str, Any] = state["slots"]
        parse = context.parse
        text = parse.get("text", "")
        if _declines(parse):
            return [self.say("utter_resume_declined", slots)]
        waiting = self.waiting_step(saved["stack"])
        # A confirm step is asked again rather than answered by a yes to this offer.
        answers = waiting is not None and waiting.kind == "collect" and not waiting.from_text \
            and self._fill(waiting, parse, dict(slots))
        if not (answers or _CARRY_ON.search(text) or (
                parse["intent"]["name"] == "affirm" and _sure(parse))):
            return []  # moved on: the message is handled as usual
        stack[:] = saved["stack"]
        self._clear_flow_slots(slots)
        slots.update(saved["slots"])
        if answers:
            return []  # the waiting question takes this message as its answer
        replies: list[Reply] = []
        state["ran"] = await self._advance(stack, slots, context, replies)
        return replies

    # ----------------------------------------------------------------------------------------

    def _start(self, intent: str, parse: Mapping[str, Any], slots: dict[str, Any],
               stack: list[dict[str, Any]], unsure: bool = False) -> None:
        """Begin ``intent``'s flow; ``unsure`` when a doubtful reading begins it: a plain
        request at any of its questions then leaves it for that request."""
        self._clear_flow_slots(slots)
        slots["flow_intent"] = intent
        slots["report_text"] = parse.get("text", "")
        for entity in parse.get("entities", []):
            if entity["entity"] in ENTITY_SLOTS:
                slots[entity["entity"]] = entity["value"]
        stack[:] = [{"flow": intent, "step": 0, **({"unsure": True} if unsure else {})}]

    async def _advance(self, stack: list[dict[str, Any]], slots: dict[str, Any],
                       context: Context, replies: list[Reply]) -> str | None:
        """Run the flow on top of ``stack`` until it asks something or ends; the name of the
        last flow run (after a link, the linked one), None when there was none to run."""
        ran: str | None = None
        while stack:
            frame = stack[-1]
            ran = str(frame["flow"])
            flow = self.flows[frame["flow"]]
            if frame["step"] >= len(flow.steps):
                stack.pop()
                if stack:  # back to an interrupted question: ask it again
                    waiting = self.waiting_step(stack)
                    if waiting is not None:
                        await self._ask(waiting, slots, context, replies)
                        return ran
                continue
            step = flow.steps[frame["step"]]
            if step.kind == "confirm":  # asked every time: a yes is never carried over
                if step.unless and slots.get(step.unless) is not None:
                    frame["step"] += 1  # nothing that needs asking
                    continue
                if step.about and slots.get(step.about) is None:
                    frame["step"] = len(flow.steps)  # nothing was chosen: nothing to confirm
                    continue
                await self._ask(step, slots, context, replies)
                return ran
            if step.kind == "collect":
                if step.unless and slots.get(step.unless) is not None:
                    frame["step"] += 1  # answered another way ("北门口有人晕倒了": a place)
                    continue
                if slots.get(step.name) is None:
                    frame["asked"] = True
                    await self._ask(step, slots, context, replies)
                    return ran
                frame["step"] += 1
                if step.validate:
                    await self.run_action(step.validate, slots, context, replies)
                    if slots.get(step.name) is None:
                        frame["step"] -= 1
                        return ran
                continue
            if step.name == OPENS_TICKET and frame.get("unsure") and not frame.get("asked"):
                frame["held"] = True  # a doubtful reading, and nothing asked: offered first
                return ran
            frame["step"] += 1
            if step.unless and slots.get(step.unless) is not None:
                continue
            if step.kind == "utter":
                replies.append(self.say(step.name, slots))
            elif step.kind == "action":
                if await self.run_action(step.name, slots, context, replies):
                    stack.clear()  # the action ended the conversation (rasa_sdk Restarted)
            elif step.kind == "link":
                stack[-1] = {"flow": step.name, "step": 0}
        self._clear_flow_slots(slots)
        return ran

    async def _ask(self, step: Step, slots: dict[str, Any], context: Context,
                   replies: list[Reply]) -> None:
        """Ask for a slot: an action when the choices depend on data, else the response."""
        asked = len(replies)
        if step.ask_action:
            await self.run_action(step.ask_action, slots, context, replies)
        else:
            replies.append(self.say(step.ask or "utter_default", slots))
        for reply in replies[asked:]:
            reply.asks = step.name

    def position(self, state: Mapping[str, Any]) -> Position | None:
        """Where the last ``handle`` left ``state``: the question waiting, else the flow that
        ran to its end in that turn; None when no flow ran (a reply outside any flow)."""
        stack = state.get("stack") or []
        waiting = self.waiting_step(stack)
        if waiting is not None:
            return Position(flow=str(stack[-1]["flow"]), step=waiting.name)
        ran = state.get("ran")
        return Position(flow=ran, step=DONE) if not stack and isinstance(ran, str) else None

    def waiting_step(self, stack: list[dict[str, Any]]) -> Step | None:
        if not stack:
            return None
        frame = stack[-1]
        steps: tuple[Step, ...] = (self.flows[frame["flow"]].steps if frame["flow"] in self.flows
                                   else ())
        index = int(frame["step"])
        if index < len(steps) and steps[index].kind in ("collect", "confirm"):
            return steps[index]
        return None

    @staticmethod
    def _fill(step: Step, parse: dict[str, Any], slots: dict[str, Any]) -> bool:
        if step.kind == "confirm":
            return _confirms(parse)
        slot = step.name
        if step.from_text:
            # A button may carry the answer as an entity (/choose{"audience": "grid:G2"}),
            # so that a code-like value never passes for a message in some language.
            chosen = [e["value"] for e in parse.get("entities", []) if e["entity"] == slot]
            if chosen:
                slots[slot] = str(chosen[0])
                return True
            text = str(parse.get("text", "")).strip()
            if not (step.verbatim or step.validate) and _sure(parse) \
                    and parse["intent"]["name"] in _NO_CONTENT:
                return False  # "ok thanks" is no suggestion (a validated answer is told why)
            if text:
                slots[slot] = text
            return bool(text)
        found = {e["entity"]: e["value"] for e in parse.get("entities", [])
                 if e["entity"] in ENTITY_SLOTS}
        if slot == "building" and slot not in found:
            said = str(parse.get("text", ""))
            bare = _BARE_NUMBER.match(said) or _NUMBER_NOT_THAT.search(said)
            if bare:
                found["building"] = bare.group(1)
        if slot not in found:
            return False
        for name in (("building", "unit", "room") if slot == "building" else (slot,)):
            if name in found:
                slots[name] = found[name]
        return True

    @staticmethod
    def _clear_flow_slots(slots: dict[str, Any]) -> None:
        for name in (*FLOW_SLOTS, "emergency_ticket"):
            slots.pop(name, None)

    def say(self, response: str, slots: Mapping[str, Any], **values: Any) -> Reply:
        rendered = self.responses.render(response, slots.get("language", "zh"),
                                         **{**slots, **values})
        return Reply(rendered.text, rendered.buttons)

    async def _taken(self, action: str, slots: dict[str, Any], context: Context,
                     replies: list[Reply]) -> bool:
        """Run a mode's action; True if it dealt with the message (its ``taken`` slot)."""
        await self.run_action(action, slots, context, replies)
        return bool(slots.pop("taken", False))

    async def run_action(self, name: str, slots: dict[str, Any], context: Context,
                          replies: list[Reply]) -> bool:
        """Run an action, apply its slot events and keep its replies; True if it asked to
        end the conversation (a ``restart`` event)."""
        tracker = {"sender_id": context.sender, "slots": dict(slots),
                   "latest_message": context.parse, "events": [], "paused": False,
                   "followup_action": None, "active_loop": {}, "latest_action_name": None}
        result = await self.actions(name, tracker)
        for event in result["events"]:
            if event.get("event") == "slot":
                slots[event["name"]] = event["value"]
        for message in result["responses"]:
            language = message.get("language") or slots.get("language", "zh")
            if message.get("response"):
                values = {k: v for k, v in message.items() if k not in ("text", "buttons")}
                rendered = self.responses.render(message["response"], language,
                                                 **{**slots, **values})
                buttons = message.get("buttons") or rendered.buttons
                replies.append(Reply(rendered.text, buttons))
            elif message.get("text"):
                replies.append(Reply(message["text"], message.get("buttons") or []))
        return any(event.get("event") == "restart" for event in result["events"])
