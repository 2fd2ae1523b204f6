"""Every image, the cover included, judged by its bytes, and read back only as checked."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from benchmarks.hostile_cases import png
from PIL import Image

from coursebook.core.limits import Limits
from coursebook.source.images import ImageProblem, check_image, image_data, sniff


def roots(tmp_path: Path) -> tuple[Path, ...]:
    return (tmp_path.resolve(),)


def test_a_truncated_image_is_refused_even_once_weasyprint_is_imported(tmp_path: Path) -> None:
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the check
    must not let a truncated file pass because of it."""
    import weasyprint  # noqa: F401  (imported for its side effect on Pillow)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # what WeasyPrint did
    image = tmp_path / "cut.png"
    image.write_bytes(png(200, 200)[:-60])
    with pytest.raises(ImageProblem, match="damaged or truncated"):
        check_image(image, roots(tmp_path), Limits())
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # and left as it was


# Found by tests/test_fuzz_files.py: an 8 × 6 PNG whose IDAT chunk repeats with its length
# bytes cut, the chunks after the first unreadable. Read strictly it decodes (the first IDAT
# holds every pixel); read as WeasyPrint has Pillow read it (truncated images allowed), a
# chunk is skipped by a read past the end, and writing the PDF failed ("Truncated File Read").
CUT_SHORT_CHUNK = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x06\x08\x02\x00"
    b"\x00\x00qgH\xac\x00\x00\x00\x11IDATx\x9cc8!'\x87\x151\x0c\xa4\x04\x00i\x880\xc1"
    b"\x00\x11IDATx\x9cc8!'\x87\x151\x0c\xa4\x04\x00i\x880\xc1"
    b"\x00\x11IDATx\x9cc8!'\x87\x151\x0c\xa4\x04\x00i\x880\xc1"
    b"d\x85\xa2\xe2\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_an_image_that_weasyprint_would_fail_on_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "cut.png"
    image.write_bytes(CUT_SHORT_CHUNK)
    with pytest.raises(ImageProblem, match="damaged or truncated"):
        check_image(image, roots(tmp_path), Limits())


def test_the_type_is_the_bytes_not_the_name(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="JPEG")
    image = tmp_path / "photo.png"
    image.write_bytes(out.getvalue())
    with pytest.raises(ImageProblem, match="its name says a PNG image, but the file is a JPEG"):
        check_image(image, roots(tmp_path), Limits())
    assert sniff(b"<html><body>") is None and sniff(b"\n<svg/>") == "image/svg+xml"


def test_pixels_are_counted_before_decoding_and_frames_together(tmp_path: Path) -> None:
    image = tmp_path / "big.png"
    image.write_bytes(png(300, 200))
    with pytest.raises(ImageProblem, match="300 × 200 pixels, more than the limit of 50,000"):
        check_image(image, roots(tmp_path), Limits(image_pixels=50_000))
    frames = [Image.new("RGB", (100, 100), (i, 0, 0)) for i in range(10)]
    gif = tmp_path / "many.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageProblem, match="its frames hold more than the limit"):
        check_image(gif, roots(tmp_path), Limits(image_pixels=50_000))
    assert check_image(gif, roots(tmp_path), Limits()).width == 100


def test_the_cover_takes_png_or_jpeg_only(tmp_path: Path) -> None:
    gif = tmp_path / "cover.gif"
    Image.new("RGB", (4, 4)).save(gif)
    with pytest.raises(ImageProblem, match="use JPEG or PNG"):
        check_image(gif, roots(tmp_path), Limits(), ("image/png", "image/jpeg"))


