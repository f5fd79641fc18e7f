"""``python -m bot`` runs the ``linli`` command."""

from bot.cli import main

main()
