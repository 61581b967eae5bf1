"""The documentation: the README stays a short map, every link of it lands, and the docs site builds without a warning.

The commands and Python snippets of README.md and docs/ are checked by
``tests/test_readme_commands.py`` and ``tests/test_readme_snippets.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250


def test_the_readme_is_a_short_map() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines: move details to docs/"


def test_every_link_of_the_readme_lands_on_a_file_and_heading() -> None:
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+\.(?:md|png))(?:#([^)]+))?\)", text):
        path, anchor = ROOT / target[0], target[1]
        assert path.is_file(), f"README.md links to {target[0]}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.*)$", path.read_text(), flags=re.MULTILINE)
            slugs = {
                re.sub(r"[^\w\- ]", "", h.replace("`", "").strip().lower()).replace(" ", "-")
                for h in headings
            }
            assert anchor in slugs, f"README.md links to {target[0]}#{anchor}, a heading it does not have"


def test_every_docs_page_is_in_the_site_navigation() -> None:
    config = yaml.load(
        (ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader
    )  # BaseLoader: no !!python tags run

    def pages(entries: list) -> set[str]:
        found = set()
        for entry in entries:
            for value in entry.values():
                found |= pages(value) if isinstance(value, list) else {value}
        return found

    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages(config["nav"]) == on_disk


def test_the_docs_site_builds_with_no_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert (
        "RAVDESSDataLoader" in api and "EmotionService" in api
    )  # the reference is generated from docstrings