def test_what_is_read_back_is_what_was_checked(tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(png())
    checked = check_image(image, roots(tmp_path), Limits())
    assert image_data(checked) == png()
    image.write_bytes(png(9, 9))  # another picture, as valid
    with pytest.raises(ImageProblem, match="changed while the book was being built"):
        image_data(checked)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(png())
    image.unlink()
    image.symlink_to(outside)  # the same bytes, but outside the book now
    with pytest.raises(ImageProblem, match="leads outside the book folder"):
        image_data(checked)


def test_image_names_epub_forbids_get_safe_names_in_the_package(make_book, tmp_path: Path) -> None:
    """An image named with a space, non-ASCII letters or in a folder with a space: shown in
    every output; inside the EPUB under a plain name (EPUBCheck RSC-020 and PKG-010 on the
    names as written), two such names never one. `check` and EPUBCheck agree: no problem."""
    import zipfile

    from coursebook.core.diagnostics import Diagnostics
    from coursebook.pipeline.build import build

    from .conftest import epubcheck, output

    names = ["Grain output 1932.png", "Straße.png", "my images/a b.png", "my images/a_b.png"]
    body = "\n\n".join(f"![Figure {i}](../{name})" for i, name in enumerate(names))
    folder = make_book({"lessons/one.md": f"# One\n\nAs said [@marx1867].\n\n{body}\n"})
    for name in names:
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(png(20 + len(name), 10))
    diagnostics = Diagnostics()
    result = build(folder, ("epub", "pdf"), tmp_path / "out", diagnostics=diagnostics)
    assert diagnostics.items == []
    epub = output(result, "epub")
    media = [n for n in zipfile.ZipFile(epub).namelist() if n.startswith("EPUB/media/")]
    assert len(media) == 4
    assert all(re.fullmatch(r"EPUB/media/[A-Za-z0-9/._-]+", n) for n in media), media
    assert "EPUB/media/my-images-" in " ".join(media)  # the folder too
    assert epubcheck(epub) == []
    listing = subprocess.run(
        ["pdfimages", "-list", str(output(result, "pdf"))], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    widths = sorted(int(line.split()[3]) for line in listing)
    assert widths == sorted(20 + len(name) for name in names)  # each its own image


def test_a_raster_decoded_whole_once_is_known_by_its_bytes(tmp_path: Path) -> None:
    """An image decoded completely by an earlier build is known by a hash of its bytes,
    the limit and the checker, and not decoded again (shown with what only the memo could
    pass: bytes cut short, their header whole, said to be known); a kept size its header
    doesn't give, or kept under another limit, is not believed: the image is decoded and
    judged; a kept size is still held to the limit."""
    from coursebook.parse.lessons.memo import ConvertedMemo
    from coursebook.source.images import decoded_key

    limit = Limits().image_pixels
    image = tmp_path / "chart.png"
    whole = png(200, 150)
    image.write_bytes(whole)
    sizes = ConvertedMemo(None, tmp_path, "en")  # the build's memo, without a cache folder
    first = check_image(image, roots(tmp_path), Limits(), decoded=sizes)
    assert (first.width, first.height) == (200, 150)
    assert sizes.used == {f"decoded:{decoded_key(whole, 'image/png', limit)}": [200, 150]}
    cut = whole[:-60]
    image.write_bytes(cut)
    with pytest.raises(ImageProblem, match="damaged or truncated"):
        check_image(image, roots(tmp_path), Limits(), decoded=sizes)
    known = f"decoded:{decoded_key(cut, 'image/png', limit)}"
    sizes.known[known] = [200, 150]
    again = check_image(image, roots(tmp_path), Limits(), decoded=sizes)
    assert (again.width, again.height) == (200, 150)  # taken from the memo, not decoded
    with pytest.raises(ImageProblem, match="damaged or truncated"):
        check_image(image, roots(tmp_path), Limits(image_pixels=limit - 1), decoded=sizes)
    sizes.known[known] = [201, 150]
    with pytest.raises(ImageProblem, match="damaged or truncated"):
        check_image(image, roots(tmp_path), Limits(), decoded=sizes)
    sizes.known[f"decoded:{decoded_key(cut, 'image/png', 20_000)}"] = [200, 150]
    with pytest.raises(ImageProblem, match="more than the limit of 20,000"):
        check_image(image, roots(tmp_path), Limits(image_pixels=20_000), decoded=sizes)


def test_an_edits_build_takes_its_images_sizes_from_the_cache(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sizes kept are in the cache of the output folder, with the lessons' Markdown: the
    next build reads them and decodes nothing (the decoding counted as it runs)."""
    import json

    from coursebook.pipeline.build import BuildOptions, build
    from coursebook.source import images

    book = make_book({"lessons/one.md": "# One\n\n![A chart](../chart.png)\n\nText.\n"})
    (book / "chart.png").write_bytes(png(40, 30))
    decoded: list[int] = []
    real = images._decoded_size

    def counted(raw: bytes, media_type: str, max_pixels: int) -> tuple[int, int]:
        decoded.append(len(raw))
        return real(raw, media_type, max_pixels)

    monkeypatch.setattr(images, "_decoded_size", counted)
    out = tmp_path / "out"
    build(book, ("epub",), out, BuildOptions())
    assert decoded == [len(png(40, 30))]
    (memo,) = (out / ".coursebook-cache").glob("markdown-*")
    kept = json.loads(memo.read_text("utf-8"))
    assert [v for k, v in kept.items() if k.startswith("decoded:")] == [[40, 30]]
    build(book, ("epub",), out, BuildOptions(force=True))
    assert decoded == [len(png(40, 30))]  # not decoded again
    memo.unlink()
    build(book, ("epub",), out, BuildOptions(force=True))
    assert decoded == [len(png(40, 30))] * 2
