"""Errors as values: an AWS exception name, a message and an optional fieldList.

Every layer raises these; only the wire (``s3vectors_emulator.app``) turns them into HTTP,
taking the status code from the service model.  Nothing here knows of HTTP.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error the service answers with; ``code`` is the AWS exception name."""

    code = "InternalServerException"

    def __init__(self, message: str, field_list: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_list = field_list

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationError(ServiceError):
    code = "ValidationException"

    @classmethod
    def at(cls, path: str, message: str, field_message: str | None = None) -> ValidationError:
        """A ValidationException whose fieldList names one path."""
        return cls(message, [{"path": path, "message": field_message or message}])


class NotFoundError(ServiceError):
    code = "NotFoundException"


class ConflictError(ServiceError):
    code = "ConflictException"


class ServiceQuotaExceededError(ServiceError):
    code = "ServiceQuotaExceededException"


class InternalServerError(ServiceError):
    code = "InternalServerException"


class SerializationError(ServiceError):
    """Outside the model: a body that is not JSON, not UTF-8 or holds a lone surrogate
    (behaviour.md#decision-error-shape)."""

    code = "SerializationException"


class UnknownOperationError(ServiceError):
    """Outside the model: a path no operation takes (behaviour.md#decision-error-shape: 404 naming the path)."""

    code = "UnknownOperationException"


class UnrecognizedClientError(ServiceError):
    """behaviour.md#decision-credentials: an access key the server does not know."""

    code = "UnrecognizedClientException"


class InvalidSignatureError(ServiceError):
    """behaviour.md#decision-credentials: a signature that does not match."""

    code = "InvalidSignatureException"


class MissingAuthenticationTokenError(ServiceError):
    """behaviour.md#decision-credentials with verification on: a request that is not signed."""

    code = "MissingAuthenticationTokenException"


class IncompleteSignatureError(ServiceError):
    """behaviour.md#decision-credentials with verification on: an Authorization header that cannot be read."""

    code = "IncompleteSignatureException"


class InjectedFaultError(ServiceError):
    """A failure the user asked the emulator to inject (fault injection), with any code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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
