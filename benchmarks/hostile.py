"""The hostile-book suite's results table: every case of ``benchmarks/hostile_cases.py`` run
with the real command, and what held.

    .venv/bin/python benchmarks/hostile.py              # all cases
    .venv/bin/python benchmarks/hostile.py --only svg   # the cases whose name or group says so

Each case's time is its command's wall time and its memory the child's peak resident size
(``wait4``'s ``ru_maxrss``), both measured from outside; a case over its budget is flagged.
Prints one line per case, the totals, and a last line of JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from the checkout
    sys.path.insert(0, str(ROOT))

from benchmarks.hostile_cases import CASES, Outcome, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the cases whose name or group contains this")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or args.only in f"{c.group} {c.name}"]
    outcomes: list[Outcome] = []
    print("| case | group | held | exit | s | MB | canary | requests |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="coursebook-hostile-") as work:
        for index, case in enumerate(cases):
            outcome = run_case(case, Path(work) / f"case-{index}")
            outcomes.append(outcome)
            print(_row(outcome), flush=True)
    print()
    summary = _summary(outcomes)
    for key, value in summary.items():
        print(f"{key}: {value}")
    failed = [o for o in outcomes if not o.held or _over(o)]
    for outcome in failed:
        print(f"NOT HELD: {outcome.case.name}: {outcome.why}{_budget_note(outcome)}")
    print(json.dumps(summary))
    return 1 if failed else 0


def _over(outcome: Outcome) -> bool:
    case, result = outcome.case, outcome.result
    return result.seconds > case.seconds or result.peak_mb > case.memory_mb


def _budget_note(outcome: Outcome) -> str:
    case, result = outcome.case, outcome.result
    notes = []
    if result.seconds > case.seconds:
        notes.append(f"{result.seconds:.1f} s over its {case.seconds:g} s")
    if result.peak_mb > case.memory_mb:
        notes.append(f"{result.peak_mb:.0f} MB over its {case.memory_mb:g} MB")
    return f" ({'; '.join(notes)})" if notes else ""


def _row(outcome: Outcome) -> str:
    result = outcome.result
    held = "held" if outcome.held and not _over(outcome) else "**NO**"
    return (
        f"| {outcome.case.name} | {outcome.case.group} | {held} | {result.exit} | "
        f"{result.seconds:.1f} | {result.peak_mb:.0f} | {int(outcome.canary)} | "
        f"{outcome.requests} |"
    )


def _summary(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "cases": len(outcomes),
        "held": sum(1 for o in outcomes if o.held and not _over(o)),
        "tracebacks": sum(1 for o in outcomes if o.traceback),
        "canary_outputs": sum(1 for o in outcomes if o.canary),
        "loopback_requests": sum(o.requests for o in outcomes),
        "over_budget": sum(1 for o in outcomes if _over(o)),
    }


if __name__ == "__main__":
    sys.exit(main())
