"""Realistic synthetic courses for the speed benchmark, the same for coursebook and pandoc.

A course of N lessons, in chapters of four, each lesson about 2,400 words: paragraphs of prose
(a word-level Markov chain trained on the sample book's lessons, so sentences have the length
and rhythm of a real course), sections, block quotes, bulleted and numbered lists, a table in
every other lesson, a chart (a PNG drawn with Pillow) in every fourth, authored footnotes, and
20–40 citations with locators, prefixes and several sources, over a few hundred sources of
every type a course cites (CSL-JSON, which both tools read). Generation is deterministic: the
same seed gives the same course, byte for byte.

    .venv/bin/python benchmarks/course_generator.py OUT_DIR --lessons 40 [--seed 1]

writes OUT_DIR/ as a coursebook folder (book.yaml, sources.json, lessons/, images/) and
OUT_DIR/pandoc.md, the same text as one pandoc Markdown document (lessons under chapter
headings, footnote labels made unique, front matter as pandoc metadata).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
LESSONS_PER_CHAPTER = 4
WORDS_PER_LESSON = 2400
WORDS_PER_CITATION = 80  # about 30 citations in a lesson

FIRST_NAMES = [
    "Leon",
    "Rosa",
    "Isaac",
    "Clara",
    "Antonio",
    "Natalia",
    "Victor",
    "Alexandra",
    "Pierre",
    "Ernest",
    "Tamara",
    "Karl",
    "Nadezhda",
    "Edward",
    "Eleanor",
    "Moshe",
    "Sylvia",
    "Hal",
    "Ruth",
    "Tony",
    "Marcel",
    "Jane",
    "Ted",
    "Ygael",
    "Ernest",
    "Lucía",
    "João",
    "Anna",
]
LAST_NAMES = [
    "Trotsky",
    "Luxemburg",
    "Deutscher",
    "Zetkin",
    "Gramsci",
    "Sedova",
    "Serge",
    "Kollontai",
    "Broué",
    "Mandel",
    "Carr",
    "Marx",
    "Krupskaya",
    "Hallas",
    "Cliff",
    "Pankhurst",
    "Lewin",
    "Rabinowitch",
    "Draper",
    "Grant",
    "Woods",
    "Smith",
    "Fitzpatrick",
    "Figes",
    "Service",
    "Getty",
    "Kotkin",
    "Haupt",
    "Rousset",
    "Van Heijenoort",
    "Souza",
    "Ferreira",
    "Morales",
]
PUBLISHERS = [
    ("Pathfinder Press", "New York"),
    ("Verso", "London"),
    ("Oxford University Press", "Oxford"),
    ("Monthly Review Press", "New York"),
    ("Haymarket Books", "Chicago"),
    ("Penguin", "Harmondsworth"),
    ("Macmillan", "London"),
    ("Wellred Books", "London"),
    ("Pluto Press", "London"),
    ("Cambridge University Press", "Cambridge"),
    ("Yale University Press", "New Haven"),
    ("Progress Publishers", "Moscow"),
]
JOURNALS = [
    "New International",
    "Fourth International",
    "The Militant",
    "Slavic Review",
    "Critique",
    "Revolutionary History",
    "New Left Review",
    "Soviet Studies",
    "International Socialism",
    "Bulletin of the Opposition",
]
TYPES = [  # (CSL type, weight): books and articles most, the rest now and then
    ("book", 30),
    ("chapter", 14),
    ("article-journal", 14),
    ("article-newspaper", 10),
    ("article-magazine", 8),
    ("webpage", 6),
    ("speech", 4),
    ("personal_communication", 4),
    ("report", 4),
    ("thesis", 3),
    ("manuscript", 3),
]
LOCATORS = ["p. {n}", "pp. {n}–{m}", "chap. {c}", "sec. {c}", "para. {c}", "vol. {c}, p. {n}"]
PREFIXES = ["see", "cf.", "quoted in", "see also"]


@dataclass(frozen=True)
class Course:
    folder: Path
    lessons: int
    words: int
    citations: int
    sources: int


class Prose:
    """Sentences from a word-level Markov chain (order 2) over the sample book's lessons."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words: list[str] = []
        for lesson in sorted((ROOT / "book" / "lessons").glob("*.md")):
            body = lesson.read_text(encoding="utf-8").split("---", 2)[-1]
            body = re.sub(r"\[[^\]]*@[^\]]*\]|^#+ .*$|^> ?|[*_\[\]]", " ", body, flags=re.M)
            words += body.split()
        self.chain: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a, b, c in zip(words, words[1:], words[2:], strict=False):
            self.chain[(a, b)].append(c)
        self.starts = [key for key in self.chain if key[0][:1].isupper()]

    def sentence(self, low: int = 8, high: int = 30) -> str:
        a, b = self.rng.choice(self.starts)
        out = [a, b]
        length = self.rng.randint(low, high)
        while len(out) < length or not out[-1].endswith((".", "?", "!")):
            following = self.chain.get((a, b))
            if not following or len(out) > high + 20:
                break
            a, b = b, self.rng.choice(following)
            out.append(b)
        text = " ".join(out).rstrip(",;:")
        return text if text.endswith((".", "?", "!", "”", "’")) else text + "."

    def words(self, low: int, high: int) -> str:
        sentence = self.sentence(low, high).rstrip(".?!”’")
        return " ".join(sentence.split()[: self.rng.randint(low, high)])

    def title(self) -> str:
        return self.words(3, 7).strip("“”‘’\"',;:—…").capitalize() or "Untitled"


