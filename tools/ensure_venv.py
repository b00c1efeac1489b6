"""Create the project's virtualenv and install the package into it, once, however many `make`s race.

Usage: python3 tools/ensure_venv.py VENV EXTRAS   (EXTRAS such as "test" or "test,bench")

Two first `make run` / `make test` calls in a fresh clone used to create `.venv` at the same time and
break each other's install.  An exclusive lock on `VENV.lock` makes the second wait (saying so); it
then finds the install done and returns at once.  Standard library only: it runs before `.venv` exists.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path


def _fresh(stamp: Path, extras: str, project: Path) -> bool:
    """Installed with at least these extras, after pyproject.toml last changed."""
    try:
        installed = set(stamp.read_text().split(","))
    except OSError:
        return False
    return set(extras.split(",")) <= installed and stamp.stat().st_mtime >= (project / "pyproject.toml").stat().st_mtime


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: ensure_venv.py VENV EXTRAS", file=sys.stderr)
        return 2
    target, extras = Path(argv[0]), argv[1]
    project = Path.cwd()
    stamp = target / ".installed"
    with open(f"{target}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another make to finish installing {target} ...", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if _fresh(stamp, extras, project):
            return 0
        python = target / "bin" / "python"
        if not python.exists():
            try:
                venv.create(target, with_pip=True)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)  # a half-made venv would look ready next time
                raise
        # Keep the extras installed before, so `make bench` after `make test` drops neither.
        try:
            wanted = sorted(set(extras.split(",")) | set(stamp.read_text().split(",")) - {""})
        except OSError:
            wanted = sorted(set(extras.split(",")))
        command = [str(python), "-m", "pip", "install", "-e", f".[{','.join(wanted)}]"]
        print("+", " ".join(command), file=sys.stderr, flush=True)
        if subprocess.call(command) != 0:
            return 1
        stamp.write_text(",".join(wanted))
        os.utime(stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
