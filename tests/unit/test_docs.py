"""Generated documentation stays in step with the code.

The files are generated into a temporary folder and compared with the tracked ones; the test
never writes into the checkout. Regenerate with `python -m logistics_ai docs`.
"""

from pathlib import Path

from logistics_ai import docs

ROOT = Path(__file__).resolve().parents[2]


def test_generated_docs_are_current(tmp_path: Path) -> None:
    written = docs.write(source=ROOT, target=tmp_path)
    assert sorted(written) == sorted(docs.generated(ROOT))  # everything landed in tmp_path
    stale = [
        str(relative)
        for relative in written
        if not (ROOT / relative).exists()
        or (ROOT / relative).read_text() != (tmp_path / relative).read_text()
    ]
    assert not stale, f"stale generated docs {stale}: run `python -m logistics_ai docs`"


def test_the_check_leaves_the_checkout_alone(tmp_path: Path) -> None:
    before = {p: (ROOT / p).stat().st_mtime_ns for p in docs.generated(ROOT)}
    docs.write(source=ROOT, target=tmp_path)
    assert {p: (ROOT / p).stat().st_mtime_ns for p in before} == before


def test_readme_names_both_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make run" in text and "make test" in text
