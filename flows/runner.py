"""The flow runner: one state per (chat, person), slots filled from entities, only what is
missing asked, cancel and interruptions handled, actions called through the rasa_sdk protocol."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.responses import Responses
from flows.definitions import Flow, Step
from flows.executor import ActionCaller

#: Slots a flow may take from the NLU's entities.
ENTITY_SLOTS = ("building", "unit", "room", "category", "ticket_id")
#: Slots flows fill from whole answers; cleared with the flow that asked for them.
FREE_TEXT_SLOTS = ("suggestion", "audience", "schedule", "notice_zh", "notice_en")
#: Intents that may interrupt a question in progress (then the question is asked again).
INTERRUPTING = frozenset({"report_emergency", "ticket_status", "request_human", "bot_help",
                          "set_language", "ticket_cancel", "queue", "accept", "progress",
                          "resolve", "note", "escalate", "rate", "reply"})
_CANCEL = re.compile(r"^\s*(算了|不用了|取消|不报了|cancel|stop|never ?mind|forget it)\b",
                     re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*(号楼|栋|幢|号)?\s*$")
STALE_AFTER = dt.timedelta(minutes=30)
INTERRUPT_CONFIDENCE = 0.6


@dataclass(slots=True)
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

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


class FlowRunner:
    """Advances a conversation state by one user message."""

    def __init__(self, flows: Mapping[str, Flow], actions: ActionCaller,
                 responses: Responses) -> None:
        self.flows = flows
        self.actions = actions
        self.responses = responses

    async def handle(self, state: dict[str, Any], context: Context) -> list[Reply]:
        """Update ``state`` in place for one message and return the replies."""
        replies: list[Reply] = []
        updated = state.get("updated")
        if updated and context.now - dt.datetime.fromisoformat(updated) > STALE_AFTER:
            state.clear()
        state["updated"] = context.now.isoformat()
        stack: list[dict[str, Any]] = state.setdefault("stack", [])
        slots: dict[str, Any] = state.setdefault("slots", {})
        slots.update(language=context.language, person_id=context.person_id)
        intent = context.parse["intent"]["name"]
        confidence = float(context.parse["intent"].get("confidence", 0.0))

        waiting = self.waiting_step(stack)
        if waiting is not None:
            # A free-text answer (a suggestion, a notice) is not read as "no": only cancel
            # words end the flow there.
            if _CANCEL.search(context.parse.get("text", "")) or (
                    intent == "deny" and confidence >= INTERRUPT_CONFIDENCE
                    and not waiting.from_text):
                stack.clear()
                self._clear_flow_slots(slots)
                return [self.say("utter_flow_cancelled", slots)]
            if self._fill(waiting, context.parse, slots):
                stack[-1]["step"] += 1
                if waiting.validate:
                    await self.run_action(waiting.validate, slots, context, replies)
                    if slots.get(waiting.name) is None:
                        stack[-1]["step"] -= 1
                        return replies
            elif intent in INTERRUPTING and confidence >= INTERRUPT_CONFIDENCE \
                    and intent in self.flows:
                stack.append({"flow": intent, "step": 0})
            else:
                replies = []
                await self._ask(waiting, slots, context, replies)
                return replies
        elif intent in self.flows:
            self._start(intent, context, slots, stack)
        else:
            return [self.say("utter_default", slots)]
        await self._advance(stack, slots, context, replies)
        return replies

    def _start(self, intent: str, context: Context, slots: dict[str, Any],
               stack: list[dict[str, Any]]) -> None:
        self._clear_flow_slots(slots)
        slots["flow_intent"] = intent
        slots["report_text"] = context.parse.get("text", "")
        for entity in context.parse.get("entities", []):
            if entity["entity"] in ENTITY_SLOTS:
                slots[entity["entity"]] = entity["value"]
        stack[:] = [{"flow": intent, "step": 0}]

    async def _advance(self, stack: list[dict[str, Any]], slots: dict[str, Any],
                       context: Context, replies: list[Reply]) -> None:
        while stack:
            frame = stack[-1]
            flow = self.flows[frame["flow"]]
            if frame["step"] >= len(flow.steps):
                stack.pop()
                if stack:  # back to an interrupted question: ask it again
                    waiting = self.waiting_step(stack)
                    if waiting is not None:
                        await self._ask(waiting, slots, context, replies)
                        return
                continue
            step = flow.steps[frame["step"]]
            if step.kind == "collect":
                if slots.get(step.name) is None:
                    await self._ask(step, slots, context, replies)
                    return
                frame["step"] += 1
                if step.validate:
                    await self.run_action(step.validate, slots, context, replies)
                    if slots.get(step.name) is None:
                        frame["step"] -= 1
                        return
                continue
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

    async def _ask(self, step: Step, slots: dict[str, Any], context: Context,
                   replies: list[Reply]) -> None:
        """Ask for a slot: an action when the choices depend on data, else the response."""
        if step.ask_action:
            await self.run_action(step.ask_action, slots, context, replies)
        else:
            replies.append(self.say(step.ask or "utter_default", slots))

    def waiting_step(self, stack: list[dict[str, Any]]) -> Step | None:
        if not stack:
            return None
        frame = stack[-1]
        steps: tuple[Step, ...] = (self.flows[frame["flow"]].steps if frame["flow"] in self.flows
                                   else ())
        index = int(frame["step"])
        if index < len(steps) and steps[index].kind == "collect":
            return steps[index]
        return None

    @staticmethod
    def _fill(step: Step, parse: dict[str, Any], slots: dict[str, Any]) -> bool:
        slot = step.name
        if step.from_text:
            # A button may carry the answer as an entity (/choose{"audience": "grid:G2"}),
            # so that a code-like value never passes for a message in some language.
            chosen = [e["value"] for e in parse.get("entities", []) if e["entity"] == slot]
            if chosen:
                slots[slot] = str(chosen[0])
                return True
            text = str(parse.get("text", "")).strip()
            if text:
                slots[slot] = text
            return bool(text)
        found = {e["entity"]: e["value"] for e in parse.get("entities", [])
                 if e["entity"] in ENTITY_SLOTS}
        if slot == "building" and slot not in found:
            bare = _BARE_NUMBER.match(parse.get("text", ""))
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
        for name in (*ENTITY_SLOTS, *FREE_TEXT_SLOTS, "flow_intent", "report_text"):
            slots.pop(name, None)

    def say(self, response: str, slots: Mapping[str, Any], **values: Any) -> Reply:
        rendered = self.responses.render(response, slots.get("language", "zh"),
                                         **{**slots, **values})
        return Reply(rendered.text, rendered.buttons)

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
