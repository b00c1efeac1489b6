"""The Docker image's behaviour, without a Docker engine: the Dockerfile's own entry command, run here.

The Dockerfile is parsed (ENV, USER, the JSON-form CMD and HEALTHCHECK) and its CMD is run from the
installed package's console script, with the image's environment, as the image's unprivileged user when
the tests run as root, and with a temporary directory owned by that user standing in for ``/data``:

- a directory kept between two runs plays a volume mounted at ``/data``: the state persists;
- a fresh empty directory plays ``docker run --rm`` without a volume: no state.

Two substitutions only: ``--port 0`` for the published port, and ``127.0.0.1`` for ``0.0.0.0``, so the
test listens on loopback only (the CMD is checked to bind every interface, as a container must).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import skip_unless_importable_as

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_DATA = "/data"
IMAGE_INIT = "/init"
LINE = re.compile(r"^S3 Vectors emulator listening on (http://127\.0\.0\.1:(\d+))$")


@dataclass
class Dockerfile:
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments), continuation lines joined
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Dockerfile:
        instructions: list[tuple[str, str]] = []
        pending = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):  # comment lines are dropped, even inside a continuation
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            word, _, rest = (pending + line).partition(" ")
            instructions.append((word.upper(), rest.strip()))
            pending = ""
        parsed = cls(instructions)
        for args in parsed.all("ENV"):
            words = shlex.split(args)
            if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
                parsed.env[words[0]] = args.split(None, 1)[1] if len(words) > 1 else ""
            else:
                for word in words:
                    key, _, value = word.partition("=")
                    parsed.env[key] = value
        return parsed

    def all(self, name: str) -> list[str]:
        return [args for word, args in self.instructions if word == name]

    def last(self, name: str) -> str:
        found = self.all(name)
        assert found, f"the Dockerfile has no {name}"
        return found[-1]

    def cmd(self) -> list[str]:
        command = json.loads(self.last("CMD"))  # the exec form: no shell between docker and the server
        assert isinstance(command, list) and all(isinstance(word, str) for word in command)
        return command

    def healthcheck(self) -> list[str]:
        args = self.last("HEALTHCHECK")
        options, sep, command = args.partition("CMD ")
        assert sep, f"HEALTHCHECK without CMD: {args!r}"
        return json.loads(command)

    def user(self) -> str:
        return self.last("USER")


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return Dockerfile.parse(DOCKERFILE.read_text())


def _ids(user: str) -> tuple[int, int]:
    """(uid, gid) of a USER argument such as 10001:10001, emulator, or emulator:emulator."""
    import grp

    name, _, group = user.partition(":")
    uid = int(name) if name.isdigit() else pwd.getpwnam(name).pw_uid
    if not group:
        return uid, pwd.getpwuid(uid).pw_gid
    return uid, int(group) if group.isdigit() else grp.getgrnam(group).gr_gid


@dataclass
class Runner:
    """How to run the image's CMD here: as which user, with which prefix."""

    prefix: list[str]
    uid: int
    gid: int

    @classmethod
    def for_image(cls, dockerfile: Dockerfile) -> Runner:
        if os.geteuid() != 0:
            return cls([], os.geteuid(), os.getegid())
        if shutil.which("setpriv"):
            try:
                uid, gid = _ids(dockerfile.user())  # the image's own user, by number
            except KeyError:
                nobody = pwd.getpwnam("nobody")
                uid, gid = nobody.pw_uid, nobody.pw_gid
            prefix = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
            skip_unless_importable_as(prefix, f"uid {uid}")
            return cls(prefix, uid, gid)
        if shutil.which("runuser"):
            nobody = pwd.getpwnam("nobody")
            skip_unless_importable_as(["runuser", "-u", "nobody", "--"], "nobody")
            return cls(["runuser", "-u", "nobody", "--"], nobody.pw_uid, nobody.pw_gid)
        pytest.skip("running as root and neither setpriv nor runuser is installed to drop privileges")

    def data_dir(self) -> Path:
        """A directory owned by the image's user, standing in for its /data (outside pytest's 0700 tree)."""
        path = Path(tempfile.mkdtemp(prefix="s3vectors-data-"))
        os.chown(path, self.uid, self.gid)
        return path


@pytest.fixture
def runner(dockerfile: Dockerfile) -> Runner:
    return Runner.for_image(dockerfile)


@pytest.fixture
def data_dirs(runner: Runner) -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


