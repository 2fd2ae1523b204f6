"""The README and docs/ stay true to the code: every key of the schemas, every option and every
problem code is documented where an author looks for it, and every link between the pages
leads somewhere."""

from __future__ import annotations

import ast
import re

from coursebook.app.cli import _parser
from coursebook.core.codes import CODES
from coursebook.source import schema

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}
FORMAT = PAGES["book-format.md"]
COMMAND_LINE = PAGES["command-line.md"] + PAGES["printing.md"]


def test_every_book_yaml_key_is_in_the_format_table() -> None:
    for key in schema.BOOK.keys:
        assert f"| `{key.name}` |" in FORMAT, key.name


def test_every_front_matter_key_is_documented() -> None:
    for key in schema.FRONT_MATTER.keys:
        assert f"`{key.name}`" in FORMAT, key.name


def test_every_option_of_every_command_is_documented() -> None:
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        assert f"coursebook {name}" in COMMAND_LINE, name
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in COMMAND_LINE, (name, option)


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


def test_every_code_is_in_the_docs_with_its_example_and_fix() -> None:
    table = PAGES["problem-codes.md"]
    for code in CODES.values():
        row = next((line for line in table.splitlines() if f"| `{code.name}` |" in line), None)
        assert row is not None, code.name
        assert code.severity in row and code.fix in row, code.name


def test_the_readme_starts_with_installing_and_ends_with_the_two_make_commands() -> None:
    sections = re.findall(r"^## (.+)$", README, flags=re.M)
    assert sections[:2] == ["Install", "Your first book"]
    development = README.split("## Development", 1)[1]
    block = development.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make book", "make test"]
    for name in PAGES:  # every page of docs/ is linked from the README
        assert f"](docs/{name})" in README, name


def _anchors(text: str) -> set[str]:
    """GitHub's ids for the headings of a Markdown page (outside code blocks)."""
    found, fenced = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"^#{1,6} (.+)$", line)):
            words = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(words.replace(" ", "-"))
    return found


def test_every_link_between_the_pages_leads_to_a_page_and_a_heading() -> None:
    pages = {"README.md": README, **{f"docs/{name}": text for name, text in PAGES.items()}}
    checked = 0
    for where, text in pages.items():
        outside_code = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", outside_code):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            page = (ROOT / where).parent.joinpath(path).resolve() if path else ROOT / where
            assert page.is_file(), (where, target)
            if anchor:
                assert anchor in _anchors(page.read_text(encoding="utf-8")), (where, target)
            checked += 1
    assert checked >= 15  # the README's and the pages' own
