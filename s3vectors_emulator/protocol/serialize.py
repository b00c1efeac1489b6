"""Request bodies → dicts, handlers' results → JSON, and errors → (status, headers, body) exactly as
behaviour.md#decision-error-shape describes.

A result is encoded as the handler returns it: handlers build their answers member by member from the output
shapes, and the test suites check every answer against the model (s3vectors_emulator.protocol.output_check).
Timestamps need no conversion: the store hands them out as epoch seconds already (behaviour.md#decision-timestamps).
"""

from __future__ import annotations

from typing import Any

import orjson

from s3vectors_emulator import errors
from s3vectors_emulator.errors import SerializationError, ServiceError
from s3vectors_emulator.protocol.model import error_status

# Status codes for exceptions the service model does not define.
EXTRA_STATUS: dict[str, int] = {
    "SerializationException": 400,
    "UnknownOperationException": 404,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
    "ValidationException": 400,
}


def decode_body(body: bytes | memoryview) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object.

    ``body`` may be a view into a reused receive buffer: orjson parses it without a copy.
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if not bytes(body).strip():
            return {}  # blank is rarer than valid JSON, so it is checked only on failure
        text = str(exc)
        if "surrogate" in text or "UTF-8" in text:
            # behaviour.md#names: a lone surrogate (or bytes that are not UTF-8) fails the whole
            # request with SerializationException "UnknownError".
            raise SerializationError(errors.BODY_NOT_UTF8) from None
        raise SerializationError(errors.BODY_NOT_JSON) from None
    if not isinstance(value, dict):
        raise SerializationError(errors.BODY_NOT_OBJECT)
    return value


def encode(value: Any) -> bytes:
    """``value`` as JSON, once: no pass over it beforehand (a walk against the output shape cost ~15 times the
    encoding of a page of query hits).

    Vector data comes as float64 numpy arrays, which orjson writes as it writes a list of the same floats, byte
    for byte (tests/test_vector_encoding.py checks it), at under half the cost: a ListVectors page of 1,000 × 1024 took
    ~0.11 s of CPU as lists, ~0.05 s as arrays.
    """
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)


def error_response(error: ServiceError) -> tuple[int, dict[str, str], bytes]:
    """behaviour.md#decision-error-shape: status from the model, x-amzn-ErrorType, a JSON body with message (and
    fieldList)."""
    status = error_status(error.code) or EXTRA_STATUS.get(error.code, 400)
    body: dict[str, Any] = {"message": error.message}
    if error.field_list:
        body["fieldList"] = error.field_list
    headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/json"}
    return status, headers, encode(body)
