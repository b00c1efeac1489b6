"""The metadata filter language: parse and validate once, then compile to a numpy mask function.

behaviour.md#filters (grammar, operand types, errors), behaviour.md#filters-starts-with,
behaviour.md#filters-constraints and behaviour.md#decision-filter-semantics (the matching
semantics AWS leaves open).  Evaluation runs over :class:`MetadataColumns` with
numpy and never loops over vectors in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

import numpy as np

from s3vectors_emulator.errors import (
    INVALID_FILTER,
    NON_FILTERABLE_IN_FILTER,
    ValidationError,
    filter_error,
    too_many_constraints,
)
from s3vectors_emulator.store.columns import Mask, MetadataColumns
from s3vectors_emulator.store.metadata import is_number, to_float

Scalar: TypeAlias = str | int | float | bool
Evaluator: TypeAlias = Callable[[MetadataColumns, int], Mask]

MAX_CONSTRAINTS = 100
# AWS documents no nesting limit (behaviour.md#filters-depth); a bound keeps recursion and the page-token
# fingerprint finite.  Deeper filters are refused as `Invalid filter` (docs/compatibility.md).
MAX_DEPTH = 100

COMPARISON_OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$startsWith"})
LOGICAL_OPERATORS = frozenset({"$and", "$or"})
RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})


def _invalid() -> ValidationError:
    # behaviour.md#filters-structure: every structural or type failure is the same message; it never names the operator.
    return filter_error(INVALID_FILTER)


# ---------------------------------------------------------------------------------------------
# Parsed tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator applied to one field: ``{"field": {op: operand}}``."""

    op: str
    operand: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """All operators on one field, AND-ed (``{"price": {"$gte": 10, "$lte": 50}}``)."""

    key: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # "$and" or "$or"
    children: tuple[Node, ...]


Node: TypeAlias = FieldFilter | Logical


@dataclass(frozen=True, slots=True)
class ParsedFilter:
    root: Node
    constraints: int
    keys: frozenset[str]


def _is_scalar(value: object) -> TypeGuard[Scalar]:
    return isinstance(value, str | bool) or is_number(value)


def _parse_operand(op: str, operand: object, enhanced: bool) -> Scalar | tuple[Scalar, ...]:
    """behaviour.md#filters-operands: the operand-type table; any refusal is ``Invalid filter``."""
    if op in ("$eq", "$ne"):
        if _is_scalar(operand):
            return operand
    elif op in RANGE_OPERATORS:
        # Numbers only (bool is not a number); NaN/Infinity refused (behaviour.md#filters-numbers).
        if is_number(operand) and math.isfinite(to_float(operand)):
            return operand
    elif op in ("$in", "$nin"):
        # Non-empty array of primitives, mixed types allowed.
        if isinstance(operand, list) and operand and all(_is_scalar(v) for v in operand):
            return tuple(operand)
    elif op == "$exists":
        if isinstance(operand, bool):
            return operand
    elif op == "$startsWith":
        # behaviour.md#filters-starts-with: $startsWith needs ENHANCED query behaviour (an ENHANCED index, or
        # queryMode=ENHANCED).  Without it AWS returns "a validation error" whose wording is
        # unknown; we answer the generic `Invalid filter`, as for any operator not available.
        if enhanced and isinstance(operand, str):
            return operand
    raise _invalid()


def _parse_node(doc: object, enhanced: bool, depth: int = 0) -> Node:
    # behaviour.md#filters-structure: a condition object holds exactly one key; {} is not "no filter".
    if not isinstance(doc, dict) or len(doc) != 1:
        raise _invalid()
    ((key, value),) = doc.items()
    if key in LOGICAL_OPERATORS:
        # Non-empty list of non-empty single-key objects (behaviour.md#decision-filter-semantics: an empty list is
        # refused).
        if not isinstance(value, list) or not value or depth >= MAX_DEPTH:
            raise _invalid()
        return Logical(key, tuple(_parse_node(child, enhanced, depth + 1) for child in value))
    if key.startswith("$"):
        # Unknown or misplaced operators ($eg, $schema, $eq at the top) are refused (behaviour.md#filters-operators).
        raise _invalid()
    if isinstance(value, dict):
        if not value:
            raise _invalid()  # {"s": {}}
        conditions = []
        for op, operand in value.items():
            # Only comparison operators inside a field; $and/$or or plain keys there are refused.
            if op not in COMPARISON_OPERATORS:
                raise _invalid()
            conditions.append(Condition(op, _parse_operand(op, operand, enhanced)))
        return FieldFilter(key, tuple(conditions))
    # Shorthand {"k": v} means $eq; v must be a string, number or boolean.
    return FieldFilter(key, (Condition("$eq", _parse_operand("$eq", value, enhanced)),))


