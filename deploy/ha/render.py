"""Render a deploy/ha/*.tmpl file: ${NAME} placeholders from the environment (or a dict).

    python3 deploy/ha/render.py deploy/ha/patroni.yml.tmpl > /etc/patroni/patroni.yml

Every placeholder must have a value: a missing one is an error, never an empty string.
Used by the compose services' entrypoints and by tests/chaos (native processes).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent


def render(template: str | Path, values: Mapping[str, str]) -> str:
    path = Path(template)
    if not path.is_absolute() and not path.exists():
        path = HERE / path
    # A literal "\n" in a value (env files cannot hold newlines) stands for a line break.
    expanded = {key: str(value).replace("\\n", "\n") for key, value in values.items()}
    return Template(path.read_text()).substitute(expanded)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: render.py TEMPLATE")
    try:
        sys.stdout.write(render(sys.argv[1], os.environ))
    except KeyError as missing:
        sys.exit(f"render.py: {sys.argv[1]} needs the variable {missing}")
