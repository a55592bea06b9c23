"""Every reference in the repository resolves inside the repository.

Users get the repository and nothing else, so no text may point to design notes kept
outside it, every relative Markdown link must reach an existing file (and heading), every
"docs/ODD.md §N" citation must name a numbered heading of docs/ODD.md, and every file path
quoted in backticks in Markdown must exist. Fast: reads text files, runs no model.
"""

import re
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ODD = Path("docs/ODD.md")

# Folders never scanned when git is not available (tool state, outputs, caches).
SKIP_DIRS = {".git", ".venv", "results", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist"}

# Files a reader does not have. The strings are assembled from pieces so that this file
# does not match its own patterns and can be scanned like every other file.
_MD = "." + "md"
FORBIDDEN = re.compile(
    "|".join(
        [r"\b" + re.escape(name + _MD) for name in ("MODEL", "ARCHITECTURE", "STYLE")]
        + [re.escape(".." + "/shared"), re.escape("shared/" + "design"), re.escape("shared/" + "seeds")]
    )
)

# Backticked paths in Markdown that a user creates, or that a run writes, and so are not in
# the repository. Each entry says why it is allowed.
PLACEHOLDERS = {
    "scenarios/my-region.toml",  # README: the file `ecosim new` creates for the reader
}
OUTPUT_PREFIXES = ("results/",)  # run outputs: written by `ecosim run`, not kept in git

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[(?P<text>[^\]\n]*)\]\((?P<target><[^>\n]*>|[^)\s]+)(?:\s+\"[^\"\n]*\")?\)")
LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*(?P<target>\S+)")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
NUMBERED_HEADING = re.compile(r"^(?P<number>\d+(?:\.\d+)*)\.?\s")
# "docs/ODD.md §7.3", "ODD.md §3 and §7", "ODD §7.6c": the numbers after the name.
CITATION = re.compile(
    r"\bODD(?:\.md)?,?\s+(?P<sections>§\s*\d+(?:\.\d+)*[a-z]?(?:\s*(?:,|and|or|to|–|-|/)\s*§?\s*\d+(?:\.\d+)*[a-z]?)*)"
)
SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*")
# Inside docs/ODD.md itself: "§N" and "section N" refer to its own numbered headings.
OWN_CITATION = re.compile(r"(?:§\s*|\bsection\s+)(?P<number>\d+(?:\.\d+)*)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
PATH_SUFFIXES = (".py", ".toml", ".md", ".sh", ".json", ".cfg", ".yml", ".yaml", ".txt")


@dataclass
class Scan:
    """What a scan looked at and every dangling reference it found."""

    files: int = 0
    references: int = 0
    problems: list[str] = field(default_factory=list)

    def report(self, path: Path, line: int, what: str, found: str) -> None:
        self.problems.append(f"{path.as_posix()}:{line}: {what}: {found}")


def repository_files(root: Path) -> list[Path]:
    """Tracked files and new ones not ignored (relative paths), or a walk of the tree without git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        names = sorted({name for name in listed.split("\0") if name})
        files = [Path(name) for name in names]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p.relative_to(root)
            for p in sorted(root.rglob("*"))
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts)
        ]
    return [f for f in files if (root / f).is_file()]


def read_text(path: Path) -> str | None:
    """The file's text, or None if it is not UTF-8 text."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of a Markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link renders as its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown text, with GitHub's -1, -2 suffixes for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match["text"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def numbered_sections(text: str) -> set[str]:
    """The numbers of the numbered headings ('## 7. Submodels' gives '7', '### 7.3 ...' gives '7.3')."""
    result = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if match is not None and len(match["hashes"]) >= 2:
            number = NUMBERED_HEADING.match(match["text"])
            if number is not None:
                result.add(number["number"])
    return result


class Repository:
    """The repository's files, read once, with lookups for the checks."""

    def __init__(self, root: Path, files: list[Path]):
        self.root = root
        self.names = {f.as_posix() for f in files}
        self.dirs = {parent.as_posix() for f in files for parent in f.parents if parent != Path(".")}
        self._texts: dict[Path, str | None] = {}

    def text(self, path: Path) -> str | None:
        if path not in self._texts:
            self._texts[path] = read_text(self.root / path)
        return self._texts[path]

    def exists(self, name: str) -> bool:
        name = name.rstrip("/")
        return name in self.names or name in self.dirs

    def matches(self, pattern: str) -> list[str]:
        """The repository files or folders a path, a glob, or a path without its leading folders names."""
        pattern = pattern.rstrip("/")
        if any(ch in pattern for ch in "*?["):
            return sorted(name for name in self.names if Path(name).match(pattern))
        if self.exists(pattern):
            return [pattern]
        return sorted(name for name in self.names | self.dirs if name.endswith("/" + pattern))


def check_forbidden(path: Path, text: str, scan: Scan) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in FORBIDDEN.finditer(line):
            scan.report(path, number, "mentions a file outside the repository", match.group(0))


def check_citations(path: Path, text: str, sections: set[str], scan: Scan) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in CITATION.finditer(line):
            for section in SECTION_NUMBER.findall(match["sections"]):
                scan.references += 1
                if section not in sections:
                    scan.report(path, number, f"no section §{section} in {ODD.as_posix()}", match.group(0))
        if path == ODD:
            for match in OWN_CITATION.finditer(line):
                scan.references += 1
                if match["number"] not in sections:
                    scan.report(path, number, "no such numbered section in this file", match.group(0))


def check_link(repo: Repository, path: Path, number: int, target: str, scan: Scan) -> None:
    target = target.strip("<>")
    if SCHEME.match(target) or target.startswith("//"):
        return  # a web address: not checked offline
    scan.references += 1
    location, _, anchor = target.partition("#")
    location = urllib.parse.unquote(location)
    if location:
        base = Path() if location.startswith("/") else path.parent
        resolved = Path(*(base / location.lstrip("/")).parts)
        parts: list[str] = []
        for part in resolved.parts:
            if part == "..":
                if not parts:
                    scan.report(path, number, "link leaves the repository", target)
                    return
                parts.pop()
            elif part != ".":
                parts.append(part)
        linked = Path(*parts) if parts else Path()
        if parts and not repo.exists(linked.as_posix()):
            scan.report(path, number, "link to a missing file", target)
            return
    else:
        linked = path
    if anchor and linked.suffix == ".md":
        text = repo.text(linked)
        if text is None or urllib.parse.unquote(anchor) not in anchors(text):
            scan.report(path, number, f"no heading with this anchor in {linked.as_posix()}", target)


def looks_like_path(code: str, top_level: set[str]) -> bool:
    """A repository path (`src/ecosim/x.py`), or a shorter one such as `kernels/x.py` or `x.py`."""
    if not code or any(ch.isspace() for ch in code) or code.startswith(("~", "/", "-", ".")):
        return False
    if not re.fullmatch(r"[\w./*…-]+", code):
        return False
    if "/" in code and code.split("/", 1)[0] in top_level:
        return True
    # Shorter paths, as docs/ODD.md writes code references relative to src/ecosim/.
    return code.endswith(PATH_SUFFIXES[:4]) or ("/" in code and code.endswith("/"))


def check_markdown(repo: Repository, path: Path, text: str, scan: Scan) -> None:
    top_level = {Path(name).parts[0] for name in repo.names if len(Path(name).parts) > 1}
    for number, line in prose_lines(text):
        for match in INLINE_CODE.finditer(line):
            code = match.group(1).strip()
            code, _, symbol = code.partition("::")
            if not looks_like_path(code, top_level) or code in PLACEHOLDERS or code.startswith(OUTPUT_PREFIXES):
                continue
            scan.references += 1
            found = repo.matches(code)
            if not found:
                scan.report(path, number, "backticked path does not exist", match.group(0))
            elif symbol and code.endswith(".py"):  # `record.py::outcomes`: the name must be in the file
                name = symbol.split(".")[-1].rstrip("()")
                if not any(re.search(rf"\b{re.escape(name)}\b", repo.text(Path(f)) or "") for f in found):
                    scan.report(path, number, f"{code} has no {name}", match.group(0))
        outside_code = INLINE_CODE.sub("", line)
        for match in LINK.finditer(outside_code):
            check_link(repo, path, number, match["target"], scan)
        definition = LINK_DEFINITION.match(outside_code)
        if definition is not None:
            check_link(repo, path, number, definition["target"], scan)


def scan_repository(root: Path, files: list[Path]) -> Scan:
    """Run every check on the text files among ``files`` (paths relative to ``root``)."""
    repo = Repository(root, files)
    scan = Scan()
    odd_text = repo.text(ODD) or ""
    sections = numbered_sections(odd_text)
    if not sections:
        scan.report(ODD, 1, "no numbered headings to cite", "none")
    for path in files:
        text = repo.text(path)
        if text is None:
            continue
        scan.files += 1
        check_forbidden(path, text, scan)
        check_citations(path, text, sections, scan)
        if path.suffix == ".md":
            check_markdown(repo, path, text, scan)
    return scan


def test_every_reference_resolves_inside_the_repository():
    scan = scan_repository(ROOT, repository_files(ROOT))
    assert scan.files > 30, f"scanned only {scan.files} text files: is the file list empty?"
    assert scan.references > 20, f"checked only {scan.references} links and citations"
    if scan.problems:
        pytest.fail(f"{len(scan.problems)} dangling references:\n" + "\n".join(scan.problems), pytrace=False)


def test_the_checks_find_each_kind_of_dangling_reference(tmp_path):
    forbidden = "MODEL" + _MD
    odd = "docs/ODD" + _MD  # assembled, so that the broken citations below do not count against this file
    files = {
        "docs/ODD.md": "# Title\n\n## 1. Purpose\n\n### 1.1 Part (`x.py`)\n\nSee section 2 and §1.1.\n",
        "docs/other.md": "## Other\n",
        "README.md": (
            f"Good: [ODD](docs/ODD.md), [part](docs/ODD.md#11-part-xpy), [top](#readme), {odd} §1.1.\n"
            "# Readme\n"
            "Broken link: [gone](docs/gone.md).\n"
            "Broken anchor: [other](docs/other.md#nothing-here).\n"
            f"Missing section: {odd} §7.3.\n"
            f"Forbidden: see {forbidden} §3.\n"
            "Missing path: `src/pkg/missing.py`; present: `docs/other.md`, `scenarios/my-region.toml`.\n"
            "Symbols: `x.py::present` is there, `pkg/x.py::absent` is not.\n"
            "```\n[not a link](nowhere.md)\n```\n"
        ),
        "src/pkg/x.py": f'"""Cites {odd} §1 and §9."""\n\npresent = 1\n',
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    scan = scan_repository(tmp_path, [Path(name) for name in files])
    found = "\n".join(scan.problems)
    assert scan.files == len(files)
    assert "README.md:3: link to a missing file: docs/gone.md" in found
    assert "README.md:4: no heading with this anchor in docs/other.md: docs/other.md#nothing-here" in found
    assert "README.md:5: no section §7.3 in docs/ODD.md" in found
    assert f"README.md:6: mentions a file outside the repository: {forbidden}" in found
    assert "README.md:7: backticked path does not exist: `src/pkg/missing.py`" in found
    assert "README.md:8: pkg/x.py has no absent: `pkg/x.py::absent`" in found
    assert "src/pkg/x.py:1: no section §9 in docs/ODD.md" in found
    assert "docs/ODD.md:7: no such numbered section in this file: section 2" in found
    assert len(scan.problems) == 8, found  # nothing else: the good references and the code block pass


def test_slugs_follow_github():
    assert slug("7.3 Support (draagvlak) (`kernels/support.py`; seeds 004, 002, 003)") == (
        "73-support-draagvlak-kernelssupportpy-seeds-004-002-003"
    )
    assert slug("Departures from the design") == "departures-from-the-design"
    assert anchors("# A\n## A\n```\n# A\n```\n") == {"a", "a-1"}
