"""``python -m bot`` is the ``trypost`` command."""

from bot.cli import main

main()
