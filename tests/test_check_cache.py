"""`check` after `build` reuses the build's cache; what a layout found is said again when its
part comes from the cache; a cache a book ships in its own dist/ is never believed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coursebook.core.cache import CACHE_FOLDER
from coursebook.core.diagnostics import Diagnostics
from coursebook.pipeline.build import build
from coursebook.pipeline.checking import check_book

from .conftest import MINIMAL_MANIFEST


@pytest.fixture(autouse=True)
def own_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def long_note_book(make_book) -> Path:  # type: ignore[no-untyped-def]
    long = " ".join(["A note that goes on about value, price and the working day."] * 70)
    body = "\n\n".join(f"Paragraph {i} [@marx1867, p. {i}]." for i in range(6))
    return make_book(  # type: ignore[no-any-return]
        {"lessons/one.md": f"# One\n\n{body}\n\nAn aside[^long] here.\n\n[^long]: {long}\n"}
    )


def entries(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir()} if cache.is_dir() else set()


def test_check_after_a_build_lays_out_nothing_again(make_book, tmp_path: Path) -> None:
    """The check finds the build's parts in its cache (it adds no layout of its own) and
    still says what their layout found; before any build it leaves no cache behind."""
    folder = long_note_book(make_book)
    out = tmp_path / "out"
    cold = check_book(folder, out_dir=out)
    assert [d.code for d in cold.items] == ["long-note"]
    assert not out.exists()  # nothing written where nothing was built
    build(folder, ("epub",), out, diagnostics=Diagnostics())
    cache = out / CACHE_FOLDER
    before = entries(cache)
    assert any(name.startswith("part-") for name in before)
    warm = check_book(folder, out_dir=out)
    assert [d.code for d in warm.items] == ["long-note"]  # said again, from the cache
    assert entries(cache) == before  # every part was there: none laid out again
    # The check's layouts go to the same cache: parts removed from it are put back.
    parts = {name for name in before if name.startswith("part-")}
    for name in parts:
        (cache / name).unlink()
    assert [d.code for d in check_book(folder, out_dir=out).items] == ["long-note"]
    assert entries(cache) == before


def test_a_part_from_the_cache_says_what_its_layout_found(make_book, tmp_path: Path) -> None:
    folder = long_note_book(make_book)
    for _ in range(2):  # the second build takes the part from the first's cache
        diagnostics = Diagnostics()
        build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics)
        assert [d.code for d in diagnostics.warnings] == ["long-note"]
        (folder / "lessons" / "one.md").write_text(
            (folder / "lessons" / "one.md").read_text() + "\n"  # not up to date: built again
        )


def test_a_cache_shipped_in_the_books_own_dist_is_not_believed(make_book, tmp_path: Path) -> None:
    """A book arrives with dist/: outputs that aren't made from its sources, and a cache
    that says they are (its record made by building the book elsewhere, copied with the
    files' times). Building inside the book builds; the shipped cache is neither read nor
    written."""
    folder = make_book({"lessons/one.md": "# One\n\nText [@marx1867].\n"})
    elsewhere = tmp_path / "elsewhere"
    build(folder, ("epub",), elsewhere, diagnostics=Diagnostics())
    shutil.copytree(elsewhere, folder / "dist")  # copy2: sizes and times as recorded
    shipped = entries(folder / "dist" / CACHE_FOLDER)
    assert build(folder, ("epub",), elsewhere, diagnostics=Diagnostics()).up_to_date
    result = build(folder, ("epub",), folder / "dist", diagnostics=Diagnostics())
    assert not result.up_to_date
    assert entries(folder / "dist" / CACHE_FOLDER) == shipped
    assert (tmp_path / "user-cache" / "coursebook").is_dir()  # where its cache went


def test_check_uses_the_cache_of_a_build_inside_the_book(make_book, tmp_path: Path) -> None:
    lesson = "# One\n\nA [@marx1867].\n"
    folder = make_book({"book.yaml": MINIMAL_MANIFEST, "lessons/one.md": lesson})
    build(folder, ("epub",), folder / "dist", diagnostics=Diagnostics())
    (cache,) = (tmp_path / "user-cache" / "coursebook").iterdir()
    before = entries(cache)
    for name in before:
        if name.startswith("part-"):
            (cache / name).unlink()
    assert check_book(folder, out_dir=folder / "dist").items == []
    assert entries(cache) == before  # the check laid the parts out into the build's cache
