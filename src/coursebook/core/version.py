"""coursebook's version (read by the build backend; part of every cache key)."""

__version__ = "0.1.0"
