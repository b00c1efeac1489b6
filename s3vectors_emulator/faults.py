"""Fault injection, for users who test their retry logic.

Rules say which operations fail, with which AWS error and how often; they come from the
``--fault`` option or, one test at a time, from the admin endpoint ``/_emulator/faults``.
A rule may carry a count, after which it is spent, so a test can ask for exactly two
throttled calls and then see success.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from s3vectors_emulator import errors
from s3vectors_emulator.errors import FAULT_MESSAGES, InjectedFaultError, ValidationError

STATUS_NAMES = {
    "429": "TooManyRequestsException",
    "503": "ServiceUnavailableException",
    "500": "InternalServerException",
    "408": "RequestTimeoutException",
}


@dataclass
class FaultRule:
    operation: str  # an operation name, or "*" for every operation
    error: str
    rate: float = 1.0
    count: int | None = None  # None: forever

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """``OPERATION=ERROR[@RATE][xCOUNT]``, ERROR an exception name or 429/503/500/408."""
        operation, sep, rest = spec.partition("=")
        if not sep or not operation:
            raise ValueError(f"fault {spec!r} is not OPERATION=ERROR[@RATE][xCOUNT]")
        count: int | None = None
        if "x" in rest:
            rest, _, count_text = rest.rpartition("x")
            count = int(count_text)
        error, _, rate_text = rest.partition("@")
        return cls.of({"operation": operation, "error": error, "rate": float(rate_text or 1.0), "count": count})

    @classmethod
    def of(cls, raw: Any) -> FaultRule:
        """A rule from JSON, checked; bad input is a ValidationError naming what is wrong."""
        if not isinstance(raw, dict):
            raise ValidationError(errors.FAULT_RULE_NOT_OBJECT)
        operation = raw.get("operation", "*")
        error = STATUS_NAMES.get(str(raw.get("error")), raw.get("error"))
        rate = raw.get("rate", 1.0)
        count = raw.get("count")
        if not isinstance(operation, str) or not operation:
            raise ValidationError(errors.FAULT_RULE_OPERATION)
        if error not in FAULT_MESSAGES:
            raise ValidationError(errors.FAULT_RULE_ERROR)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise ValidationError(errors.FAULT_RULE_RATE)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValidationError(errors.FAULT_RULE_COUNT)
        return cls(operation, error, float(rate), count)

    def describe(self) -> dict[str, Any]:
        return {"operation": self.operation, "error": self.error, "rate": self.rate, "count": self.count}


class Faults:
    """The active rules; the first rule matching an operation decides."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int | None = None) -> None:
        self._rules = list(rules or [])
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def replace(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def check(self, operation: str) -> None:
        """Raise the injected error if a rule fires for this call."""
        with self._lock:
            for rule in self._rules:
                if rule.operation not in ("*", operation):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    return
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                raise InjectedFaultError(rule.error, FAULT_MESSAGES[rule.error])
