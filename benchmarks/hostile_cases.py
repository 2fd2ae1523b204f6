"""Hostile and broken books: each case a book (or a fault), the command it gets, and what
must hold. Shared by the tests (``tests/test_hostile_books.py``, one test per case) and the
benchmark that prints the results table (``benchmarks/hostile.py``).

Every case runs the real command in a child process (``python -m coursebook``; or, for the
faults that need a signal at an exact point of the real code, the command's ``main`` in a
forked child that kills or interrupts itself there). A case *holds* when:

- the command ends with the exit status expected (1 for a book with errors), printing no
  traceback and no internal error, every problem one line ``path:line:col: … [code]`` and no
  raw control character;
- the problem codes the case names were printed;
- not one byte of the canary (a file outside the book, which the book tries to reach) is in
  any output, zip entries and PDF streams decompressed;
- the loopback server the book names got no request;
- and the case's own check of the outputs passes.

Each case also has a time and a memory budget; the benchmark reports cases over them.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

SOURCES = "- id: marx1867\n  type: book\n  author: Karl Marx\n  title: Capital\n  year: 1976\n"
LESSON = "# One\n\nText [@marx1867, p. 3].\n"
MESSAGE = re.compile(r"^\S.*?(:\d+(:\d+)?)?: (error|warning): .+ \[[\w-]+\]$")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


# --- what a case is made of -------------------------------------------------------------------


@dataclass
class Env:
    """One case's working folder: the book at ``book``, outputs into ``out``, a canary
    file beside the book and a loopback server counting requests."""

    folder: Path
    canary: bytes
    url: str
    hits: list[str]

    @property
    def book(self) -> Path:
        return self.folder / "book"

    @property
    def out(self) -> Path:
        return self.folder / "out"

    @property
    def canary_path(self) -> Path:
        return self.folder / "canary.txt"


@dataclass
class Result:
    exit: int
    output: str
    seconds: float
    peak_mb: float


@dataclass(frozen=True)
class Run:
    """What a case runs: the command's arguments, or a function for a forked child."""

    args: tuple[str, ...] = ()
    child: Callable[[], int] | None = None
    file_size: int | None = None
    """RLIMIT_FSIZE for the child: writes past it fail as on a full disk."""


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    what: str
    make: Callable[[Env], Run]
    codes: tuple[str, ...] = ()
    exit: int = 1
    check: Callable[[Env, Result], str | None] | None = None
    """More that must hold; returns why not, or None."""
    seconds: float = 60.0
    memory_mb: float = 1500.0


@dataclass
class Outcome:
    case: Case
    held: bool
    why: str
    result: Result
    canary: bool = False
    requests: int = 0
    traceback: bool = False


# --- running ----------------------------------------------------------------------------------


def run_case(case: Case, workdir: Path) -> Outcome:
    """Make the case's book in ``workdir``, run it, and judge what happened."""
    with loopback() as (url, hits):
        canary = f"CANARY-{uuid.uuid4().hex}".encode()
        env = Env(workdir, canary, url, hits)
        workdir.mkdir(parents=True, exist_ok=True)
        env.canary_path.write_bytes(canary)
        spec = case.make(env)
        result = _execute(spec, workdir)
        return judge(case, env, result)


def judge(case: Case, env: Env, result: Result) -> Outcome:
    problems: list[str] = []
    traceback = "Traceback" in result.output
    if traceback:
        problems.append("a traceback")
    if "internal error" in result.output:
        problems.append("an internal error")
    if result.exit != case.exit:
        problems.append(f"exit {result.exit}, not {case.exit}")
    for code in case.codes:
        if f"[{code}]" not in result.output:
            problems.append(f"no [{code}] problem")
    for line in result.output.splitlines():
        if CONTROL.search(line):
            problems.append(f"a raw control character in {line!r}")
        elif (": error: " in line or ": warning: " in line) and not MESSAGE.match(line):
            problems.append(f"a problem not on one line: {line!r}")
    found = env.canary in output_bytes(env.out)
    if found:
        problems.append("the canary's bytes in an output")
    if env.hits:
        problems.append(f"{len(env.hits)} requests to the loopback server")
    if case.check is not None and (why := case.check(env, result)):
        problems.append(why)
    return Outcome(
        case,
        not problems,
        "; ".join(problems) or "held",
        result,
        canary=found,
        requests=len(env.hits),
        traceback=traceback,
    )


