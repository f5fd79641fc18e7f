"""Linli's custom actions (rasa_sdk). Served in-process by the flow runner, or unchanged by
``python -m rasa_sdk --actions actions``. Importing this package does no work."""