def generate(folder: Path, lessons: int, seed: int = 1) -> Course:
    rng = random.Random(seed)
    prose = Prose(rng)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lessons").mkdir(exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    sources = _sources(rng, prose, max(60, lessons * 8))
    (folder / "sources.json").write_text(
        json.dumps(sources, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    keys = [source["id"] for source in sources]
    cited: set[str] = set()
    chapters: list[list[str]] = []
    pandoc = [_pandoc_metadata(lessons)]
    counts = {"words": 0, "citations": 0}
    for number in range(1, lessons + 1):
        if (number - 1) % LESSONS_PER_CHAPTER == 0:
            chapters.append([])
            pandoc.append(f"\n# {prose.title()}\n")
        lesson = _Lesson(rng, prose, keys, number, folder)
        text = lesson.write()
        name = f"lessons/{number:03}-{_slug(lesson.title)}.md"
        (folder / name).write_text(text, encoding="utf-8")
        chapters[-1].append(name)
        pandoc.append(lesson.for_pandoc())
        cited |= lesson.cited
        counts["words"] += lesson.words
        counts["citations"] += lesson.citations
    # Every source is cited somewhere, as in a real course (and no unused-source warnings).
    uncited = [key for key in keys if key not in cited]
    if uncited:
        extra = "\n\nFurther reading: " + "; ".join(f"[@{key}]" for key in uncited) + ".\n"
        last = folder / chapters[-1][-1]
        last.write_text(last.read_text(encoding="utf-8") + extra, encoding="utf-8")
        pandoc.append(extra)
        counts["citations"] += len(uncited)
    (folder / "book.yaml").write_text(_manifest(prose, chapters, lessons), encoding="utf-8")
    (folder / "pandoc.md").write_text("".join(pandoc), encoding="utf-8")
    return Course(folder, lessons, counts["words"], counts["citations"], len(sources))


class _Lesson:
    def __init__(
        self, rng: random.Random, prose: Prose, keys: list[str], number: int, folder: Path
    ) -> None:
        self.rng, self.prose, self.keys, self.number, self.folder = rng, prose, keys, number, folder
        self.title = prose.title()
        self.cited: set[str] = set()
        self.citations = 0
        self.words = 0
        self.footnotes: list[str] = []
        self.budget = rng.randint(20, 40)  # citations in this lesson

    def write(self) -> str:
        questions = "".join(
            f"  - {json.dumps(self.prose.sentence(8, 16).rstrip('.') + '?', ensure_ascii=False)}\n"
            for _ in range(self.rng.randint(2, 4))
        )
        summary = json.dumps(self.prose.sentence(12, 24), ensure_ascii=False)
        front = (
            f"---\ntitle: {json.dumps(self.title, ensure_ascii=False)}\nnumber: {self.number}\n"
            f"summary: {summary}\nquestions:\n{questions}---\n\n"
        )
        self.body = self._body()
        return front + self.body

    def for_pandoc(self) -> str:
        body = re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 1) + " ", self.body, flags=re.M)
        body = body.replace("[^", f"[^l{self.number}-").replace("](../images/", "](images/")
        return f"\n## Lesson {self.number}: {self.title}\n\n{body}"

    def _body(self) -> str:
        blocks: list[str] = []
        sections = self.rng.randint(2, 4)
        per_section = WORDS_PER_LESSON // (sections + 1)
        blocks += self._section(per_section)
        for index in range(sections):
            blocks.append(f"## {self.prose.title()}")
            blocks += self._section(per_section, index)
        if self.number % 2 == 0:
            blocks.insert(len(blocks) // 2, self._table())
        if self.number % 4 == 1:
            blocks.insert(3, self._image())
        blocks += [f"[^{n}]: {text}" for n, text in enumerate(self.footnotes, 1)]
        return "\n\n".join(blocks) + "\n"

    def _section(self, words: int, index: int = 0) -> list[str]:
        blocks: list[str] = []
        written = 0
        while written < words:
            kind = self.rng.random()
            if kind < 0.12:
                blocks.append(self._quote())
            elif kind < 0.18:
                blocks.append(self._list(ordered=self.rng.random() < 0.4))
            else:
                blocks.append(self._paragraph())
            written += len(blocks[-1].split())
        self.words += written
        return blocks

    def _paragraph(self) -> str:
        sentences = [self.prose.sentence() for _ in range(self.rng.randint(3, 7))]
        for at, sentence in enumerate(sentences):
            chance = len(sentence.split()) / WORDS_PER_CITATION
            if self.citations < self.budget and self.rng.random() < chance:
                sentences[at] = sentence.rstrip(".") + " " + self._citation() + "."
        if self.rng.random() < 0.08:
            self.footnotes.append(self._footnote_text())
            sentences[-1] += f"[^{len(self.footnotes)}]"
        return " ".join(sentences)

    def _quote(self) -> str:
        lines = [self.prose.sentence(15, 40) for _ in range(self.rng.randint(1, 3))]
        lines[-1] += " " + self._citation(locator=True)
        return "\n>\n".join(f"> {line}" for line in lines)

    def _list(self, ordered: bool) -> str:
        items = [self.prose.sentence(6, 18) for _ in range(self.rng.randint(3, 6))]
        return "\n".join((f"{n}. " if ordered else "- ") + item for n, item in enumerate(items, 1))

    def _table(self) -> str:
        years = sorted(self.rng.sample(range(1917, 1941), 5))
        rows = [
            f"| {year} | {self.rng.randint(10, 99)}% | {self.prose.words(2, 5)} |" for year in years
        ]
        return "\n".join(["| Year | Share | Note |", "|---:|---:|---|", *rows])

    def _image(self) -> str:
        name = f"images/chart-{self.number:03}.png"
        _chart(self.folder / name, self.rng)
        return f"![A bar chart of output by year, lesson {self.number}](../{name})"

    def _footnote_text(self) -> str:
        text = self.prose.sentence(10, 30)
        if self.rng.random() < 0.5:
            text = text.rstrip(".") + " " + self._citation() + "."
        return text

    def _citation(self, locator: bool | None = None) -> str:
        self.citations += 1
        count = 1 if self.rng.random() < 0.85 else 2
        items = []
        for _ in range(count):
            key = self.rng.choice(self.keys)
            self.cited.add(key)
            item = f"@{key}"
            if locator or (locator is None and self.rng.random() < 0.7):
                item += ", " + _locator(self.rng)
            items.append(item)
        prefix = self.rng.choice(PREFIXES) + " " if self.rng.random() < 0.15 else ""
        return f"[{prefix}{'; '.join(items)}]"


def _locator(rng: random.Random) -> str:
    n = rng.randint(3, 480)
    return rng.choice(LOCATORS).format(n=n, m=n + rng.randint(1, 9), c=rng.randint(1, 14))


def _sources(rng: random.Random, prose: Prose, count: int) -> list[dict[str, object]]:
    kinds = [kind for kind, weight in TYPES for _ in range(weight)]
    sources = []
    for index in range(count):
        kind = rng.choice(kinds)
        family = rng.choice(LAST_NAMES)
        year = rng.randint(1890, 2024)
        source: dict[str, object] = {
            "id": f"{_slug(family).replace('-', '')}{year}{index}",
            "type": kind,
            "title": prose.title(),
            "issued": {"date-parts": [[year]]},
        }
        if rng.random() < 0.92:
            authors = [
                {"family": rng.choice(LAST_NAMES), "given": rng.choice(FIRST_NAMES)}
                for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 3))
            ]
            authors[0]["family"] = family
            source["author"] = authors
        else:
            source["author"] = [{"literal": "Communist International"}]
        publisher, place = rng.choice(PUBLISHERS)
        if kind in ("book", "chapter", "report", "thesis"):
            source["publisher"], source["publisher-place"] = publisher, place
        if kind == "chapter":
            source["container-title"] = prose.title()
            source["editor"] = [
                {"family": rng.choice(LAST_NAMES), "given": rng.choice(FIRST_NAMES)}
            ]
            source["page"] = f"{rng.randint(1, 200)}–{rng.randint(201, 400)}"
        if kind.startswith("article"):
            source["container-title"] = rng.choice(JOURNALS)
            source["volume"] = str(rng.randint(1, 40))
            source["issue"] = str(rng.randint(1, 12))
            source["page"] = f"{rng.randint(1, 60)}–{rng.randint(61, 120)}"
        if kind == "thesis":
            source["genre"] = "PhD diss."
        if kind == "manuscript":  # held somewhere a reader can find it (Chicago lists it then)
            source["archive"], source["archive-place"] = "Hoover Institution Archives", "Stanford"
        if kind == "book" and rng.random() < 0.2:
            source["translator"] = [
                {"family": rng.choice(LAST_NAMES), "given": rng.choice(FIRST_NAMES)}
            ]
        if (
            kind in ("webpage", "speech", "personal_communication", "article-newspaper")
            or rng.random() < 0.3
        ):
            source["URL"] = f"https://www.example.org/archive/{year}/{index:04}.htm"
        sources.append(source)
    return sources


