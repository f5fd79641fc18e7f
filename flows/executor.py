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


class HttpActions:
    """An action server speaking rasa_sdk's webhook protocol (``python -m rasa_sdk``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self._url = url
        self._timeout = timeout

    async def __call__(self, name: str, tracker: dict[str, Any]) -> dict[str, Any]:
        import httpx

        # A client per call: callers such as the shell run each turn in a new event loop.
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.post(self._url, json={
                "next_action": name, "sender_id": tracker["sender_id"], "tracker": tracker,
                "domain": {}, "version": "3.6.0"})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return {"events": result.get("events", []), "responses": result.get("responses", [])}
