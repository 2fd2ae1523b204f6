"""The dates a build stamps into its outputs, chosen so rebuilds are byte-identical.

The book's own ``updated`` (or ``published``) date is the modification date of the publication.
A book without dates takes ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) and,
failing that, the current time — the only case where two builds can differ.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..model import Metadata


@dataclass(frozen=True)
class BuildDates:
    modified: dt.datetime
    """When the publication was last modified (UTC)."""
    created: dt.datetime
    """When it was first published (UTC)."""
    reproducible: bool
    """False only when the date came from the clock."""

    @property
    def zip_time(self) -> tuple[int, int, int, int, int, int]:
        """The time of every entry in the EPUB's zip (zip can't store dates before 1980)."""
        when = max(self.modified, dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
        return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def build_dates(meta: Metadata, environ: Mapping[str, str] | None = None) -> BuildDates:
    environ = os.environ if environ is None else environ
    if meta.updated or meta.published:
        modified = _midnight(meta.updated or meta.published)  # type: ignore[arg-type]
        created = _midnight(meta.published or meta.updated)  # type: ignore[arg-type]
        return BuildDates(modified, created, True)
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        return BuildDates(when, when, True)
    now = dt.datetime.now(tz=dt.UTC).replace(microsecond=0)
    return BuildDates(now, now, False)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
