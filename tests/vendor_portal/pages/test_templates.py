"""Each feature keeps its templates in its own folder; a template's name still names one file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from vendor_portal.pages.app import PACKAGE_DIR, TEMPLATE_DIR, template_folders

_RENDERED = re.compile(r"""render(?:_template)?\(\s*(?:request,\s*)?["']([\w/]+\.html)["']""")
_REFERENCED = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+["']([\w/]+\.html)["']""")


def _names() -> Counter[str]:
    names: Counter[str] = Counter()
    for folder in template_folders():
        names.update(path.relative_to(folder).as_posix() for path in folder.rglob("*.html"))
    return names


def test_every_template_name_names_one_file() -> None:
    names = _names()
    assert len(names) > 30
    assert [name for name, count in names.items() if count > 1] == []


def test_every_template_file_is_found_by_the_loader() -> None:
    folders = template_folders()
    assert TEMPLATE_DIR in folders
    every_file = {path.resolve() for path in PACKAGE_DIR.rglob("templates/**/*.html")}
    found = {path.resolve() for folder in folders for path in folder.rglob("*.html")}
    assert every_file == found


def test_every_name_the_code_renders_or_includes_exists() -> None:
    names = set(_names())
    wanted: set[str] = set()
    for source in Path(PACKAGE_DIR).rglob("*.py"):
        wanted.update(_RENDERED.findall(source.read_text(encoding="utf-8")))
    for template in PACKAGE_DIR.rglob("*.html"):
        wanted.update(_REFERENCED.findall(template.read_text(encoding="utf-8")))
    assert len(wanted) > 30
    assert sorted(wanted - names) == []
