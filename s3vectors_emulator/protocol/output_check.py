"""Answers checked against the service model's shapes, by the test suites rather than on every request.

Responses are encoded straight from what the handlers return: walking each one against its output shape
cost more than encoding it (~0.5 ms per 100 query hits) and, over the whole test suite, changed a single
member.  The walk's guarantee is kept where it is cheap, in tests: ``watch()`` decodes every
answer any in-process app sends and records where its body leaves its shape (a member the shape does not
name, a JSON type the shape does not allow, a required member missing, a null).  tests/conftest.py and
conformance/conftest.py fail a test whose requests got such an answer.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from s3vectors_emulator.protocol import model

# JSON types of the scalar shapes in rest-json: timestamps are epoch seconds (behaviour.md#decision-timestamps),
# blobs base64 text.  bool is an int to Python, so integers and numbers exclude it explicitly.
_NUMBER = (int, float)
_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": _NUMBER,
    "double": _NUMBER,
    "timestamp": _NUMBER,
}
_MAX_PROBLEMS = 20  # one bad member repeated in every hit of a page says nothing more the 20th time


def output_problems(shape: Shape | None, body: Any) -> list[str]:
    """Where ``body`` (a decoded answer) leaves ``shape``, an operation's output shape: empty if it conforms.

    An operation without an output shape answers ``{}``.
    """
    found: list[str] = []
    if shape is None:
        if body != {}:
            found.append(f"body: {_brief(body)} where the operation has no output")
        return found
    _check(shape, body, "body", found)
    return found


def _check(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    if len(found) >= _MAX_PROBLEMS:
        return
    if value is None:
        found.append(f"{path}: null")
        return
    if shape.metadata.get("document"):
        _check_document(value, path, found)
        return
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        _check_structure(shape, value, path, found)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            found.append(f"{path}: {_brief(value)} is not a list")
            return
        member = shape.member
        scalar = _SCALARS.get(member.type_name)
        if scalar is not None and not member.metadata.get("enum"):
            # Vectors: a thousand floats a hit, checked without a call each.
            if not all(type(item) in scalar for item in value):
                for i, item in enumerate(value):
                    _check(member, item, f"{path}[{i}]", found)
            return
        for i, item in enumerate(value):
            _check(member, item, f"{path}[{i}]", found)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            found.append(f"{path}: {_brief(value)} is not an object")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{path} key", found)
            _check(shape.value, item, f"{path}[{key!r}]", found)
    elif kind in _SCALARS:
        if type(value) not in _SCALARS[kind]:
            found.append(f"{path}: {_brief(value)} is not a {kind}")
        elif (enum := shape.metadata.get("enum")) and value not in enum:
            found.append(f"{path}: {value!r} is not one of {enum}")
    else:
        found.append(f"{path}: shape type {kind!r} is unknown to this check")


def _check_structure(shape: StructureShape, value: Any, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: {_brief(value)} is not an object")
        return
    # Output members carry no serialised name of their own in this model (only inputs' URI members do).
    members = shape.members
    for key, item in value.items():
        member = members.get(key)
        if member is None:
            found.append(f"{path}.{key}: not a member of {shape.name}")
        else:
            _check(member, item, f"{path}.{key}", found)
    for name in shape.required_members:
        if name not in value:
            found.append(f"{path}.{name}: required by {shape.name}, missing")
    if shape.metadata.get("union") and len(value) != 1:
        found.append(f"{path}: {shape.name} is a union, {len(value)} members set")


def _check_document(value: Any, path: str, found: list[str]) -> None:
    if value is None:
        found.append(f"{path}: null")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_document(item, f"{path}[{key!r}]", found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_document(item, f"{path}[{i}]", found)


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class OutputCheck:
    """Records answers of any in-process app whose body leaves the shape the service model gives it.

    Connected to ``s3vectors_emulator.app.answered``, so it sees every app whoever made it (``running_emulator``,
    a test's own ``create_app``) without a switch in the app.  Successful answers are checked against the
    operation's output shape, errors against the exception's shape when the model has one.  Admin endpoints
    (``/_emulator/...``) and unrouted requests have no shape and are skipped.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: list[str] = []

    def take(self) -> list[str]:
        """What was recorded since the last call, and forget it."""
        with self._lock:
            taken, self._problems = self._problems, []
        return taken

    def check(self, sender: Any, *, operation: str | None, answer: Any, **extra: Any) -> None:
        if operation not in model.service_model().operation_names:
            return
        try:
            modelled, shape = _answer_shape(operation, answer.status, answer.error_code)
            if not modelled:
                return
            problems = output_problems(shape, orjson.loads(answer.body))
        except Exception as exc:  # a receiver must not raise into the app: record it instead
            problems = [f"body could not be checked: {exc.__class__.__name__}: {exc}"]
        if problems:
            head = f"{operation} answered {answer.status} off its shape:"
            with self._lock:
                self._problems.append("\n  ".join([head, *problems]))


@functools.cache
def watch() -> OutputCheck:
    """The process's one check, connected on first use: both conftests of a run get the same, so an answer
    is checked once and its problems are reported by the test whose request it answered."""
    from s3vectors_emulator.app import answered  # the app imports the protocol package, not the reverse

    check = OutputCheck()
    answered.connect(check.check, weak=False)
    return check


def _answer_shape(operation: str, status: int, error_code: str | None) -> tuple[bool, Shape | None]:
    """(modelled, shape) of an answer: the output's for a success, the exception's for an error.  An error the
    model lacks (UnknownOperationException, SerializationException) is not modelled."""
    if status == 200:
        return True, model.operation(operation).output_shape
    try:
        shape = model.service_model().shape_for(error_code) if error_code else None
    except Exception:  # botocore raises NoShapeFoundError
        shape = None
    if shape is None or not shape.metadata.get("exception"):
        return False, None
    return True, shape
