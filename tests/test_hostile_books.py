"""The hostile-book suite: every case of ``benchmarks/hostile_cases.py`` (leaks, scripts in
SVG, crashes, unchecked images, faults mid-write, and the first round's cases briefly) run
with the real command; each must hold. ``benchmarks/hostile.py`` prints the same cases as a
table, with their time and memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.hostile_cases import CASES, Case, run_case


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_book(case: Case, tmp_path: Path) -> None:
    outcome = run_case(case, tmp_path / "case")
    assert outcome.held, f"{case.what}: {outcome.why}\n{outcome.result.output}"
