"""What the command shows: colours and a progress display on a terminal (a real pseudo-terminal
here), plain lines when piped, NO_COLOR, -q, -v, the summary, and --open."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT

SGR = re.compile(r"\x1b\[([0-9;]*)m")  # Select Graphic Rendition: colours, bold, dim…
ANY_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COMMAND = [sys.executable, "-m", "coursebook"]


def colours(shown: str) -> list[str]:
    """The SGR sequences that set a colour (30–49, 90–107); NO_COLOR still allows bold."""
    return [
        match.group(0)
        for match in SGR.finditer(shown)
        if any(
            p.isdigit() and (30 <= int(p) <= 49 or 90 <= int(p) <= 107)
            for p in match.group(1).split(";")
        )
    ]


def plain_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "100", **extra}


def on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as stdin, stdout and stderr, as a user would."""
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env or plain_env(),
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def piped(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=plain_env(),
        check=False,
        timeout=300,
    )


def test_problems_are_coloured_on_a_terminal_and_plain_when_piped() -> None:
    status, shown = on_terminal("check", "tests/books/broken", "--quick")
    assert status == 1
    assert colours(shown)
    plain = piped("check", "tests/books/broken", "--quick")
    assert not ANY_ESCAPE.search(plain.stdout)
    # Coloured or not, the same lines: one per problem, never wrapped at the terminal's width.
    lines = [ANY_ESCAPE.sub("", line) for line in shown.replace("\r\n", "\n").splitlines()]
    report = [line for line in lines if line.startswith("tests/books/broken")]
    assert report == plain.stdout.splitlines()


def test_no_color_is_respected() -> None:
    status, shown = on_terminal("check", "tests/books/broken", env=plain_env(NO_COLOR="1"))
    assert status == 1
    assert "unknown source 'trotsky1935'" in shown
    assert colours(shown) == []


def test_a_terminal_sees_the_stages_while_they_run(tmp_path: Path) -> None:
    status, shown = on_terminal("build", "book", "-o", str(tmp_path / "out"))
    assert status == 0
    assert "laying out pages" in shown and "formatting citations" in shown
    assert "wrote " in shown


def test_piped_output_is_the_files_written_and_a_summary(tmp_path: Path) -> None:
    result = piped("build", "book", "-o", str(tmp_path / "out"))
    assert result.returncode == 0 and result.stderr == ""
    wrote_pdf, wrote_epub, summary = result.stdout.splitlines()
    assert re.fullmatch(r"wrote .*the-rise-of-stalinism\.pdf \(\d+ KB, \d+ pages\)", wrote_pdf)
    assert re.fullmatch(r"wrote .*the-rise-of-stalinism\.epub \(\d+ KB\)", wrote_epub)
    assert re.fullmatch(
        r"2 lessons, 13 notes, 6 sources cited, 0 warnings; built in \d+\.\d s", summary
    )


def test_quiet_and_verbose(tmp_path: Path) -> None:
    quiet = piped("build", "book", "-o", str(tmp_path / "q"), "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = piped("build", "book", "-o", str(tmp_path / "v"), "-v")
    assert verbose.returncode == 0
    stages = [re.sub(r" \(\d+\.\d\d s\)$", "", line) for line in verbose.stderr.splitlines()]
    assert stages[:3] == ["reading the book", "parsing lessons: 2", "formatting citations: 13"]
    # A cold build lays out every part of the print edition.
    assert re.fullmatch(
        rf"laying out pages: {_pages(verbose.stdout)} pages, (\d+) of \1 parts laid out",
        stages[3],
    )
    assert "writing the EPUB" in stages
    assert piped("build", "book", "-q", "-v").returncode == 2  # one or the other


def _pages(stdout: str) -> int:
    match = re.search(r"\.pdf \(\d+ KB, (\d+) pages\)", stdout)
    assert match
    return int(match.group(1))


def test_open_hands_the_pdf_to_the_systems_viewer(tmp_path: Path) -> None:
    # The viewer itself can't run here; a stand-in for xdg-open records what it was given.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}"\n', encoding="utf-8")
    opener.chmod(0o755)
    env = plain_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [*COMMAND, "build", "book", "-o", str(tmp_path / "out"), "--open"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for _ in range(100):  # the viewer is started, not waited for
        if record.exists():
            break
        time.sleep(0.05)
    assert record.read_text(encoding="utf-8") == str(tmp_path / "out" / "the-rise-of-stalinism.pdf")
