"""The README's settings table lists every setting, so the docs never drift from the code."""

from pathlib import Path

from logistics_ai.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented() -> None:
    text = README.read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in text]
    assert missing == []


def test_readme_names_both_setup_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
