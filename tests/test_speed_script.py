"""benchmarks/speed.py's own arithmetic: the medians of several rounds, and a log read back
(the runs themselves are measured by running it; tests never time anything)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def speed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["speed"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_several_rounds_keep_each_steps_median_and_its_largest_peak() -> None:
    bench = speed()
    run = bench.Run
    rounds = [
        {"a": run(12.0, 20.0, 500.0), "b": run(1.0, 1.0, 100.0)},
        {"a": run(10.0, 19.0, 620.0), "b": run(3.0, 3.0, 90.0)},
        {"a": run(15.0, 25.0, 510.0), "b": run(2.0, 2.5, 95.0)},
    ]
    assert bench.medians(rounds) == {"a": run(12.0, 20.0, 620.0), "b": run(2.0, 2.5, 100.0)}
    assert bench.medians(rounds[:2])["a"] == run(10.0, 19.0, 620.0)  # the lower middle


def test_a_log_of_several_rounds_is_read_back_as_its_medians(tmp_path: Path) -> None:
    bench = speed()
    log = tmp_path / "run.log"
    log.write_text(
        "\n40 lessons, round 1 of 2: 110,943 words, 1,118 citations, 320 sources\n"
        "    pandoc EPUB                                   3.80s    3.80s CPU    268 MB\n"
        "\n40 lessons: the median of 2 rounds\n"
        "  pandoc EPUB                                     3.90 s wall    3.85 s CPU    270 MB\n",
        encoding="utf-8",
    )
    assert bench.results_from_log(log) == {40: {"pandoc EPUB": bench.Run(3.90, 3.85, 270.0)}}
