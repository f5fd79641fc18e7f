"""/help, "帮助", "what can you do": what this person can do here, by their roles, in their
own language."""

from __future__ import annotations

import re

from actions.base import Events, LinliAction, Turn
from store.models import Role

#: What each working role is told, in this order (a person may hold several roles).
SECTIONS = ((Role.GRID_MEMBER, "utter_help_grid_member"),
            (Role.SUPERVISOR, "utter_help_supervisor"),
            (Role.STREET_CONTACT, "utter_help_street_contact"),
            (Role.STAFF, "utter_help_staff"),
            (Role.OPERATOR, "utter_help_operator"))


#: "你是真人吗", "r u a real person", "who made you": a question about Linli itself, answered
#: before anyone is called over or the question is called out of scope.
_ABOUT_ME = re.compile(
    r"你是(?:不是)?(?:真人|真的人|机器人|人工智能|ai|人还是机器|谁)|你是人吗|是(?:不是)?机器人|"
    r"我(?:是)?在跟(?:真人|机器人|机器)(?:聊|说)|谁(?:开发|做|写|造|编)的你|你是谁(?:开发|做|写|造)的|"
    r"你(?:叫|的名字(?:是|叫)?|名字(?:是|叫)?)(?:什么|啥|神马)|(?:怎么|咋)称呼你|"
    r"\bwhat(?:'?s| is) (?:ur|your) name\b|\bwhat (?:are|r) (?:u|you) called\b|"
    r"\bdo (?:u|you) have a name\b|"
    r"\b(?:r|are) (?:u|you) (?:a |an )?(?:real|human|person|bot|robot|ai|machine)\b|"
    r"\bwho (?:made|built|created|programmed|wrote|designed) (?:u|you)\b|"
    r"\bis (?:this|it) a (?:bot|robot|real person|human)\b|\bwho are (?:u|you)\b|"
    r"\bam i (?:talking|chatting|speaking) (?:to|with) a (?:bot|robot|human|real person|person)\b",
    re.IGNORECASE)


#: A person asked for in so many words ("are you real? I want a person"): called over.
_WANTS_A_PERSON = re.compile(r"转人工|人工客服|找(?:个)?(?:真)?人|要(?:找|跟)?(?:真人|人工)|"
                             r"找(?:一下)?(?:你们)?(?:的)?(?:主任|书记|领导|负责人|工作人员|网格员)|"
                             r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |some)(?:one|body|person|"
                             r"human|real)|\b(?:want|need) (?:a |an )?(?:human|person|real)\b",
                             re.IGNORECASE)


#: A resident fed up with Linli ("问三遍都听不懂", "this bot is useless").
_FED_UP = re.compile(r"没用|破机器人|笨|听不懂|答非所问|智障|费劲|不靠谱|摆设|要你何用|真智能|"
                     r"垃圾机器人|"
                     r"\b(?:useless|stupid|dumb|pointless|not helpful|waste of time|"
                     r"(?:doesn'?t|don'?t|never) understand)\b", re.IGNORECASE)


def wants_a_person(text: str) -> bool:
    """Whether ``text`` asks for a person in so many words ("能不能找个真人", "talk to a human")."""
    return bool(_WANTS_A_PERSON.search(text))


def asks_about_me(text: str) -> bool:
    """Whether ``text`` asks what Linli is (a person? a bot? made by whom?), and not for a
    person as well."""
    return bool(_ABOUT_ME.search(text)) and not wants_a_person(text)


def help_responses(roles: set[Role]) -> list[str]:
    """The responses that explain Linli to someone with ``roles``."""
    if Role.ADMIN in roles:
        roles = roles | {Role.OPERATOR}  # an admin works in the console too
    work = [response for role, response in SECTIONS if role in roles]
    if Role.RESIDENT in roles or not work:
        return [*work, "utter_bot_help"]
    return [*work, "utter_help_also_resident"]


class Help(LinliAction):
    """The help for the person's roles: for a resident in the language they ask in; for a
    command (/help carries no language) and for those who work here (their instructions are
    long), in their saved language."""

    def name(self) -> str:
        return "action_help"

    def act(self, turn: Turn) -> Events:
        roles = {role.role for role in turn.person.roles}
        if str(turn.tracker.latest_message.get("text", "")).startswith("/") \
                or roles - {Role.RESIDENT}:  # a resident's words say their language
            turn.language = turn.person.language or turn.language
        said = str(turn.tracker.latest_message.get("text", ""))
        if asks_about_me(said) and not roles - {Role.RESIDENT}:
            turn.say("utter_about_me")  # "你是机器人吗", "你叫啥": who, and what to ask
            return []
        if _FED_UP.search(said):
            turn.say("utter_sorry_not_helped")  # "这破机器人有什么用": sorry first
        for response in help_responses(roles):
            turn.say(response)
        return []