class Container:
    """The image's CMD running as a local process; ``/data`` is ``data``, ``/init`` is ``init`` (default: an empty
    directory, as in the image)."""

    def __init__(self, dockerfile: Dockerfile, runner: Runner, data: Path, init: Path | None = None) -> None:
        command = dockerfile.cmd()
        script = shutil.which(command[0], path=str(Path(sys.executable).parent))
        assert script, f"{command[0]} is not installed next to {sys.executable}"
        args = [script, *command[1:]]
        args[args.index("--port") + 1] = "0"
        args[args.index("--host") + 1] = "127.0.0.1"
        env = {k: v for k, v in os.environ.items() if not k.startswith("S3VECTORS_")}
        self.empty_init: Path | None = None
        if init is None:  # the image's own /init: an empty directory
            init = self.empty_init = Path(tempfile.mkdtemp(prefix="s3vectors-init-"))
            os.chmod(init, 0o755)
        mounts = {IMAGE_DATA: str(data), IMAGE_INIT: str(init)}
        env.update({k: mounts[v] if v in mounts else v for k, v in dockerfile.env.items()})
        env["HOME"] = str(data)  # the image's user has /data as its home
        self.proc = subprocess.Popen(
            [*runner.prefix, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=data
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().rstrip("\n")
        match = LINE.match(first)
        if not match:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=20)
            pytest.fail(f"unexpected first line {first!r}; stderr:\n{err[-3000:]}")
        self.url, self.port = match.group(1), int(match.group(2))

    def client(self) -> Any:  # boto3's clients are classes generated at run time
        return boto3.client(
            "s3vectors",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self) -> None:
        if self.empty_init is not None:
            shutil.rmtree(self.empty_init, ignore_errors=True)
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert code == 0, self.proc.stderr.read() if self.proc.stderr else ""


def healthcheck(dockerfile: Dockerfile, port: int) -> int:
    """The exit status of the image's HEALTHCHECK command against ``port``."""
    command = dockerfile.healthcheck()
    assert command[0] == "python"
    args = [sys.executable, *(word.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for word in command[1:])]
    assert any(str(port) in word for word in args[1:]), f"no 127.0.0.1:8000 in the healthcheck {command}"
    return subprocess.run(args, capture_output=True, timeout=30).returncode


def test_dockerfile_as_container_users_expect(dockerfile: Dockerfile) -> None:
    assert dockerfile.all("VOLUME") == [], "VOLUME makes an anonymous volume on every docker run"
    user = dockerfile.user()
    assert user.partition(":")[0] not in ("root", "0"), f"runs as root: USER {user}"
    assert dockerfile.env.get("S3VECTORS_DATA_DIR") == IMAGE_DATA
    assert dockerfile.env.get("S3VECTORS_INIT") == IMAGE_INIT
    assert any(f"mkdir -p {IMAGE_INIT}" in run for run in dockerfile.all("RUN")), "the image's /init must exist"
    # The user exists in the image and owns /data.
    uid = user.partition(":")[0]
    assert any(f"--uid {uid}" in run for run in dockerfile.all("RUN")), f"no useradd --uid {uid}"
    assert any("chown" in run and IMAGE_DATA in run for run in dockerfile.all("RUN"))
    command = dockerfile.cmd()
    assert command[0] == "s3vectors-emulator"
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8000"
    assert "8000" in dockerfile.last("EXPOSE").split()
    assert "/_emulator/health" in " ".join(dockerfile.healthcheck())
    # The install is the tested one: the package with its pyproject.toml, README.md and LICENSE.
    copied = " ".join(dockerfile.all("COPY"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "s3vectors_emulator/"):
        assert name in copied
    assert "pip install --no-cache-dir ." in dockerfile.all("RUN")


def test_entry_command_keeps_state_only_with_a_volume(
    dockerfile: Dockerfile, runner: Runner, data_dirs: list[Path]
) -> None:
    volume = runner.data_dir()
    data_dirs.append(volume)

    first = Container(dockerfile, runner, volume)
    try:
        assert healthcheck(dockerfile, first.port) == 0
        first.client().create_vector_bucket(vectorBucketName="kept")
    finally:
        first.stop()
    # Written by the image's user (not root), into the directory standing in for the volume.
    written = list(volume.iterdir())
    assert written, "nothing was written to the data directory"
    assert {p.stat().st_uid for p in written} == {runner.uid}

    again = Container(dockerfile, runner, volume)  # the same volume mounted again
    try:
        names = [b["vectorBucketName"] for b in again.client().list_vector_buckets()["vectorBuckets"]]
        assert names == ["kept"]
    finally:
        again.stop()

    fresh = runner.data_dir()  # docker run without a volume: the image's empty /data
    data_dirs.append(fresh)
    ephemeral = Container(dockerfile, runner, fresh)
    try:
        assert ephemeral.client().list_vector_buckets()["vectorBuckets"] == []
        port = ephemeral.port
    finally:
        ephemeral.stop()
    assert healthcheck(dockerfile, port) != 0, "the healthcheck passes with no server"


def test_a_directory_mounted_at_init_is_seeded_before_the_container_is_healthy(
    dockerfile: Dockerfile, runner: Runner, data_dirs: list[Path]
) -> None:
    volume = runner.data_dir()
    data_dirs.append(volume)
    init = Path(tempfile.mkdtemp(prefix="s3vectors-init-"))
    data_dirs.append(init)
    (init / "seed.json").write_text(json.dumps({"buckets": [{"name": "seeded"}]}))
    os.chmod(init, 0o755)
    os.chmod(init / "seed.json", 0o644)
    container = Container(dockerfile, runner, volume, init)  # the listening line came after the seed
    try:
        assert healthcheck(dockerfile, container.port) == 0
        names = [b["vectorBucketName"] for b in container.client().list_vector_buckets()["vectorBuckets"]]
        assert names == ["seeded"]
    finally:
        container.stop()
