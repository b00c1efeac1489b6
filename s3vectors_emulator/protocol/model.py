"""The S3 Vectors service model from the installed botocore: the one source of shapes.

Routing, validation and serialisation all read it; nothing else in the project spells
out an operation's members, lengths, ranges or enums.
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "s3vectors"
# behaviour.md#decision-api-surface: every operation of the newest model.  Older botocore releases lack the 2026
# operations (index modes, text search); refuse to start on one rather than half-work.
REQUIRED_OPERATIONS = frozenset({"UpdateIndexMode", "PutVectorBucketDefaultIndexMode", "UpdateMetadataConfiguration"})


class ServiceModelTooOld(RuntimeError):
    pass


@functools.cache
def service_model() -> ServiceModel:
    model = botocore.session.get_session().get_service_model(SERVICE_NAME)
    missing = REQUIRED_OPERATIONS - set(model.operation_names)
    if missing:
        raise ServiceModelTooOld(
            f"botocore {botocore.__version__} has an old S3 Vectors model (missing "
            f"{', '.join(sorted(missing))}); install botocore>=1.44.5"
        )
    return model


@functools.cache
def operation(name: str) -> OperationModel:
    # Cached here too: botocore's own per-instance cache builds a key on every call, once per request.
    return service_model().operation_model(name)


@functools.cache
def routes() -> dict[tuple[str, str], str]:
    """(method, first path segment) → operation name.

    Operations are either ``POST /<Operation>`` or live under ``/tags/{resourceArn}``;
    both are keyed by their first path segment, so a lookup is one dict access.
    """
    table: dict[tuple[str, str], str] = {}
    for name in service_model().operation_names:
        http = operation(name).http
        segment = http["requestUri"].lstrip("/").split("/", 1)[0]
        table[(http["method"], segment)] = name
    return table


@functools.cache
def error_status(code: str) -> int | None:
    """The HTTP status the model gives an exception, or None if the model lacks it."""
    model = service_model()
    try:
        shape = model.shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError; any miss means "not modelled"
        return None
    if not shape.metadata.get("exception"):
        return None
    # behaviour.md#errors-catalogue: ValidationException has no error trait and defaults to 400.
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
