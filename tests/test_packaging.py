"""The wheel and the sdist as users get them: their files, the licence, one version number, the console script.

The package is built (``python -m build``: the sdist, then the wheel from it) from a copy of the checkout,
installed without its dependencies into a fresh virtualenv, and started from that virtualenv's
``s3vectors-emulator``.  The dependencies come from the running interpreter's site-packages through a
plain path line in a ``.pth`` file, so its editable-install finder is never run and the wheel's own copy
of the package is the one imported.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "s3vectors_emulator"
DIST = "s3vectors-emulator"
LINE = re.compile(r"^S3 Vectors emulator listening on (http://127\.0\.0\.1:(\d+))$")
# Not copied into the build tree: what is neither source nor document.
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv.lock",
    "node_modules",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.py[cod]",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".ci",
    "data",
    "*.sqlite*",
    "results",
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("build") is None, reason="needs the build package (pip install -e '.[test]')"
)


def source_version() -> str:
    """``__version__`` as written in the checkout's ``s3vectors_emulator/__init__.py``."""
    match = re.search(r'^__version__ = "([^"]+)"$', (ROOT / PACKAGE / "__init__.py").read_text(), re.M)
    assert match, "s3vectors_emulator/__init__.py has no __version__ line"
    return match.group(1)


def clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on the new interpreter's path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) built from a copy of the checkout, so the working tree gets no build/ or egg-info."""
    base = tmp_path_factory.mktemp("packaging")
    tree, out = base / "src", base / "dist"
    shutil.copytree(ROOT, tree, ignore=IGNORED)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(tree)],
        capture_output=True,
        text=True,
        timeout=240,
        env=clean_env(),
        cwd=base,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # A deprecated pyproject.toml (a licence table instead of an SPDX expression, ...) is reported this way.
    assert "Deprecat" not in result.stdout + result.stderr, result.stdout + result.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_one_version_number() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": f"{PACKAGE}.__version__"}
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()


def test_wheel_holds_only_the_package(dists: tuple[Path, Path]) -> None:
    wheel, _ = dists
    version = source_version()
    assert wheel.name == f"{PACKAGE}-{version}-py3-none-any.whl"
    dist_info = f"{PACKAGE}-{version}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(dist_info + "METADATA").decode()
        licence = archive.read(dist_info + "licenses/LICENSE")
    strays = [n for n in names if not (n.startswith(f"{PACKAGE}/") or n.startswith(dist_info))]
    assert strays == [], f"files outside {PACKAGE}/ and the dist-info: {strays}"
    # Exactly the package's sources: no bytecode, no tests, nothing left out.
    packaged = sorted(n for n in names if n.startswith(f"{PACKAGE}/"))
    sources = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / PACKAGE).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )
    assert packaged == sources
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata
    assert "\nLicense-File: LICENSE\n" in metadata


def test_sdist_carries_docs_and_licence(dists: tuple[Path, Path]) -> None:
    _, sdist = dists
    top = f"{PACKAGE}-{source_version()}/"
    with tarfile.open(sdist) as archive:
        names = {m.name.removeprefix(top) for m in archive.getmembers() if m.isfile()}
    docs = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*") if p.is_file()}
    assert docs and docs <= names, f"missing from the sdist: {sorted(docs - names)}"
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", f"{PACKAGE}/__init__.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "emulator/"))]


def test_installed_wheel_serves_its_version(dists: tuple[Path, Path], tmp_path: Path) -> None:
    wheel, _ = dists
    env = clean_env()
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python, script = target / "bin" / "python", target / "bin" / "s3vectors-emulator"
    # pip of the running interpreter, installing into the new one; nothing is downloaded.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        ).stdout.strip()
    )
    deps = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "_test_dependencies.pth").write_text("".join(f"{path}\n" for path in deps))

    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, s3vectors_emulator as p; "
            "print(m.version('s3vectors-emulator')); print(p.__version__); print(p.__file__)",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    metadata_version, module_version, module_file = probe.stdout.split("\n")[:3]
    assert Path(module_file).resolve().is_relative_to(target.resolve()), module_file
    assert metadata_version == module_version == source_version()

    shown = subprocess.run(
        [str(script), "--version"], check=True, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert shown.stdout.strip() == f"{DIST} {metadata_version}"

    proc = subprocess.Popen(
        [str(script), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().rstrip("\n")
        match = LINE.match(first)
        assert match, f"unexpected first line {first!r}"
        with urllib.request.urlopen(match.group(1) + "/_emulator/health", timeout=10) as response:
            health = json.loads(response.read())
        assert health["status"] == "ok"
        assert health["version"] == metadata_version
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, proc.stderr.read() if proc.stderr else ""
