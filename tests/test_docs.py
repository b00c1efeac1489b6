"""The repository documents itself: every citation of an anchor of docs/behaviour.md in
code, tests, benchmarks and docs names an anchor that exists, and every Markdown link between the
project's own files reaches a file that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = frozenset(re.findall(r'<a id="([^"]+)"', (ROOT / "docs" / "behaviour.md").read_text("utf-8")))


def _tracked(*suffixes: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    files = [ROOT / line for line in listed.splitlines()] if listed else list(ROOT.rglob("*"))
    return [f for f in files if f.suffix in suffixes and ".venv" not in f.parts and f.is_file()]


def test_every_behaviour_citation_names_an_anchor() -> None:
    broken = []
    for path in _tracked(".py", ".md", ".toml", ".js", ".mjs"):
        text = path.read_text("utf-8", errors="replace")
        for anchor in re.findall(r"behaviour\.md#([a-z0-9-]+)", text):
            if anchor not in ANCHORS:
                broken.append(f"{path.relative_to(ROOT)}: #{anchor}")
        if path.name == "behaviour.md":
            broken += [f"behaviour.md: (#{a})" for a in re.findall(r"\]\(#([a-z0-9-]+)\)", text) if a not in ANCHORS]
    assert not broken, "\n".join(broken)


def test_links_between_the_projects_files_resolve() -> None:
    broken = []
    for path in _tracked(".md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text("utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "\n".join(broken)
