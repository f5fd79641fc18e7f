"""The action tests talk to Linli through the dialogue tests' conversation service."""

from tests.bot.test_dialogues import service

__all__ = ["service"]
