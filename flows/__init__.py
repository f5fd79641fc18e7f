"""Flows: YAML definitions of multi-step conversations and the runner that executes them."""
