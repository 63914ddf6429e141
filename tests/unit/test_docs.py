"""Generated documentation stays in step with the code.

When a generated section is stale the test rewrites the file and fails, so the fix is to
commit the regenerated file.
"""

import re
from pathlib import Path

from logistics_ai.security.policy import render_markdown
from logistics_ai.settings import settings_table_markdown

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PERMISSIONS = ROOT / "docs" / "permissions.md"
TABLE = re.compile(r"(<!-- settings-table:start -->\n).*?(\n<!-- settings-table:end -->)", re.S)


def test_readme_settings_table_is_current() -> None:
    text = README.read_text()
    assert TABLE.search(text), "README lost its settings-table markers"
    expected = TABLE.sub(lambda m: m.group(1) + settings_table_markdown() + m.group(2), text)
    if expected != text:
        README.write_text(expected)
    assert expected == text, "README settings table was stale and has been regenerated"


def test_permissions_doc_is_current() -> None:
    expected = render_markdown()
    current = PERMISSIONS.read_text() if PERMISSIONS.exists() else ""
    if current != expected:
        PERMISSIONS.parent.mkdir(exist_ok=True)
        PERMISSIONS.write_text(expected)
    assert current == expected, "docs/permissions.md was stale and has been regenerated"


def test_readme_names_both_setup_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
