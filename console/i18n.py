"""The console's message catalogue in Chinese and English; a page follows its account's
language (switchable), a missing text falls back to the key so nothing breaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LANGUAGES = ("zh", "en")

# key → (zh, en)
CATALOGUE: dict[str, tuple[str, str]] = {
    "app": ("邻里 · 工作台", "Linli console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码不对。", "Wrong username or password."),
    "slow_down": ("尝试次数太多，请 {seconds} 秒后再试。",
                  "Too many attempts: try again in {seconds} seconds."),
    "forbidden": ("您的账号没有这个权限。", "Your account may not do this."),
    "not_found": ("没有找到。", "Not found."),
    "bad_request": ("请求有误：{detail}", "Something in the request is wrong: {detail}"),
    "language": ("语言", "Language"),
    "home": ("首页", "Home"),
    "conversations": ("对话记录", "Conversations"),
    "review": ("待审队列", "Review queue"),
    "search": ("搜索", "Search"),
    "text_contains": ("文字包含", "Text contains"),
    "intent": ("意图", "Intent"),
    "any": ("全部", "any"),
    "channel": ("渠道", "Channel"),
    "max_confidence": ("置信度不高于", "Confidence at most"),
    "since": ("起始日期", "Since"),
    "until": ("截止日期", "Until"),
    "unanswered": ("未能回答", "Unanswered"),
    "handed_over": ("转人工", "Handed over"),
    "low_confidence": ("低置信度", "Low confidence"),
    "corrected": ("已更正", "Corrected"),
    "direction": ("方向", "Direction"),
    "in": ("居民", "resident"),
    "out": ("邻里", "Linli"),
    "all": ("全部", "all"),
    "filter": ("筛选", "Filter"),
    "clear": ("清除", "Clear"),
    "at": ("时间", "When"),
    "chat": ("会话", "Chat"),
    "text": ("内容", "Text"),
    "confidence": ("置信度", "Confidence"),
    "entities": ("实体", "Entities"),
    "correction": ("更正", "Correction"),
    "next_page": ("下一页 →", "Next page →"),
    "first_page": ("← 第一页", "← First page"),
    "no_messages": ("没有符合条件的消息。", "No messages match."),
    "open": ("打开", "Open"),
    "timeline": ("对话时间线", "Conversation timeline"),
    "flow": ("流程", "Flow"),
    "flow_done": ("已完成", "done"),
    "tickets": ("工单", "Tickets"),
    "replies": ("回复", "Replies"),
    "correct": ("更正这条消息", "Correct this message"),
    "save": ("保存", "Save"),
    "keep": ("保留", "keep"),
    "add_entity": ("添加实体", "Add an entity"),
    "entity": ("实体", "Entity"),
    "start": ("起", "Start"),
    "end": ("止", "End"),
    "value": ("值（可不填）", "Value (optional)"),
    "select_hint": ("在上面的文字里选中一段，起止位置会自动填上。",
                    "Select a span in the text above to fill in start and end."),
    "saved": ("已保存更正。", "Correction saved."),
    "previous": ("原来", "Before"),
    "by": ("更正人", "By"),
    "history": ("更正记录", "Corrections"),
    "bulk": ("批量更正", "Bulk correction"),
    "bulk_hint": ("把本页列出的 {count} 条居民消息都更正为：",
                  "Correct all {count} resident messages listed here as:"),
    "bulk_confirm": ("确认把这 {count} 条消息更正为「{intent}」？",
                     "Correct these {count} messages as “{intent}”?"),
    "bulk_done": ("已更正 {count} 条消息。", "{count} messages corrected."),
    "confirm": ("确认", "Confirm"),
    "cancel": ("取消", "Cancel"),
    "score": ("价值", "Value"),
    "review_hint": ("按更正的价值排序：同一句话已被更正、但仍按旧意图理解的在最前；然后是置信度低、"
                    "前两个意图接近、接近“无关”阈值的消息；已更正的不再列出。",
                    "Ordered by how much a correction would teach: first the same words as a "
                    "corrected message still read the old way (correction pending), then low "
                    "confidence, the top two intents close, out-of-scope near its threshold; "
                    "corrected ones leave the queue."),
    "margin": ("前两名差距", "Top-two margin"),
    "masked_note": ("电话和证件号已隐去。", "Phone and ID numbers are masked."),
    "erased": ("（已删除）", "(erased)"),
    "none": ("无", "none"),
    "welcome": ("欢迎，{user}", "Welcome, {user}"),
    "roles": ("角色", "Roles"),
    "nothing_here": ("您的角色在这里还没有可用的页面。",
                     "There is no page for your roles here yet."),
}


def translate(key: str, language: str, **values: Any) -> str:
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    text = texts[1] if language == "en" else texts[0]
    return text.format(**values) if values else text


def translator(language: str) -> Callable[..., str]:
    """``t(key, **values)`` for templates, in ``language``."""
    def t(key: str, **values: Any) -> str:
        return translate(key, language, **values)

    return t


def choose_language(accept_language: str | None) -> str:
    """Before login: English if the browser prefers it to Chinese, else Chinese."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"
