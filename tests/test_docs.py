"""The README stays true to the code: every key of the schemas and every option is documented."""

from __future__ import annotations

from coursebook import schema
from coursebook.cli import _parser

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_book_yaml_key_is_in_the_readme_table() -> None:
    for key in schema.BOOK.keys:
        assert f"| `{key.name}` |" in README, key.name


def test_every_front_matter_key_is_documented() -> None:
    for key in schema.FRONT_MATTER.keys:
        assert f"`{key.name}`" in README, key.name


def test_every_build_option_is_documented() -> None:
    build = _parser()._subparsers._group_actions[0].choices["build"]  # type: ignore[union-attr]
    for action in build._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert option in README, option


def test_quick_start_is_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make book", "make test"]
