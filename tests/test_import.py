"""``coursebook import``: the portal's lesson pages (the seeds as text, a portal page as HTML)
become a book that builds, with citations as [@key], drafts marked for review, the page
furniture in book.yaml, and every problem reported as path:line: severity: message [code]."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import pytest
import yaml
from benchmarks.import_rate import measure

import coursebook
from coursebook.app.cli import main
from coursebook.core.diagnostics import Diagnostics
from coursebook.pipeline.build import build

from .conftest import ROOT, SHARED

SEEDS = SHARED / "seeds"
SEED_16 = SEEDS / "000_7c996b2200e8be1f.txt"
SEED_15 = SEEDS / "003_21a4d1d653a7876d.txt"
PORTAL_PAGE = ROOT / "tests" / "books" / "import" / "lesson-16.html"

RATE_FLOOR = 0.9
"""The benchmark finds 13 of the sample book's 13 citations (see README, "Bringing lessons
in"); the floor leaves room for one miss, not for a pattern to stop working."""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["import", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(data, dict)
    return data


@pytest.fixture
def seeds_book(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    out = tmp_path / "imported"
    code, stdout, stderr = run([str(SEED_16), str(SEED_15), "-o", str(out)], capsys)
    assert code == 0, stderr
    return out, stdout


def test_seeds_become_lessons_with_titles_numbers_headings_and_quotations(
    seeds_book: tuple[Path, str],
) -> None:
    out, _ = seeds_book
    lesson16 = out / "lessons" / "16-the-nature-of-the-stalinist-state.md"
    assert front_matter(lesson16) == {"title": "The nature of the Stalinist state", "number": 16}
    text16 = lesson16.read_text(encoding="utf-8")
    assert "\n## a) Proletarian Bonapartism\n" in text16
    assert "\n## b) A ‘Degenerated workers’ state’\n" in text16
    assert "Soviet workers' state" in text16 and "\\'" not in text16  # the portal's escape undone
    # Seed 003 has no heading: titled after its file, with a warning (below).
    lesson15 = out / "lessons" / "untitled-003-21a4d1d653a7876d.md"
    assert front_matter(lesson15) == {"title": "Untitled (003_21a4d1d653a7876d)"}
    text15 = lesson15.read_text(encoding="utf-8")
    # Quotations set as their own paragraphs are block quotes, their attribution a citation.
    assert "Bonapartism, Trotsky explained,\n\n> …was and remains the government" in text15
    assert "possible to speak of Soviet Bonapartism. [@trotsky1933class]\n" in text15
    assert "Trotsky sums up:\n\n> Stalin guards the conquests" in text15
    assert "if not Soviet Bonapartism? [@trotsky1935writings]\n" in text15
    assert "Writings 1934-35\n" not in text15  # the attribution line is gone, as a citation


def test_citations_in_their_usual_forms_become_keys(seeds_book: tuple[Path, str]) -> None:
    out, _ = seeds_book
    text16 = (out / "lessons" / "16-the-nature-of-the-stalinist-state.md").read_text("utf-8")
    text15 = (out / "lessons" / "untitled-003-21a4d1d653a7876d.md").read_text("utf-8")
    # An article named before the quotation; "(Full text)" removed.
    assert "Napoleon Bonaparte]” [@trotsky1935workers]." in text16
    assert "(Full text)" not in text16
    # (Title,1933) and (‘title in other case’,1933). → one key; no doubled full stop.
    assert "the soil of a Soviet regime.” [@trotsky1933class]\n" in text16
    assert "independent ruling class.” [@trotsky1933class]\n" in text16
    # (Trotsky, ‘Title’,1935): the same work as the article named in prose.
    assert "if not Soviet Bonapartism?” [@trotsky1935workers]" in text16
    # ‘Revolution Betrayed’ (Chapter 9): a locator; "He went on…": the same work again.
    assert "nobody knows exactly what it means” [@trotskyrevolution, chap. 9]." in text16
    assert "of industrial enterprises” [@trotskyrevolution, chap. 9]. But" in text16
    assert "(Chapter 9)" not in text16
    assert "working class” [@trotsky1938transitional]." in text16
    assert "privatised the economy” [@haddenstruggle]." in text16
    # (Writings 1934-35.), (Quoted by I. Deutscher, Stalin.), (The Revolution Betrayed.)
    assert "Napoleon Bonaparte].” [@trotsky1935writings]\n" in text15
    assert "with food…” [quoted in @deutscherstalin] Now, abruptly" in text15
    assert "electricity.” [@trotskyrevolution]\n" in text15
    # A remark is left as it was.
    assert "and soon (see below) those to their right" in text16


def test_each_source_is_one_draft_marked_for_review(seeds_book: tuple[Path, str]) -> None:
    out, _ = seeds_book
    text = (out / "sources.yaml").read_text(encoding="utf-8")
    entries = {entry["id"]: entry for entry in yaml.safe_load(text)}
    assert list(entries) == [
        "trotsky1935workers",
        "trotsky1933class",
        "trotsky1938transitional",
        "trotskyrevolution",
        "haddenstruggle",
        "trotsky1935writings",
        "deutscherstalin",
    ]
    assert entries["trotsky1933class"] == {
        "id": "trotsky1933class",
        "type": "chapter",
        "author": "Trotsky",
        "title": "The Class Nature of the Soviet State",
        "container-title": "Writings 1933-34",
        "issued": 1933,
        "note": f"draft: check against the original — imported from {os.path.relpath(SEED_16)}:17",
    }
    assert entries["deutscherstalin"]["author"] == "I. Deutscher"
    assert entries["trotsky1938transitional"]["issued"] == 1938
    assert all(e["note"].startswith("draft: check against the original") for e in entries.values())
    assert text.count("# draft: first cited at") == 7


def test_furniture_goes_to_book_yaml_and_not_into_the_lessons(
    seeds_book: tuple[Path, str],
) -> None:
    out, _ = seeds_book
    manifest = yaml.safe_load((out / "book.yaml").read_text(encoding="utf-8"))
    assert manifest["title"] == "The rise of Stalinism"
    assert manifest["publisher"] == "Marxist Education Portal"
    assert manifest["course_id"] == "10"
    assert str(manifest["published"]) == "2026-02-10" and str(manifest["updated"]) == "2026-02-12"
    assert manifest["chapters"] == [
        "lessons/16-the-nature-of-the-stalinist-state.md",
        "lessons/untitled-003-21a4d1d653a7876d.md",
    ]
    for lesson in (out / "lessons").iterdir():
        text = lesson.read_text(encoding="utf-8")
        for furniture in ("Education Portal", "About this course", "Course ID", "LESSON"):
            assert furniture not in text, (lesson.name, furniture)


def test_the_report_names_what_was_recognised_and_what_was_left(
    seeds_book: tuple[Path, str],
) -> None:
    _, stdout = seeds_book
    seed16, seed15 = os.path.relpath(SEED_16), os.path.relpath(SEED_15)
    lines = stdout.splitlines()
    assert (
        f"{seed16}: lesson 16, 'The nature of the Stalinist state' → "
        "lessons/16-the-nature-of-the-stalinist-state.md: 8 citations recognised, "
        "1 parenthetical remark left as text"
    ) in lines
    assert f"{seed16}:21: warning: left as text: (see below) [import-unrecognised]" in lines
    assert any(
        line.startswith(f"{seed15}: a lesson,")
        and line.endswith("5 citations recognised, 0 parenthetical remarks left as text")
        for line in lines
    )
    assert any(line.startswith(f"{seed15}:1: warning: no lesson heading found") for line in lines)
    assert "wrote " in stdout and "2 lessons, 7 sources (7 drafts to check" in stdout


def test_the_imported_seeds_build(seeds_book: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = seeds_book
    book = coursebook.load(out)
    assert [lesson.number for lesson in book.lessons] == ["16", None]
    assert list(coursebook.check(book, layout=False)) == []
    result = build(book, ("epub",), tmp_path / "dist", diagnostics=Diagnostics())
    assert result.notes == 13 and result.outputs[0].path.stat().st_size > 10_000


def test_a_portal_html_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "from-html"
    code, stdout, _ = run([str(PORTAL_PAGE), "-o", str(out)], capsys)
    assert code == 0
    lesson = out / "lessons" / "16-the-nature-of-the-stalinist-state.md"
    assert front_matter(lesson) == {"title": "The nature of the Stalinist state", "number": 16}
    text = lesson.read_text(encoding="utf-8")
    assert "\n## a) Proletarian Bonapartism\n" in text
    # <blockquote> → block quote; the parenthetical after it, and a <footer> in it, cite.
    assert "\n> …was and remains the government" in text
    assert "internal and international. [@trotsky1933class]\n" in text
    assert "if not Soviet Bonapartism? [@trotsky1935workers]\n" in text
    assert "Napoleon Bonaparte]” [@trotsky1935workers]." in text
    assert "[glossary](https://www.marxists.org/glossary/)" in text  # other links stay
    for furniture in ("Education Portal", "About this course", "Privacy", "portal", "Log in"):
        assert furniture not in text, furniture
    manifest = yaml.safe_load((out / "book.yaml").read_text(encoding="utf-8"))
    assert manifest["title"] == "The rise of Stalinism"
    assert manifest["publisher"] == "Marxist Education Portal"
    assert manifest["language"] == "en"
    assert manifest["description"].startswith("From the late 1920s onwards")
    entries = {e["id"]: e for e in yaml.safe_load((out / "sources.yaml").read_text("utf-8"))}
    archive = "https://www.marxists.org/archive/trotsky"
    assert entries["trotsky1935workers"]["URL"] == f"{archive}/1935/02/ws-therm-bon.htm"
    assert entries["trotsky1933class"]["URL"] == f"{archive}/1933/10/sovunion1.htm"
    assert entries["trotskyrevolution"]["URL"] == f"{archive}/1936/revbet/ch09.htm"
    assert "URL" not in entries["haddenstruggle"]
    page = os.path.relpath(PORTAL_PAGE)
    assert f"{page}:35: warning: left as text: (see below) [import-unrecognised]" in stdout
    assert "6 citations recognised, 1 parenthetical remark left as text" in stdout
    assert list(coursebook.check(coursebook.load(out), layout=False)) == []


def test_sources_option_uses_the_existing_keys_and_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "with-sources"
    sources = ROOT / "book" / "sources.yaml"
    code, stdout, _ = run(
        [str(SEED_16), str(SEED_15), "-o", str(out), "--sources", str(sources)], capsys
    )
    assert code == 0
    text16 = (out / "lessons" / "16-the-nature-of-the-stalinist-state.md").read_text("utf-8")
    assert "Napoleon Bonaparte]” [@trotsky1935thermidor]." in text16
    assert "[@trotsky1936revbet, chap. 9]" in text16 and "[@hadden1999]" in text16
    text = (out / "sources.yaml").read_text(encoding="utf-8")
    entries = {e["id"]: e for e in yaml.safe_load(text)}
    assert set(entries) == {
        "trotsky1935thermidor",
        "trotsky1933classnature",
        "trotsky1938transitional",
        "trotsky1936revbet",
        "hadden1999",
        "deutscher1949stalin",
    }
    assert entries["hadden1999"]["URL"] == "http://www.marxist.net/ireland/anti-swp/"
    assert "draft" not in text.split("remove the note.", 1)[1]
    # Matched by author and year only: said, to be checked.
    assert (
        f"{os.path.relpath(SEED_16)}:29: warning: 'Transitional Programme' taken to be source "
        "'trotsky1938transitional' of the sources file (author and year match, titles differ): "
        "check [import-guessed-source]"
    ) in stdout.splitlines()
    assert list(coursebook.check(coursebook.load(out), layout=False)) == []


def test_the_recognition_rate_on_the_seeds() -> None:
    drafts = measure([SEED_16, SEED_15])
    known = measure([SEED_16, SEED_15], sources=ROOT / "book" / "sources.yaml")
    print(f"\nimport rate, drafts: {drafts.rate:.1%}\n{drafts.report()}")
    print(f"import rate, --sources book/sources.yaml: {known.rate:.1%}\n{known.report()}")
    assert drafts.sample_citations == 13
    assert drafts.rate >= RATE_FLOOR and known.rate >= RATE_FLOOR


def test_bad_pages_are_all_reported_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    Path("empty.txt").write_text(" \n\n \t\n", encoding="utf-8")
    Path("blank.txt").write_text("\u00a0\n\n\u00a0\n", encoding="utf-8")
    Path("latin1.txt").write_bytes("LESSON ONE: Caf\xe9\n\nText.\n".encode("latin-1"))
    Path("untitled.html").write_text(
        "<html><body><p>A paragraph, and no heading.</p></body></html>", encoding="utf-8"
    )
    pages = ["missing.txt", "binary.txt", "empty.txt", "blank.txt", "latin1.txt", "untitled.html"]
    code, _, stderr = run([*pages, "-o", "out"], capsys)
    assert code == 1
    assert stderr.splitlines() == [
        "missing.txt: error: page not found [not-found]",
        "binary.txt:1: error: not a text or HTML page (it holds binary data) [import-not-text]",
        "empty.txt:1: error: the page is empty [import-empty]",
        "blank.txt:1: error: the page has no lesson text [import-empty]",
        "latin1.txt:1: error: not UTF-8 text (invalid continuation byte) [encoding]",
        "untitled.html:1: error: no lesson title found (a heading like 'Lesson 16: The nature "
        "of the state') [import-no-title]",
        "coursebook: 6 errors, 0 warnings; nothing written",
    ]
    assert sorted(os.listdir(".")) == sorted(pages[1:])  # no book, no temporary folder


def test_a_folder_that_is_not_empty_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "book"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, stdout, stderr = run([str(SEED_16), "-o", str(out)], capsys)
    assert code == 1 and stdout == ""
    assert "already exists and is not empty; choose a new folder" in stderr
    assert os.listdir(out) == ["notes.txt"] and sorted(os.listdir(tmp_path)) == ["book"]
    # An empty folder is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run([str(SEED_16), "-o", str(empty)], capsys)[0] == 0
    assert sorted(os.listdir(empty)) == ["book.yaml", "lessons", "sources.yaml"]


def test_hostile_html_runs_nothing_fetches_nothing_and_smuggles_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.3)
    here = f"http://127.0.0.1:{server.getsockname()[1]}"
    canary = tmp_path / "ran"
    bomb = "".join(
        f'<!ENTITY e{i} "{"&e" + str(i - 1) + ";" * 10 if i else "x" * 10}">' for i in range(9)
    )
    page = tmp_path / "hostile.html"
    page.write_text(
        f"""<!DOCTYPE html [{bomb}]>
<html><head><base href="{here}/base/"><link rel="stylesheet" href="{here}/style.css">
<script src="{here}/script.js"></script><script>require('fs').writeFileSync('{canary}')</script>
<style>@import url({here}/import.css);</style></head>
<body onload="fetch('{here}/onload')"><h2>Lesson 3: &e8; Hostile</h2>
<p>Text
# not a heading
- not a list <img src="{here}/img.png" onerror="alert(1)"> and &lt;script&gt;alert(2)&lt;/script&gt;
and [@evil] and [^1] and *stars* and ![x](file:///etc/passwd) and &#106;avascript:x.</p>
<p>Read it: “a quotation”. (<a href="javascript:alert(3)">Full text</a>)
(<a href="{here}/t">The Article</a>, 1935) <a href="https://example.org/x">kept</a>
<a href="javascript:alert(4)">click</a>
<iframe src="{here}/frame"></iframe><svg><script>alert(5)</script></svg></p>
{"<div>" * 3000}<p>deep</p>{"</div>" * 3000}
</body></html>""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    started = time.monotonic()
    code, _, stderr = run([str(page), "-o", str(out)], capsys)
    assert time.monotonic() - started < 10
    assert code == 0, stderr
    with pytest.raises(TimeoutError):
        server.accept()  # nothing was fetched
    server.close()
    assert not canary.exists()
    written = "\n".join(p.read_text("utf-8") for p in out.rglob("*") if p.is_file())
    lesson = next((out / "lessons").iterdir()).read_text("utf-8").split("---\n", 2)[2]
    assert re.search(r"(?<!\\)<", lesson) is None  # no HTML at all: every < is escaped
    assert re.search(r"(?<!\\)\[[@^]", lesson) is None  # no citation or footnote either
    assert "\\<script\\>alert(2)\\</script\\>" in lesson and "\\[\\@evil]" in lesson  # as text
    assert "[kept](https://example.org/x)" in lesson and "127.0.0.1" not in lesson
    assert "\nand" not in lesson  # the page's line breaks are not Markdown's
    assert "\\*stars\\*" in lesson
    for smuggled in ("](javascript", "URL: javascript", "onerror", "onload", "iframe", "frame"):
        assert smuggled not in written, smuggled
    for script in ("alert(1)", "alert(3)", "alert(4)", "alert(5)", "writeFileSync", "onload"):
        assert script not in written, script
    assert written.count("x" * 10) <= 2  # the entity bomb did not expand
    book = coursebook.load(out)
    assert [
        d.code for d in coursebook.check(book, layout=False)
    ] == []  # nothing for the sanitizer to remove


def test_a_huge_page_is_refused_and_long_text_stays_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("huge.html").write_bytes(b"<p>" + b"a" * 6_000_000 + b"</p>")
    code, _, stderr = run(["huge.html", "-o", "out"], capsys)
    assert code == 1
    assert stderr.splitlines()[0] == (
        "huge.html: error: the page is larger than 5,000,000 bytes; a lesson page is far "
        "smaller [import-too-large]"
    )
    # Under the cap, text built to make patterns backtrack finishes quickly.
    nasty = "LESSON ONE: Nasty\n" + "‘a’ b " * 20_000 + "\n" + "(“x” (‘" * 30_000 + "\n"
    Path("nasty.txt").write_text(nasty, encoding="utf-8")
    started = time.monotonic()
    code, stdout, _ = run(["nasty.txt", "-o", "nasty"], capsys)
    assert code == 0 and time.monotonic() - started < 10
    assert re.search(r"a paragraph of [\d,]+ characters", stdout)


def test_a_page_name_with_a_newline_stays_in_its_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The written files name the page in comments; a newline in its name must not end the
    comment and write YAML of the name's making."""
    page = tmp_path / "page\ntitle: injected\nx.txt"
    page.write_bytes(SEED_16.read_bytes())
    out = tmp_path / "book"
    code, _, _ = run([str(page), "-o", str(out)], capsys)
    assert code == 0
    manifest = yaml.safe_load((out / "book.yaml").read_text(encoding="utf-8"))
    assert manifest["title"] != "injected"
    for lesson in (out / "lessons").glob("*.md"):
        assert "title" in front_matter(lesson) and front_matter(lesson)["title"] != "injected"
    assert "\\ntitle: injected" in (out / "book.yaml").read_text(encoding="utf-8")
