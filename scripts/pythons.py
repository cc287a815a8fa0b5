"""Find Python interpreters by version, wherever this machine has them.

A version's candidates are ``pythonX.Y`` on PATH, then pyenv's installs of it (newest patch
first). A candidate counts only if it runs and says it is X.Y: pyenv's shims are on PATH for
every version but run only the selected ones. The answer is the interpreter's real path
(``sys.executable``), never a shim.

    python3 scripts/pythons.py 3.10 3.11        # one line per version: "3.10 /path" or "3.10 -"
    python3 scripts/pythons.py --newest 3.13 3.12 3.11 3.10   # the first one found, or exit 1

Used by scripts/bootstrap.sh (the demo's interpreter) and noxfile.py (the test matrix).
Standard library only: it runs before any environment exists.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_ASK = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"


def _pyenv_installs(version: str) -> list[Path]:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    pyenv = shutil.which("pyenv")
    if pyenv:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            answer = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=10)
            root = answer.stdout.strip() or root
    pattern = re.compile(rf"^{re.escape(version)}\.(\d+)$")
    found = []
    versions = Path(root) / "versions"
    for folder in versions.iterdir() if versions.is_dir() else []:
        match = pattern.match(folder.name)
        if match:
            found.append((int(match.group(1)), folder / "bin" / f"python{version}"))
    return [path for _patch, path in sorted(found, reverse=True)]


def find_python(version: str) -> str | None:
    """The real path of a working Python ``version`` ("3.12"), or None."""
    on_path = shutil.which(f"python{version}")
    for candidate in [*([on_path] if on_path else []), *map(str, _pyenv_installs(version))]:
        try:
            answer = subprocess.run([candidate, "-c", _ASK], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        lines = answer.stdout.split()
        if answer.returncode == 0 and len(lines) == 2 and lines[0] == version:
            return lines[1]
    return None


def main(args: list[str]) -> int:
    newest = args[:1] == ["--newest"]
    versions = args[1:] if newest else args
    for version in versions:
        path = find_python(version)
        if newest and path:
            print(version, path)
            return 0
        if not newest:
            print(version, path or "-")
    return 1 if newest else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