def _chart(path: Path, rng: random.Random) -> None:
    image = Image.new("RGB", (900, 540), "white")
    draw = ImageDraw.Draw(image)
    for bar in range(12):
        height = rng.randint(40, 460)
        draw.rectangle((40 + bar * 70, 500 - height, 90 + bar * 70, 500), fill=(60, 90, 140))
    draw.line((30, 500, 880, 500), fill="black", width=3)
    image.save(path, optimize=True)


def _manifest(prose: Prose, chapters: list[list[str]], lessons: int) -> str:
    parts = [
        f"title: A synthetic course of {lessons} lessons\n",
        "language: en\n",
        "course_id: 900\n",
        "published: 2026-02-10\n",
        "publisher: Benchmark Press\n",
        "sources: sources.json\n",
        "chapters:\n",
    ]
    for chapter in chapters:
        parts.append(f"  - title: {json.dumps(prose.title(), ensure_ascii=False)}\n    lessons:\n")
        parts += [f"      - {name}\n" for name in chapter]
    return "".join(parts)


def _pandoc_metadata(lessons: int) -> str:
    return (
        f"---\ntitle: A synthetic course of {lessons} lessons\nlang: en\n"
        "publisher: Benchmark Press\ndate: 2026-02-10\n---\n"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lessons", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    course = generate(args.out, args.lessons, args.seed)
    print(
        f"{course.folder}: {course.lessons} lessons, {course.words:,} words, "
        f"{course.citations:,} citations of {course.sources} sources"
    )


if __name__ == "__main__":
    main()
