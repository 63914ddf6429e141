"""Generated documentation: the README settings table and docs/permissions.md.

One home for what those files must contain. `python -m logistics_ai docs` writes them;
tests/unit/test_docs.py generates them into a temporary folder and compares, so a test
run never rewrites a tracked file.
"""

from __future__ import annotations

import re
from pathlib import Path

from logistics_ai.security.policy import render_markdown
from logistics_ai.settings import settings_table_markdown

ROOT = Path(__file__).resolve().parents[1]
README = Path("README.md")
PERMISSIONS = Path("docs/permissions.md")
TABLE = re.compile(r"(<!-- settings-table:start -->\n).*?(\n<!-- settings-table:end -->)", re.S)


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Relative path -> the content it must have."""
    readme = (root / README).read_text()
    if not TABLE.search(readme):
        raise ValueError("README.md lost its settings-table markers")
    table = TABLE.sub(lambda m: m.group(1) + settings_table_markdown() + m.group(2), readme)
    return {README: table, PERMISSIONS: render_markdown()}


def write(source: Path = ROOT, target: Path = ROOT) -> list[Path]:
    """Write the generated files under `target`; returns the ones that changed."""
    changed = []
    for relative, content in generated(source).items():
        path = target / relative
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed.append(relative)
    return changed
