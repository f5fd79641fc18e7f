"""Builds a Rasa 3.6 project that runs Linli's conversations with Linli's actions, for the
side-by-side REST benchmark. Rasa Open Source has no flows, so each flow becomes a rule, and
the building question a form. Written into a scratch folder; nothing here is committed data.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"

SIMPLE = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank",
          "bot_help": "utter_bot_help", "out_of_scope": "utter_out_of_scope",
          "affirm": "utter_default", "deny": "utter_flow_cancelled"}
ACTIONS = {"report_emergency": "action_emergency", "ticket_status": "action_ticket_status",
           "ticket_cancel": "action_cancel_ticket", "event_list": "action_list_events",
           "event_signup": "action_event_signup", "event_cancel": "action_event_cancel",
           "ask_faq": "action_answer_faq", "request_human": "action_request_human",
           "set_language": "action_set_language", "make_suggestion": "action_answer_faq",
           "register_household": "action_register_household"}
REPORTS = ("report_repair", "file_complaint")


def domain() -> dict[str, Any]:
    document = yaml.safe_load((CONFIG / "domain.yml").read_text(encoding="utf-8"))
    result: dict[str, Any] = copy.deepcopy(document)
    result["slots"]["language"]["initial_value"] = "zh"
    result["slots"]["building"]["mappings"] = [{"type": "from_entity", "entity": "building"}]
    result["forms"] = {"building_form": {"required_slots": ["building"]}}
    result["actions"] = sorted(set(ACTIONS.values()) | {"action_open_ticket"})
    return result


def rules() -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for intent, response in SIMPLE.items():
        items.append({"rule": f"{intent}", "steps": [{"intent": intent},
                                                     {"action": response}]})
    for intent, action in ACTIONS.items():
        items.append({"rule": f"{intent}", "steps": [{"intent": intent}, {"action": action}]})
    for intent in REPORTS:
        items.append({"rule": f"{intent} asks where", "steps": [
            {"intent": intent}, {"action": "building_form"},
            {"active_loop": "building_form"}]})
    items.append({"rule": "report once the building is known", "condition": [
        {"active_loop": "building_form"}], "steps": [
        {"action": "building_form"}, {"active_loop": None},
        {"slot_was_set": [{"requested_slot": None}]}, {"action": "action_open_ticket"}]})
    return {"version": "3.1", "rules": items}


def write(folder: Path, action_url: str) -> None:
    """Domain, rules, config (RulePolicy; DIET with few epochs — latency, not accuracy, is
    compared here), endpoints and credentials."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "domain.yml").write_text(yaml.safe_dump(domain(), allow_unicode=True),
                                       encoding="utf-8")
    (folder / "rules.yml").write_text(yaml.safe_dump(rules(), allow_unicode=True),
                                      encoding="utf-8")
    config = yaml.safe_load((CONFIG / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["epochs"] = 10
        if component["name"] == "JiebaTokenizer":
            component["dictionary_path"] = str(REPO / "nlu" / "resources")
    config["policies"] = [{"name": "RulePolicy"}]
    (folder / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (folder / "endpoints.yml").write_text(yaml.safe_dump(
        {"action_endpoint": {"url": action_url}}), encoding="utf-8")
    (folder / "credentials.yml").write_text("rest:\n", encoding="utf-8")
