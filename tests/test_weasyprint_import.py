"""WeasyPrint imported without running other programs (see
coursebook.formats.pdf.layout.import_weasyprint), and as WeasyPrint does it where that
can't be done. Each in a fresh interpreter: an import happens once per process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the Linux import")

RENDERS = """
document = weasyprint.HTML(string="<p>Capital</p>").render()
print("pages:", len(document.pages))
"""


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script) + RENDERS],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_weasyprint_is_imported_without_running_a_program() -> None:
    out = _run(
        """
        import subprocess
        ran = []
        popen = subprocess.Popen.__init__
        def spied(self, args, *rest, **kwargs):
            ran.append(args)
            popen(self, args, *rest, **kwargs)
        subprocess.Popen.__init__ = spied
        from coursebook.formats.pdf.layout import import_weasyprint
        weasyprint = import_weasyprint()
        print("ran:", ran)
        """
    )
    assert out.splitlines() == ["ran: []", "pages: 1"]


def test_weasyprint_is_imported_as_it_imports_itself_where_its_libraries_have_other_names() -> None:
    """A system whose libraries don't load by the sonames WeasyPrint lists: imported again
    with ``find_library``, which finds them; WeasyPrint's advice for a missing library not
    printed meanwhile."""
    out = _run(
        """
        import ctypes.util
        import cffi.api
        from coursebook.formats.pdf import layout
        load = cffi.api._load_backend_lib
        def other_names(backend, name, flags):
            if ctypes.util.find_library is layout._found_nothing:
                raise OSError(f"no library {name}")
            return load(backend, name, flags)
        cffi.api._load_backend_lib = other_names
        weasyprint = layout.import_weasyprint()
        print("find_library restored:", ctypes.util.find_library is not layout._found_nothing)
        """
    )
    assert out.splitlines() == ["find_library restored: True", "pages: 1"]
