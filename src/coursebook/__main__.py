"""``python -m coursebook``."""

from .app.cli import run

run()