def _walk_fields(node: Node) -> list[FieldFilter]:
    if isinstance(node, FieldFilter):
        return [node]
    return [f for child in node.children for f in _walk_fields(child)]


def count_constraints(node: Node) -> int:
    """behaviour.md#filters-constraints: every evaluated value is one constraint; $in/$nin with n values count n;
    $and/$or cost nothing; {"price": {"$gte": 10, "$lte": 50}} counts 2."""
    total = 0
    for fld in _walk_fields(node):
        for cond in fld.conditions:
            total += len(cond.operand) if isinstance(cond.operand, tuple) else 1
    return total


def parse_filter(doc: object, *, enhanced: bool, non_filterable_keys: frozenset[str] = frozenset()) -> ParsedFilter:
    """Validate a filter document; raise AWS's ValidationException (behaviour.md#filters-error-order) on any fault.

    Checks run in this order: structure and operand types (``Invalid filter``), then use of a
    non-filterable key at any depth, then (ENHANCED only) the 100-constraint limit.  AWS's order
    between these is not documented.
    """
    root = _parse_node(doc, enhanced)
    fields = _walk_fields(root)
    keys = frozenset(f.key for f in fields)
    if keys & non_filterable_keys:
        raise filter_error(NON_FILTERABLE_IN_FILTER)
    constraints = count_constraints(root)
    # behaviour.md#filters-constraints: the limit applies to ENHANCED behaviour only ("up to 100": exactly 100 passes).
    if enhanced and constraints > MAX_CONSTRAINTS:
        raise filter_error(too_many_constraints(MAX_CONSTRAINTS))
    return ParsedFilter(root, constraints, keys)


# ---------------------------------------------------------------------------------------------
# Compilation to numpy
# ---------------------------------------------------------------------------------------------


# Up to this many strings, ``$in`` compares the column once per string (a numpy pass: ~0.11 ms
# per 10k entries each); past it, one set lookup per entry (~1.3 ms per 10k, whatever the count)
# is cheaper.  ``np.isin`` cannot help on strings: StringDType counts as holding objects, so it
# always takes its compare-per-value loop (10,000 strings over 10,000 vectors: 0.8 s).
_COMPARE_UP_TO = 8


def _string_member(strings: list[str]) -> Callable[[np.ndarray], Mask]:
    """A predicate: which entries of a string array are among ``strings``, in O(entries + values)."""
    if len(strings) == 1:
        (only,) = strings
        return lambda a: a == only
    if len(strings) <= _COMPARE_UP_TO:
        few = tuple(dict.fromkeys(strings))

        def compare(a: np.ndarray) -> Mask:
            mask = a == few[0]
            for word in few[1:]:
                mask |= a == word
            return mask

        return compare
    wanted = frozenset(strings).__contains__
    return lambda a: np.fromiter(map(wanted, a.tolist()), dtype=bool, count=len(a))


def _number_member(numbers: list[float]) -> Callable[[np.ndarray], Mask]:
    if len(numbers) == 1:
        (only,) = numbers
        return lambda a: a == only
    # Sorting, in C (numpy loops per value only for a handful of them): 2 == 2.0, -0.0 == 0.0.
    wanted = np.unique(np.array(numbers, dtype=np.float64))
    return lambda a: np.isin(a, wanted)


