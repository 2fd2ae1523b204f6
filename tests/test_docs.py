"""The README stays true to the code: every key of the schemas and every option is documented."""

from __future__ import annotations

import ast

from coursebook.app.cli import _parser
from coursebook.core.codes import CODES
from coursebook.source import schema

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_book_yaml_key_is_in_the_readme_table() -> None:
    for key in schema.BOOK.keys:
        assert f"| `{key.name}` |" in README, key.name


def test_every_front_matter_key_is_documented() -> None:
    for key in schema.FRONT_MATTER.keys:
        assert f"`{key.name}`" in README, key.name


def test_every_option_of_every_command_is_documented() -> None:
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        assert f"coursebook {name}" in README, name
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in README, (name, option)


def codes_in_the_sources() -> set[str]:
    """The code of every problem reported: the third argument of each ``.error(…)`` and
    ``.warning(…)`` call (always written out, so that this finds them all)."""
    found: set[str] = set()
    for path in (ROOT / "src" / "coursebook").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("error", "warning")
                and len(node.args) == 3
            ):
                code = node.args[2]
                assert isinstance(code, ast.Constant), f"{path.name}:{node.lineno}: write the code"
                found.add(code.value)
    return found


def test_every_code_reported_is_listed_and_every_listed_code_is_reported() -> None:
    assert codes_in_the_sources() == set(CODES)


def test_every_code_is_in_the_readme_with_its_example_and_fix() -> None:
    table = README.split("### Problem codes", 1)[1].split("\n## ", 1)[0]
    for code in CODES.values():
        row = next((line for line in table.splitlines() if f"| `{code.name}` |" in line), None)
        assert row is not None, code.name
        assert code.severity in row and code.fix in row, code.name


def test_quick_start_is_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make book", "make test"]
