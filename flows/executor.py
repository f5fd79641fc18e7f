"""Calling actions through the rasa_sdk protocol: in-process by default."""

from __future__ import annotations

from typing import Any, Protocol


class ActionCaller(Protocol):
    async def __call__(self, name: str, tracker: dict[str, Any]) -> dict[str, Any]:
        """Run action ``name`` on ``tracker``; return {"events": [...], "responses": [...]}."""
        ...


class InProcessActions:
    """rasa_sdk's own ActionExecutor with the ``actions`` package registered."""

    def __init__(self, package: str = "actions") -> None:
        from rasa_sdk.executor import ActionExecutor

        self._executor = ActionExecutor()
        self._executor.register_package(package)

    async def __call__(self, name: str, tracker: dict[str, Any]) -> dict[str, Any]:
        result = await self._executor.run({"next_action": name, "sender_id": tracker["sender_id"],
                                           "tracker": tracker, "domain": {}})
        if result is None:
            return {"events": [], "responses": []}
        return {"events": result.events, "responses": result.responses}