def _eq_matcher(key: str, values: tuple[Scalar, ...]) -> Evaluator:
    """Rows where any element of the value under ``key`` equals one of ``values``.

    behaviour.md#decision-filter-semantics: numbers compare numerically (2 == 2.0); booleans never equal numbers (they
    live in their
    own table); a type mismatch or a missing key matches nothing.  The values are sorted by type
    once, here: evaluation then does no Python work per value or per row.
    """
    strings = [v for v in values if isinstance(v, str)]
    numbers = [to_float(v) for v in values if is_number(v)]
    bools = {v for v in values if isinstance(v, bool)}
    string_hit = _string_member(strings) if strings else None
    number_hit = _number_member(numbers) if numbers else None

    def evaluate(cols: MetadataColumns, n: int) -> Mask:
        mask = np.zeros(n, dtype=bool)
        if string_hit is not None:
            mask |= cols.any_match(key, "string", string_hit, n)
        if number_hit is not None:
            mask |= cols.any_match(key, "number", number_hit, n)
        if bools:
            if len(bools) == 2:
                mask |= cols.present_kind(key, "bool", n)
            else:
                (b,) = bools
                mask |= cols.any_match(key, "bool", lambda a: a == b, n)
        return mask

    return evaluate


_RANGE_UFUNCS: dict[str, Callable[[np.ndarray, float], Mask]] = {
    "$gt": np.greater,
    "$gte": np.greater_equal,
    "$lt": np.less,
    "$lte": np.less_equal,
}


def _compile_condition(key: str, cond: Condition) -> Evaluator:
    op, operand = cond.op, cond.operand
    if op in ("$eq", "$in"):
        return _eq_matcher(key, operand if isinstance(operand, tuple) else (operand,))
    if op in ("$ne", "$nin"):
        # behaviour.md#decision-filter-semantics: true iff no element matches, so a missing key matches and so does a
        # value of another type (the negation of $eq/$in, which match nothing on a mismatch).
        matches = _eq_matcher(key, operand if isinstance(operand, tuple) else (operand,))
        return lambda cols, n: ~matches(cols, n)
    if op in RANGE_OPERATORS:
        # behaviour.md#decision-filter-semantics: any numeric element satisfies; strings and booleans never do.
        assert is_number(operand)  # _parse_operand admits only numbers for the range operators
        ufunc, bound = _RANGE_UFUNCS[op], to_float(operand)
        return lambda cols, n: cols.any_match(key, "number", lambda a: ufunc(a, bound), n)
    if op == "$exists":
        if operand:
            return lambda cols, n: cols.present(key, n)
        return lambda cols, n: (
            ~cols.present(key, n)
        )  # behaviour.md#decision-filter-semantics: $exists:false matches a missing key
    if op == "$startsWith":
        # behaviour.md#decision-filter-semantics / behaviour.md#filters-starts-with: case-sensitive;
        # any string element; '' matches every string value.
        prefix = str(operand)
        return lambda cols, n: cols.any_match(key, "string", lambda a: np.strings.startswith(a, prefix), n)
    raise AssertionError(f"unparsed operator {op}")  # parse_filter admits nothing else


def _all(parts: list[Evaluator]) -> Evaluator:
    if len(parts) == 1:
        return parts[0]

    def evaluate(cols: MetadataColumns, n: int) -> Mask:
        mask = parts[0](cols, n)
        for part in parts[1:]:
            if not mask.any():
                break  # nothing left to narrow
            mask &= part(cols, n)
        return mask

    return evaluate


def _any(parts: list[Evaluator]) -> Evaluator:
    if len(parts) == 1:
        return parts[0]

    def evaluate(cols: MetadataColumns, n: int) -> Mask:
        mask = parts[0](cols, n)
        for part in parts[1:]:
            if mask.all():
                break
            mask |= part(cols, n)
        return mask

    return evaluate


def _compile_node(node: Node) -> Evaluator:
    if isinstance(node, FieldFilter):
        return _all([_compile_condition(node.key, cond) for cond in node.conditions])
    parts = [_compile_node(child) for child in node.children]
    return _all(parts) if node.op == "$and" else _any(parts)


def compile_filter(parsed: ParsedFilter) -> Evaluator:
    """A function ``(columns, n_rows) -> bool mask of length n_rows``; dotted keys are literal."""
    evaluate = _compile_node(parsed.root)

    def run(cols: MetadataColumns, n_rows: int) -> Mask:
        if n_rows == 0:
            return np.zeros(0, dtype=bool)
        return evaluate(cols, n_rows)

    return run
