"""Reading flows.yml into typed steps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class FlowDefinitionError(ValueError):
    """flows.yml is not valid; the message names the flow and step."""


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # action | utter | collect | confirm | link
    name: str
    ask: str | None = None
    validate: str | None = None
    from_text: bool = False
    ask_action: str | None = None
    unless: str | None = None  # skip the step when this slot is already set
    verbatim: bool = False  # the answer is taken word for word, even if it reads as an emergency
    # What "算了"/"cancel" at this question says instead of "cancelled": for a question asked
    # after the flow's work is done (the ticket stands; only the question is dropped).
    on_cancel: str | None = None
    # A question the resident may pass by: a message that plainly asks for something else
    # drops it and is handled as that request (see FlowRunner.moves_on).
    optional: bool = False
    # A confirm step's subject: with this slot unset (nothing was chosen) the flow ends there.
    about: str | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    description: str = ""


def _step(flow: str, index: int, raw: dict[str, Any]) -> Step:
    for kind in ("action", "utter", "collect", "confirm", "link"):
        if kind in raw:
            if kind == "collect" and "ask" not in raw:
                raise FlowDefinitionError(f"{flow} step {index}: collect needs an `ask`")
            # A confirm step names its question; `ask_action` may ask it with the data.
            ask = str(raw[kind]) if kind == "confirm" else raw.get("ask")
            return Step(kind, str(raw[kind]), ask, raw.get("validate"),
                        bool(raw.get("from_text", False)), raw.get("ask_action"),
                        raw.get("unless"), bool(raw.get("verbatim", False)),
                        raw.get("on_cancel"), bool(raw.get("optional", False)),
                        raw.get("about"))
    raise FlowDefinitionError(f"{flow} step {index}: unknown step {raw!r}")


def load_flows(path: Path) -> dict[str, Flow]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    flows = {name: Flow(name, tuple(_step(name, i, s) for i, s in enumerate(spec["steps"])),
                        spec.get("description", ""))
             for name, spec in document["flows"].items()}
    for flow in flows.values():
        for step in flow.steps:
            if step.kind == "link" and step.name not in flows:
                raise FlowDefinitionError(f"{flow.name}: link to unknown flow {step.name}")
    return flows


def packaged_flows() -> Path:
    return Path(__file__).resolve().parent / "flows.yml"
