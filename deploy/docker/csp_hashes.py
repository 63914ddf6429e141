"""Print the CSP source list ('sha256-...' ...) of every inline <script> in an exported site.

Run at image build time on Reflex's static export (.web/build/client). nginx puts the list into
the Content-Security-Policy script-src, so the policy allows exactly the inline bootstrap
scripts React Router prerendered for this build and no other inline script.
Usage: python3 csp_hashes.py EXPORT_DIR
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from pathlib import Path

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)


def inline_script_hashes(root: Path) -> list[str]:
    hashes: set[str] = set()
    for page in sorted(root.rglob("*.html")):
        for match in INLINE_SCRIPT.finditer(page.read_text(encoding="utf-8")):
            if re.search(r"\bsrc\s*=", match.group("attrs"), re.I):
                continue
            digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
            hashes.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(hashes)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: csp_hashes.py EXPORT_DIR", file=sys.stderr)
        return 2
    hashes = inline_script_hashes(Path(argv[1]))
    if not hashes:
        print("no inline scripts found; is this a Reflex export?", file=sys.stderr)
        return 1
    print(" ".join(hashes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
