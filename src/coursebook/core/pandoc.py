"""The pandoc binary coursebook runs: the one the ``pypandoc-binary`` wheel carries.

Pandoc is the reference implementation of the citation syntax and, through its citeproc, of
CSL; coursebook hands it the work those define rather than approximating them. The wheel's
binary is used (not one on ``PATH``), so that every machine formats a book the same way;
``pyproject.toml`` pins the wheel, and with it the pandoc version.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path


class PandocError(Exception):
    """Pandoc could not be run or failed; the message says how."""


class PandocTimeout(PandocError):
    """Pandoc ran past its time."""


@cache
def pandoc_path() -> Path:
    """The wheel's pandoc binary."""
    import pypandoc  # only for where its binary is

    try:
        path = Path(pypandoc.get_pandoc_path())
    except OSError as error:
        raise PandocError(f"pandoc is missing ({error}); reinstall coursebook") from None
    if not os.access(path, os.X_OK):
        raise PandocError(f"pandoc at {path} can't be run; reinstall coursebook")
    return path


@cache
def pandoc_version() -> str:
    """``3.9``, as the binary says (part of every cache key that depends on its output)."""
    first = run_pandoc(["--version"]).decode("utf-8", errors="replace").split("\n", 1)[0]
    return first.removeprefix("pandoc").strip()


def run_pandoc(
    args: Sequence[str],
    stdin: bytes = b"",
    timeout: float | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run pandoc with ``args``; its standard output, or :class:`PandocError` with what it
    said on failure (or when it ran past ``timeout`` seconds). ``env`` adds to (or replaces
    some of) the environment pandoc inherits."""
    try:
        done = subprocess.run(
            [str(pandoc_path()), *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            env={**os.environ, **env} if env is not None else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PandocTimeout(f"pandoc took more than {timeout:g} seconds") from None
    except OSError as error:
        raise PandocError(f"pandoc could not be run: {error.strerror}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", errors="replace").strip()
        raise PandocError(f"pandoc failed (exit {done.returncode}): {said[:2000]}")
    return done.stdout
