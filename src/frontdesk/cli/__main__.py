"""``python -m frontdesk.cli``: the same command as the ``frontdesk`` console script."""

from frontdesk.cli import app

app()