def _execute(spec: Run, cwd: Path) -> Result:
    """The command (or the function) in a child process, measured from outside."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(spec, cwd, output.fileno())
        status, peak_kb = _wait(pid, timeout=600)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    return Result(status, text, seconds, peak_kb / 1024)


def _child(spec: Run, cwd: Path, fd: int) -> None:
    code = 99
    try:
        os.chdir(cwd)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        if spec.file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (spec.file_size, spec.file_size))
        if spec.child is not None:
            sys.stdout = sys.stderr = io.TextIOWrapper(
                os.fdopen(1, "wb", closefd=False), write_through=True
            )
            code = spec.child()
        else:
            os.execv(sys.executable, [sys.executable, "-m", "coursebook", *spec.args])
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage.ru_maxrss
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return -9, usage.ru_maxrss
        time.sleep(0.02)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/after-redirect.png")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png())

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A server on a loopback port, and the list of requests it sees."""
    hits: list[str] = []
    handler = type("Handler", (_Counter,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def output_bytes(out: Path) -> bytes:
    """Everything the outputs hold, decompressed: zip entries of the EPUBs; every stream,
    string and embedded file of the PDFs."""
    import pypdf

    data = b""
    outputs = (
        [p for p in sorted(out.iterdir()) if p.is_file() and not p.is_symlink()]
        if out.is_dir()
        else []
    )
    for path in (p for p in outputs if p.suffix == ".epub"):
        with zipfile.ZipFile(path) as archive:
            data += b"".join(archive.read(name) for name in archive.namelist())
    for path in (p for p in outputs if p.suffix == ".pdf"):
        raw = path.read_bytes()
        data += raw
        for match in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.DOTALL):
            try:
                data += zlib.decompress(match.group(1))
            except zlib.error:
                data += match.group(1)
        for files in pypdf.PdfReader(path).attachments.values():
            data += b"".join(files)
    return data


# --- making books -------------------------------------------------------------------------------


def png(width: int = 8, height: int = 6, idat: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\0" + bytes([180, 40, 40]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = idat if idat is not None else zlib.compress(rows)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def write_book(
    folder: Path,
    lesson: str = LESSON,
    extra: str = "",
    title: str = "Hostile",
    files: dict[str, str | bytes] | None = None,
) -> Path:
    """A one-lesson book; ``files`` adds or replaces files (text or bytes)."""
    base: dict[str, str | bytes] = {
        "book.yaml": f"title: {title}\nlanguage: en\npublished: 2026-01-01\n{extra}"
        "chapters: [lessons/one.md]\n",
        "sources.yaml": SOURCES,
        "lessons/one.md": lesson,
    }
    for name, data in {**base, **(files or {})}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return folder


def build_args(env: Env, *more: str) -> Run:
    return Run(("build", str(env.book), "-o", str(env.out), *more))


def _link_out(name: str, outside: str, extra: str = "") -> Callable[[Env], Run]:
    """A book whose file ``name`` is a symbolic link to a file outside it holding
    ``outside`` (with the canary in it)."""

    def make(env: Env) -> Run:
        write_book(env.book, extra=extra)
        secret = env.folder / f"secret-{Path(name).name}"
        secret.write_bytes(outside.encode().replace(b"CANARY", env.canary))
        target = env.book / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        target.symlink_to(secret)
        return build_args(env)

    return make


def _svg(body: str, doctype: str = "", pi: str = "") -> Callable[[Env], Run]:
    def make(env: Env) -> Run:
        svg = (
            f'<?xml version="1.0"?>{pi}{doctype}'
            '<svg xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20">'
            f'<rect width="40" height="20" fill="teal"/>{body}</svg>'
        ).replace("URL", env.url)
        lesson = "# One\n\n![A teal block](../images/a.svg)\n\nText [@marx1867].\n"
        write_book(env.book, lesson, files={"images/a.svg": svg})
        return build_args(env)

    return make


def _no_script_in_svg(env: Env, result: Result) -> str | None:
    """The EPUB's SVG holds nothing that scripts or reaches out."""
    epubs = list(env.out.glob("*.epub"))
    if not epubs:
        return "no EPUB written"
    with zipfile.ZipFile(epubs[0]) as archive:
        svgs = [archive.read(n) for n in archive.namelist() if n.endswith(".svg")]
    if not svgs:
        return "the SVG is missing from the EPUB"
    for svg in svgs:
        text = svg.decode("utf-8", errors="replace").lower()
        for bad in (
            "javascript",
            "<script",
            "127.0.0.1",
            "<!doctype",
            "<?xml-stylesheet",
            "data:image/svg",
            "<animate",
            "<set",
            "onload",
        ):
            if bad in text:
                return f"{bad!r} in the EPUB's SVG"
    return None


def _broken_book(
    files: dict[str, str | bytes], extra: str = "", lesson: str = LESSON, title: str = "Hostile"
) -> Callable[[Env], Run]:
    def make(env: Env) -> Run:
        write_book(env.book, lesson, extra=extra, files=files, title=title)
        return build_args(env)

    return make


def _deep_yaml(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- faults: signals and full disks at exact points of the real code ---------------------------


def _pair(env: Env) -> tuple[bytes, bytes]:
    return (
        (env.out / "hostile.pdf").read_bytes() if (env.out / "hostile.pdf").exists() else b"",
        (env.out / "hostile.epub").read_bytes() if (env.out / "hostile.epub").exists() else b"",
    )


def _two_editions(env: Env) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """The book built as it was (into ``out``) and as it is after an edit (elsewhere):
    the old pair and the new pair of outputs, for a faulty build to be judged against."""
    from coursebook.pipeline.build import build

    write_book(env.book, LESSON + "\nThe first edition.\n")
    build(env.book, out_dir=env.out)
    old = _pair(env)
    write_book(env.book, LESSON + "\nThe second edition, a little longer.\n" * 20)
    fresh = env.folder / "fresh"
    build(env.book, out_dir=fresh)
    new = (
        (fresh / "hostile.pdf").read_bytes(),
        (fresh / "hostile.epub").read_bytes(),
    )
    shutil.rmtree(fresh)
    return old, new


def _at(event: str, name: str, caller: str, action: Callable[[], None]) -> None:
    """Call ``action`` the first time the running code reaches ``name`` called from
    ``caller`` (a 'call' of a Python function, or a 'c_return' of a built-in such as
    os.replace, whose frame is its caller's)."""
    done = False

    def profile(frame: Any, what: str, arg: Any) -> None:
        nonlocal done
        if done or what != event:
            return
        if what.startswith("c_"):
            called, calling = getattr(arg, "__name__", None), frame.f_code.co_name
        else:
            called, calling = frame.f_code.co_name, frame.f_back.f_code.co_name
        if called == name and calling == caller:
            done = True
            action()

    sys.setprofile(profile)


def _faulty_build(env: Env, at: tuple[str, str, str], sig: int) -> Callable[[], int]:
    """A build of the book that sends itself ``sig`` at ``at`` (event, function, caller)."""

    def child() -> int:
        from coursebook.app.cli import main

        _at(*at, lambda: os.kill(os.getpid(), sig))
        return main(["build", str(env.book), "-o", str(env.out), "-q"])

    return child


Fault = tuple[Callable[[Env], Run], Callable[[Env, Result], str | None]]


def _fault(at: tuple[str, str, str], sig: int, expect: str) -> Fault:
    """A build killed or interrupted at ``at``; afterwards the outputs must be the old pair
    (``expect`` "old") or the new pair ("new"); "recovered": the new pair once the next
    build into the folder has run, even though that build fails (the book broken since)."""
    editions: dict[str, Any] = {}

    def make(env: Env) -> Run:
        editions["old"], editions["new"] = _two_editions(env)
        return Run(child=_faulty_build(env, at, sig))

    def check(env: Env, result: Result) -> str | None:
        if expect == "recovered":
            killed = _pair(env)
            write_book(env.book, "# One\n\nA broken citation [@nobody].\n")
            subprocess.run(
                [sys.executable, "-m", "coursebook", "build", str(env.book), "-o", str(env.out)],
                capture_output=True,
                check=False,
            )
            if killed == editions["new"]:
                return "the kill came after both renames: the case tested nothing"
        pair = _pair(env)
        wanted = "old" if expect == "old" else "new"
        if pair == editions[wanted]:
            return None
        return (
            f"the outputs are not the {wanted} pair (PDF {_which(pair[0], editions)}, "
            f"EPUB {_which(pair[1], editions)})"
        )

    return make, check


def _which(data: bytes, editions: dict[str, Any]) -> str:
    for name in ("old", "new"):
        if data in editions[name]:
            return name
    return "neither"


def _full_disk(env: Env) -> Run:
    editions = _two_editions(env)
    env.folder.joinpath("old").write_bytes(b"".join(editions[0]))
    # Room for the smaller of the new files, not the larger: the disk fills between them.
    room = max(len(editions[1][0]), len(editions[1][1])) - 1
    return Run(("build", str(env.book), "-o", str(env.out)), file_size=room)


def _full_disk_check(env: Env, result: Result) -> str | None:
    if b"".join(_pair(env)) != env.folder.joinpath("old").read_bytes():
        return "the outputs changed"
    if "nothing written" not in result.output:
        return "the message doesn't say nothing was written"
    return None


# --- the preview, attacked while it runs ----------------------------------------------------------

PREVIEW_LESSON = "# One\n\n![A block](../images/a.png)\n\nText [@marx1867].\n"
Attack = Callable[[Env, int, "subprocess.Popen[bytes]"], str | None]


def _preview(attack: Attack) -> Callable[[Env], Run]:
    """``coursebook preview`` of a book with an image, running; ``attack`` returns why the
    preview didn't hold, or None (the child prints it and exits 1, or exits 0)."""

    def make(env: Env) -> Run:
        write_book(env.book, PREVIEW_LESSON, files={"images/a.png": png()})
        return Run(child=lambda: _run_preview(env, attack))

    return make


def _run_preview(env: Env, attack: Attack) -> int:
    logs = env.folder / "preview.out"
    with logs.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "coursebook", "preview", str(env.book), "--port", "0"],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    try:
        port = _preview_port(logs, process)
        if port is None or _get(port, "/")[0] != 200:
            print("the preview did not start")
            return 1
        why = attack(env, port, process)
        if why is None and process.poll() is not None:
            why = f"the preview stopped (exit {process.returncode})"
        if why:
            print(why)
        return 1 if why else 0
    finally:
        process.kill()
        process.wait()


def _preview_port(logs: Path, process: subprocess.Popen[bytes]) -> int | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        match = re.search(rb"http://127\.0\.0\.1:(\d+)/", logs.read_bytes())
        if match:
            return int(match.group(1))
        time.sleep(0.05)
    return None


def _get(port: int, path: str) -> tuple[int, bytes]:
    import http.client

    deadline = time.monotonic() + 60  # the first build may still be running
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            status, body = response.status, response.read()
        finally:
            connection.close()
        if status != 503 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _peak_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^VmHWM:\s+(\d+)", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _idle_connections(env: Env, port: int, process: subprocess.Popen[bytes]) -> str | None:
    import socket

    idle = []
    try:
        for index in range(700):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if index % 2:
                sock.sendall(b"GET / HT")  # half a request line, then nothing
            idle.append(sock)
        started = time.monotonic()
        status, _ = _get(port, "/")
        if status != 200:
            return f"the author's page answered {status} under 700 idle connections"
        if time.monotonic() - started > 15:
            return "the author's page took more than 15 s under 700 idle connections"
        if _threads(process.pid) > 64:
            return f"{_threads(process.pid)} threads for 700 idle connections"
    finally:
        for sock in idle:
            sock.close()
    return None


def _image_swapped_out(env: Env, port: int, process: subprocess.Popen[bytes]) -> str | None:
    if _get(port, "/images/a.png") != (200, png()):
        return "the image was not served before the swap"
    outside = env.folder / "outside.png"
    outside.write_bytes(png() + env.canary)
    image = env.book / "images" / "a.png"
    image.unlink()
    image.symlink_to(outside)
    served = sum(1 for _ in range(60) if env.canary in _get(port, "/images/a.png")[1])
    return f"served the file outside the book {served} times of 60" if served else None


def _image_to_dev_zero(env: Env, port: int, process: subprocess.Popen[bytes]) -> str | None:
    before = _peak_kb(process.pid)
    image = env.book / "images" / "a.png"
    image.unlink()
    image.symlink_to("/dev/zero")
    status, _ = _get(port, "/images/a.png")
    if status != 404:
        return f"/dev/zero answered {status}"
    if _get(port, "/")[0] != 200:
        return "the page stopped answering"
    grown = (_peak_kb(process.pid) - before) // 1024
    return f"the preview grew by {grown} MB" if grown > 100 else None


# --- the cases -----------------------------------------------------------------------------------


def _cases() -> list[Case]:
    first_rename = ("c_return", "replace", "commit")
    fault_int_epub, check_int_epub = _fault(("call", "repack", "write_epub"), signal.SIGINT, "old")
    fault_int_rename, check_int_rename = _fault(first_rename, signal.SIGINT, "new")
    fault_kill_rename, check_kill_rename = _fault(first_rename, signal.SIGKILL, "recovered")
    return [
        # leaks
        Case(
            "book.yaml links out",
            "leak",
            "book.yaml is a link to a file outside",
            _link_out("book.yaml", "title: CANARY\nlanguage: en\nchapters: [lessons/one.md]\n"),
            ("path-outside",),
        ),
        Case(
            "sources.yaml links out",
            "leak",
            "the default sources file is a link out",
            _link_out("sources.yaml", "- id: marx1867\n  type: book\n  title: CANARY\n"),
            ("path-outside",),
        ),
        Case(
            "glossary.yaml links out",
            "leak",
            "the default glossary is a link out",
            _link_out("glossary.yaml", "- term: Text\n  definition: CANARY\n"),
            ("path-outside",),
        ),
        Case(
            "about.md links out",
            "leak",
            "the default about page is a link out",
            _link_out("about.md", "# About\n\nCANARY\n"),
            ("path-outside",),
        ),
        Case(
            "named .bib links out",
            "leak",
            "sources: refs.bib, a link out",
            _link_out(
                "refs.bib", "@book{marx1867, title={CANARY}, year=1867}\n", "sources: refs.bib\n"
            ),
            ("path-outside",),
        ),
        Case(
            "style links out",
            "leak",
            "citation_style: house.csl, a link out",
            _link_out(
                "house.csl",
                '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0">'
                '<citation><layout><text value="CANARY"/></layout></citation></style>',
                "citation_style: house.csl\n",
            ),
            ("path-outside",),
        ),
        Case(
            "lesson links out",
            "leak",
            "the lesson file is a link out",
            _link_out("lessons/one.md", "# One\n\nCANARY\n"),
            ("path-outside",),
        ),
        Case(
            "image links out",
            "leak",
            "an image is a link to a picture outside",
            _image_link_out,
            ("path-outside",),
        ),
        Case(
            "cover links out",
            "leak",
            "the cover is a link to a picture outside",
            _cover_link_out,
            ("path-outside",),
        ),
        Case(
            "folder links out",
            "leak",
            "lessons/ is a link to a folder outside",
            _folder_link_out,
            ("path-outside",),
        ),
        Case(
            "image is a pipe",
            "leak",
            "an image is a named pipe (a read would wait forever)",
            _image_pipe,
            ("image",),
        ),
        Case(
            "image is /dev/zero",
            "leak",
            "an image is a link to /dev/zero",
            _image_dev_zero,
            ("path-outside",),
        ),
        # SVG
        Case(
            "SVG animate href",
            "svg",
            "<animate> sets href to javascript:",
            _svg(
                '<a href="#x"><animate attributeName="href" to="javascript:alert(1)"/>'
                '<text y="10">x</text></a>'
            ),
            (),
            0,
            _no_script_in_svg,
        ),
        Case(
            "SVG set href",
            "svg",
            "<set> sets xlink:href to javascript:",
            _svg(
                '<a xlink:href="#x"><set attributeName="xlink:href" to="javascript:alert(1)"/>'
                '<text y="10">x</text></a>'
            ),
            (),
            0,
            _no_script_in_svg,
        ),
        Case(
            "SVG nested data: SVG",
            "svg",
            "an SVG in a data: URL, with a script",
            _svg(
                '<image width="9" height="9" href="data:image/svg+xml;base64,'
                'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD48L3N2Zz4="/>'
            ),
            (),
            0,
            _no_script_in_svg,
        ),
        Case(
            "SVG fill url()",
            "svg",
            'fill="url(http://127.0.0.1…)"',
            _svg('<circle r="5" fill="url(URL/paint.svg#p)"/>'),
            (),
            0,
            _no_script_in_svg,
        ),
        Case(
            "SVG stylesheet PI",
            "svg",
            '<?xml-stylesheet href="http://127.0.0.1…"?>',
            _svg("", pi='<?xml-stylesheet type="text/css" href="URL/s.css"?>'),
            (),
            0,
            _no_script_in_svg,
        ),
        Case(
            "SVG DOCTYPE",
            "svg",
            "a DOCTYPE naming a loopback URL",
            _svg("", doctype='<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "URL/svg11.dtd">'),
            (),
            0,
            _no_script_in_svg,
        ),
        # crashes
        Case(
            "deep YAML in book.yaml",
            "crash",
            "10,000 nested brackets",
            _broken_book(
                {
                    "book.yaml": "title: T\nlanguage: en\nchapters: [lessons/one.md]\n"
                    f"subjects: {_deep_yaml(10_000)}\n"
                }
            ),
            ("yaml",),
        ),
        Case(
            "deep YAML front matter",
            "crash",
            "10,000 nested brackets in front matter",
            _broken_book(
                {}, lesson=f"---\ntitle: One\nsummary: {_deep_yaml(10_000)}\n---\n\nText.\n"
            ),
            ("yaml",),
        ),
        Case(
            "sources not UTF-8",
            "crash",
            "sources.yaml in Latin-1",
            _broken_book({"sources.yaml": SOURCES.replace("Capital", "Caf\xe9").encode("latin-1")}),
            ("encoding",),
        ),
        Case(
            "CSL not XML",
            "crash",
            "a .csl that isn't XML",
            _broken_book({"house.csl": "not { xml"}, "citation_style: house.csl\n"),
            ("citation-style",),
        ),
        Case(
            "CSL not a style",
            "crash",
            "a .csl whose root isn't <style>",
            _broken_book({"house.csl": "<html/>"}, "citation_style: house.csl\n"),
            ("citation-style",),
        ),
        Case(
            "dependent CSL, unknown parent",
            "crash",
            "a dependent style whose parent is a URL",
            _broken_book(
                {"house.csl": _dependent("http://example.org/styles/nowhere")},
                "citation_style: house.csl\n",
            ),
            ("citation-style",),
        ),
        Case(
            "dependent CSL, bundled parent",
            "crash",
            "a dependent style of APA: builds",
            _broken_book(
                {"house.csl": _dependent("http://www.zotero.org/styles/apa")},
                "citation_style: house.csl\n",
            ),
            (),
            0,
        ),
        Case(
            "output folder unwritable", "crash", "-o names a file", _output_is_a_file, ("output",)
        ),
        Case(
            "impossible published",
            "crash",
            "published: 2026-02-30",
            _broken_book({}, "updated: 2026-02-30\n"),
            ("schema-type",),
        ),
        Case(
            "impossible issued",
            "crash",
            "issued: 1859-02-30",
            _broken_book({"sources.yaml": SOURCES.replace("year: 1976", "issued: 1859-02-30")}),
            ("source-field",),
        ),
        Case(
            "impossible lesson date",
            "crash",
            "a lesson's date: 2026-02-30 (an unknown key)",
            _broken_book(
                {}, lesson="---\ntitle: One\ndate: 2026-02-30\n---\n\nText [@marx1867].\n"
            ),
            ("unknown-key",),
            0,
        ),
        Case(
            "deep JSON sources",
            "crash",
            "sources.json nested 100,000 deep",
            _broken_book(
                {"sources.json": "[" * 100_000 + "]" * 100_000}, "sources: sources.json\n"
            ),
            ("json",),
        ),
        Case(
            "upper-case BibTeX",
            "crash",
            "AUTHOR = {…}: builds",
            _broken_book(
                {
                    "refs.bib": "@BOOK{marx1867, AUTHOR = {Marx, Karl},\n"
                    "  TITLE = {Capital}, YEAR = 1976}\n"
                },
                "sources: refs.bib\n",
            ),
            (),
            0,
        ),
        Case(
            "NUL in book.yaml",
            "crash",
            "a NUL character in book.yaml",
            _broken_book({"book.yaml": "title: T\0\nlanguage: en\nchapters: [lessons/one.md]\n"}),
            ("yaml",),
        ),
        # unchecked input
        Case(
            "cover of 900 megapixels",
            "image",
            "a 30,000 × 30,000 PNG cover",
            _broken_book(
                {"cover.png": png(30_000, 30_000, zlib.compress(b"\0" * 4096))},
                "cover: cover.png\n",
            ),
            ("cover",),
        ),
        Case(
            "cover of HTML",
            "image",
            "HTML named cover.png",
            _broken_book(
                {"cover.png": "<html><script>alert(1)</script></html>"}, "cover: cover.png\n"
            ),
            ("cover",),
        ),
        Case(
            "cover of 42 MB",
            "image",
            "a 42 MB cover",
            _broken_book({"cover.png": png(16, 24) + b"\0" * 42_000_000}, "cover: cover.png\n"),
            ("cover",),
        ),
        Case(
            "truncated PNG",
            "image",
            "a lesson's PNG cut short",
            _broken_book(
                {"images/a.png": png(200, 200)[:-60]},
                lesson="# One\n\n![A block](../images/a.png)\n\nText [@marx1867].\n",
            ),
            ("image",),
        ),
        Case(
            "GIF named .png",
            "image",
            "a lesson's image whose bytes are another type",
            _broken_book(
                {"images/a.png": b"GIF89a" + b"\0" * 64},
                lesson="# One\n\n![A block](../images/a.png)\n\nText [@marx1867].\n",
            ),
            ("image",),
        ),
        # faults
        Case(
            "full disk between outputs",
            "fault",
            "the disk fills after the first output",
            _full_disk,
            ("output",),
            1,
            _full_disk_check,
        ),
        Case(
            "Ctrl-C writing the EPUB",
            "fault",
            "SIGINT while the EPUB is written",
            fault_int_epub,
            (),
            130,
            check_int_epub,
        ),
        Case(
            "Ctrl-C between renames",
            "fault",
            "SIGINT between putting the two files in place",
            fault_int_rename,
            (),
            130,
            check_int_rename,
        ),
        Case(
            "SIGKILL between renames",
            "fault",
            "SIGKILL between putting the two files in place",
            fault_kill_rename,
            (),
            -9,
            check_kill_rename,
        ),
        Case(
            "stale temporary file",
            "fault",
            "a 0-byte .tmp a killed build left",
            _stale_temporary,
            (),
            0,
            _no_temporaries,
        ),
        Case(
            "control characters in names",
            "fault",
            "ESC, a newline and U+202E in file names",
            _hostile_names,
            ("not-found",),
        ),
        Case(
            "catalog with a broken book",
            "fault",
            "one book of a catalog has a style that isn't XML",
            _catalog,
            ("citation-style",),
            1,
            _catalog_check,
        ),
        Case(
            "long CJK title",
            "fault",
            "an 81-character Chinese title",
            _broken_book({}, title="中华人民共和国万岁" * 9),
            (),
            0,
            _wrote_two,
        ),
        # the preview
        Case(
            "preview: 700 idle connections",
            "preview",
            "700 connections that send nothing (or half a request line)",
            _preview(_idle_connections),
            (),
            0,
        ),
        Case(
            "preview: image swapped out",
            "preview",
            "an image swapped for a link out of the book, requested 60 times",
            _preview(_image_swapped_out),
            (),
            0,
        ),
        Case(
            "preview: image to /dev/zero",
            "preview",
            "an image swapped for a link to /dev/zero",
            _preview(_image_to_dev_zero),
            (),
            0,
        ),
        # round one (SECURITY-NOTES.md cases 1–12), briefly
        Case(
            "attachment of a local file",
            "round one",
            "<a rel=attachment href=…/canary.txt>",
            _broken_book(
                {}, lesson='# One\n\n<p><a rel=attachment href="../../canary.txt">x</a></p>\n'
            ),
            ("path-outside",),
        ),
        Case(
            "requests to the network",
            "round one",
            "img, CSS and SVG pointing at loopback",
            _network,
            ("remote-image",),
        ),
        Case(
            "path traversal",
            "round one",
            "![](../../../../etc/passwd)",
            _broken_book({}, lesson="# One\n\n![x](../../../../etc/passwd)\n"),
            ("path-outside",),
        ),
        Case(
            "decompression bomb",
            "round one",
            "a 400-megapixel PNG in a lesson",
            _broken_book(
                {"images/a.png": png(20_000, 20_000, zlib.compress(b"\0" * 4096))},
                lesson="# One\n\n![A block](../images/a.png)\n",
            ),
            ("image",),
        ),
        Case(
            "YAML alias bomb",
            "round one",
            "a billion-laughs book.yaml",
            _broken_book(
                {
                    "book.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a]\n"
                    "title: T\nlanguage: en\nchapters: [lessons/one.md]\n"
                }
            ),
            ("yaml",),
        ),
        Case(
            "output onto a lesson",
            "round one",
            "the output is a link to a lesson",
            _output_onto_lesson,
            ("output",),
            1,
            _lesson_unchanged,
        ),
    ]


def _dependent(parent: str) -> str:
    return (
        '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" default-locale="en-GB">'
        f'<info><title>House</title><id>house</id><link href="{parent}" rel="independent-parent"/>'
        "</info></style>"
    )


def _image_link_out(env: Env) -> Run:
    lesson = "# One\n\n![A block](../images/a.png)\n\nText [@marx1867].\n"
    write_book(env.book, lesson)
    secret = env.folder / "secret.png"
    secret.write_bytes(png() + env.canary)  # a real PNG, the canary after its end
    (env.book / "images").mkdir(parents=True, exist_ok=True)
    (env.book / "images" / "a.png").symlink_to(secret)
    return build_args(env)


def _cover_link_out(env: Env) -> Run:
    write_book(env.book, extra="cover: cover.png\n")
    secret = env.folder / "secret.png"
    secret.write_bytes(png(16, 24) + env.canary)
    (env.book / "cover.png").symlink_to(secret)
    return build_args(env)


def _folder_link_out(env: Env) -> Run:
    write_book(env.book)
    outside = env.folder / "elsewhere"
    outside.mkdir()
    (outside / "one.md").write_bytes(b"# One\n\n" + env.canary + b"\n")
    shutil.rmtree(env.book / "lessons")
    (env.book / "lessons").symlink_to(outside)
    return build_args(env)


def _image_pipe(env: Env) -> Run:
    write_book(env.book, "# One\n\n![A block](../images/a.png)\n")
    (env.book / "images").mkdir()
    os.mkfifo(env.book / "images" / "a.png")
    return build_args(env)


def _image_dev_zero(env: Env) -> Run:
    write_book(env.book, "# One\n\n![A block](../images/a.png)\n")
    (env.book / "images").mkdir()
    (env.book / "images" / "a.png").symlink_to("/dev/zero")
    return build_args(env)


def _output_is_a_file(env: Env) -> Run:
    write_book(env.book)
    env.out.write_text("a file")
    return build_args(env)


def _output_onto_lesson(env: Env) -> Run:
    write_book(env.book)
    env.out.mkdir()
    (env.out / "hostile.pdf").symlink_to(env.book / "lessons" / "one.md")
    return build_args(env)


def _lesson_unchanged(env: Env, result: Result) -> str | None:
    lesson = (env.book / "lessons" / "one.md").read_text(encoding="utf-8")
    return None if lesson == LESSON else "the lesson was overwritten"


def _stale_temporary(env: Env) -> Run:
    write_book(env.book)
    env.out.mkdir()
    (env.out / ".hostile.pdf.k1ll3d.tmp").write_bytes(b"")
    (env.out / ".hostile.epub.k1ll3d.tmp").write_bytes(b"half an epub")
    return build_args(env)


def _no_temporaries(env: Env, result: Result) -> str | None:
    left = [p.name for p in env.out.iterdir() if p.name.endswith(".tmp")]
    return f"left {left}" if left else None


def _hostile_names(env: Env) -> Run:
    name = "one\x1b]0;pwned\x07\x1b[2J\nnext\u202e.md"
    write_book(env.book)
    (env.book / "book.yaml").write_text(
        f"title: T\nlanguage: en\nchapters: [{_yaml_quoted('lessons/' + name)}, "
        f"{_yaml_quoted('lessons/missing' + name)}]\n"
    )
    (env.book / "lessons" / name).write_text("# Two\n\nText [@marx1867].\n")
    return build_args(env)


def _yaml_quoted(text: str) -> str:
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


def _catalog(env: Env) -> Run:
    write_book(env.book / "good", title="Good")
    write_book(
        env.book / "bad",
        title="Bad",
        extra="citation_style: house.csl\n",
        files={"house.csl": "<<<"},
    )
    return Run(("build", str(env.book), "-o", str(env.out)))


def _catalog_check(env: Env, result: Result) -> str | None:
    if not (env.out / "good.epub").exists():
        return "the good book of the catalog was not built"
    return None


def _wrote_two(env: Env, result: Result) -> str | None:
    written = (
        [p for p in env.out.iterdir() if p.suffix in (".pdf", ".epub")] if env.out.is_dir() else []
    )
    if len(written) != 2:
        return f"wrote {len(written)} outputs, not 2"
    if any(len(p.name.encode()) > 255 for p in written):
        return "a file name longer than 255 bytes"
    return None


def _network(env: Env) -> Run:
    lesson = (
        f"# One\n\n![remote]({env.url}/img.png)\n\n"
        f'<p style="background: url({env.url}/inline.png)">styled</p>\n\n'
        f'<svg><image href="{env.url}/svg.png"/></svg>\n\nText [@marx1867].\n'
    )
    write_book(env.book, lesson)
    return build_args(env)


CASES: list[Case] = _cases()
