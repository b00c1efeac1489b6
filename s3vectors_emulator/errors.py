"""Errors as values, and the one catalogue of the messages the service answers with.

An error is an AWS exception name, a message and an optional fieldList.  Every layer raises these;
only the wire (``s3vectors_emulator.protocol.serialize``) turns them into HTTP, taking the status
code from the service model.  Nothing here knows of HTTP.
"""

from __future__ import annotations

from typing import Literal

# What a refusal of one input value is about, in the store's terms; the operations turn it into
# the request member's path (the fieldList), since only they know the API's member names.
Part = Literal["key", "vector", "metadata", "filter", "text", "encryption"]


class ServiceError(Exception):
    """An error the service answers with; ``code`` is the AWS exception name."""

    code = "InternalServerException"

    def __init__(
        self,
        message: str,
        field_list: list[dict[str, str]] | None = None,
        *,
        part: Part | None = None,
        position: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_list = field_list
        # A refusal of one value: which part of the input (``position`` in its list, when it is
        # one of many) and the fieldList's message for it (``detail``, else the message).
        self.part = part
        self.position = position
        self.detail = detail

    def located(self, path: str) -> ServiceError:
        """This refusal with a fieldList naming the request member ``path``."""
        return type(self)(self.message, [{"path": path, "message": self.detail or self.message}])

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


class ServiceUnavailableError(ServiceError):
    """behaviour.md#consistency-seeding: a request that came while the emulator applies its seed."""

    code = "ServiceUnavailableException"


class InjectedFaultError(ServiceError):
    """A failure the user asked the emulator to inject (fault injection), with any code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# =============================================================================================
# The catalogue: every message the service answers with, written once.
#
# Convention: a fixed text is an UPPER_SNAKE constant; a parameterised text, or an error with a
# fieldList, is a small lowercase function named for the error.  A function that returns ``str``
# gives a text (for a message or a fieldList detail); one that returns an error class gives the
# error ready to raise.  Anchors are those of docs/behaviour.md.
# =============================================================================================

# -- Wire: the body, paths and the unexpected -------------------------------------------------------
# behaviour.md#errors-serialization, behaviour.md#errors-unknown-paths, behaviour.md#errors-body-size,
# behaviour.md#errors-never-500.

# behaviour.md#errors-serialization: a lone surrogate (or bytes that are not UTF-8) fails the whole request with this.
BODY_NOT_UTF8 = "UnknownError"
BODY_NOT_JSON = "Request body is not valid JSON"
BODY_NOT_OBJECT = "Request body must be a JSON object"
BODY_TOO_LARGE = "Request body exceeds max allowed size"  # behaviour.md#decision-request-size
INTERNAL_ERROR = "Internal server error"


def no_operation(target: str) -> UnknownOperationError:
    return UnknownOperationError(f"No operation at {target}")


def bad_path_segments(target: str) -> UnknownOperationError:
    return UnknownOperationError(f"No operation at {target}: a path must not hold empty, '.' or '..' segments")


# -- Coral validation template (behaviour.md#errors-coral-templates) ------------------------------------

VALUE = "Value"
VALUE_NULL = "Value null"
MUST_NOT_BE_NULL = "Member must not be null"
MUST_HAVE_ONE_MEMBER = "Member must have exactly one member set"


def value_with_length(length: int) -> str:
    return f"Value with length {length}"


def must_be_between(low: int | None, high: int | None, noun: str) -> str:
    """A length (``noun`` "have length") or range (``noun`` "be") constraint."""
    if low is not None and high is not None:
        return f"Member must {noun} between {low} and {high}, inclusive"
    if low is not None:
        return f"Member must {noun} greater than or equal to {low}"
    return f"Member must {noun} less than or equal to {high}"


def must_satisfy_enum(values: list[str]) -> str:
    return f"Member must satisfy enum value set: [{', '.join(values)}]"


def must_satisfy_pattern(pattern: str) -> str:
    return f"Member must satisfy regular expression pattern: ^{pattern}$"


def validation_errors(failures: list[tuple[str, str, str]]) -> ValidationError:
    """Every constraint failure, as (path, value phrase, constraint), in one Coral message."""
    parts = [f"{phrase} at '{path}' failed to satisfy constraint: {c}" for path, phrase, c in failures]
    count = len(parts)
    head = "1 validation error detected." if count == 1 else f"{count} validation errors detected."
    return ValidationError(f"{head} {'; '.join(parts)}", [{"path": path, "message": c} for path, _, c in failures])


def not_of_type(expected: str, path: str) -> SerializationError:
    """A value of the wrong JSON type (behaviour.md#errors-serialization); ``expected`` is "an object", ..."""
    return SerializationError(f"Expected {expected} at '{path or '/'}'")


# -- Credentials and signatures (behaviour.md#decision-credentials, #auth-region-names) -----------------

UNKNOWN_KEY = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)
MISSING_TOKEN = "Missing Authentication Token"
INCOMPLETE_AUTHORIZATION = "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'."
BAD_AMZ_DATE = "The request must contain a valid X-Amz-Date header."
PAYLOAD_HASH_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."


def bad_region(region: str) -> InvalidSignatureError:
    """What AWS's JSON services answer for a scope naming a region that does not exist (``region`` cut short)."""
    return InvalidSignatureError(f"Credential should be scoped to a valid region, not '{region}'.")


def signature_expired(stamp: str, earliest: str, now: str) -> InvalidSignatureError:
    return InvalidSignatureError(f"Signature expired: {stamp} is now earlier than {earliest} ({now} - 15 min.)")


def signature_not_yet_current(stamp: str, latest: str, now: str) -> InvalidSignatureError:
    return InvalidSignatureError(f"Signature not yet current: {stamp} is still later than {latest} ({now} + 15 min.)")


# -- Name or ARN (behaviour.md#api-name-or-arn) -----------------------------------------------------------

BUCKET_EITHER = "Must specify either vectorBucketName or vectorBucketArn but not both"
INDEX_EITHER = "Must specify either indexArn or both vectorBucketName and indexName"

# -- Buckets (behaviour.md#buckets) ---------------------------------------------------------------------

BUCKET_NOT_FOUND = "The specified vector bucket could not be found"
BUCKET_EXISTS = "A vector bucket with the specified name already exists"
BUCKET_NOT_EMPTY = "The specified vector bucket is not empty"
BAD_BUCKET_NAME = "Invalid vector bucket name"  # behaviour.md#buckets-naming
POLICY_NOT_FOUND = "The specified vector bucket policy could not be found"  # behaviour.md#buckets-policy
POLICY_NOT_JSON = "Policy must be a valid JSON document"  # behaviour.md#buckets-policy


def bucket_quota(limit: int) -> ServiceQuotaExceededError:
    """behaviour.md#buckets-quota."""
    return ServiceQuotaExceededError(
        f"The maximum number of vector buckets ({limit}) for this account and Region has been reached"
    )


# -- Indexes (behaviour.md#indexes) ---------------------------------------------------------------------

INDEX_NOT_FOUND = "The specified index could not be found"
INDEX_EXISTS = "An index with the specified name already exists"
BAD_INDEX_NAME = "Invalid vector index name"  # behaviour.md#indexes-naming, behaviour.md#decision-unseen-messages
# behaviour.md#indexes-encryption: the sseType / kmsKeyArn pairing.
KMS_KEY_WITHOUT_KMS = "kmsKeyArn must not be specified when sseType is AES256."
KMS_WITHOUT_KEY = "kmsKeyArn must be specified when sseType is set to aws:kms"


def index_quota(limit: int) -> ServiceQuotaExceededError:
    """behaviour.md#indexes-quota."""
    return ServiceQuotaExceededError(
        f"The maximum number of vector indexes ({limit}) for this vector bucket has been reached"
    )


# -- Tags (behaviour.md#tags) ---------------------------------------------------------------------------

SYSTEM_TAG = "System tags cannot be added/updated by requester"  # behaviour.md#tags-system-keys
TOO_MANY_TAGS = "Too many tags specified"  # behaviour.md#tags-limits


def system_tag_case(key: str) -> ValidationError:
    """behaviour.md#tags-system-keys: a key starting with "aws:" in another case."""
    return ValidationError(f'Invalid System Tag: {key} must be prefixed with "aws:" in lowercase.')


# -- Index modes (behaviour.md#modes) -------------------------------------------------------------------

# behaviour.md#decision-post-cutoff-buckets: the wording AWS uses is not known; this names the rule it enforces.
CLASSIC_REFUSED = (
    "CLASSIC index mode is only supported for vector indexes in vector buckets created before September 30, 2026"
)
# behaviour.md#modes-query-mode
CLASSIC_ON_ENHANCED = "Query mode CLASSIC cannot be used on a vector index in ENHANCED index mode"

# -- Text search configurations (behaviour.md#text-config) ----------------------------------------------

TEXT_NEEDS_ENHANCED = "Full-text search requires a vector index in ENHANCED index mode"
# behaviour.md#text-config-update: add or delete, never both.
UPDATE_ADD_AND_DELETE = "Specify either add or delete in a metadata configuration update, not both"
UPDATE_NEITHER = "Specify either add or delete in a metadata configuration update"


def duplicate_text_configuration(key: str) -> ValidationError:
    """behaviour.md#text-config-create: one configuration per key."""
    return ValidationError(f"Duplicate text search configuration for metadata key '{key}'")


def text_configuration_exists(key: str) -> ConflictError:
    return ConflictError(f"A text search configuration already exists for metadata key '{key}'")


def too_many_text_configurations(limit: int) -> ValidationError:
    return ValidationError(f"An index can have at most {limit} text search configurations")


def no_text_configuration(key: str) -> ValidationError:
    return ValidationError(f"No text search configuration exists for metadata key '{key}'")


# -- Vectors (behaviour.md#vectors) ---------------------------------------------------------------------

KEY_TOO_LONG = "Record key length exceeds the maximum allowed"  # behaviour.md#vectors-keys: the byte bound
VECTOR_NAN = "vector contains NaNs or Infs"  # behaviour.md#vectors-non-finite
VECTOR_ZERO_NORM = "cosine distance does not support vectors with zero norm"  # behaviour.md#vectors-zero-norm
# behaviour.md#decision-unseen-messages: no AWS message for a vector element that is not a number (the wire layer
# normally refuses it first); this keeps such input a ValidationException instead of a 500.
VECTOR_NOT_NUMBERS = "vector must contain only numbers"
SEGMENT_PAIR = "segmentCount and segmentIndex must be specified together"  # behaviour.md#listing-vectors-segments
SEGMENT_INDEX = "segmentIndex must be less than segmentCount"  # behaviour.md#listing-vectors-segments


def wrong_dimension(dimension: int, length: int) -> str:
    """behaviour.md#vectors-dimension (a detail of :func:`invalid_record` or :func:`invalid_query_vector`)."""
    return f"vector must have length {dimension}, but has length {length}"


def key_too_long(position: int) -> ValidationError:
    """behaviour.md#vectors-keys: the key at ``position`` of the request's list."""
    return ValidationError(KEY_TOO_LONG, part="key", position=position)


def invalid_record(key: str, position: int, part: Part, detail: str) -> ValidationError:
    """A PutVectors record refused for its vector or its metadata (``part``)."""
    return ValidationError(f"Invalid record for key '{key}': {detail}", part=part, position=position, detail=detail)


# -- Metadata (behaviour.md#metadata) -------------------------------------------------------------------

METADATA_VALUE_TYPES = "Metadata values must be strings, numbers, booleans, or arrays"  # behaviour.md#metadata-types
METADATA_ARRAY_TYPES = "Metadata array values must be strings or numbers"  # behaviour.md#metadata-types
METADATA_EMPTY_ARRAY = "Empty arrays are not allowed in metadata"  # behaviour.md#metadata-empty
# behaviour.md#decision-unseen-messages: AWS never showed a message for a metadata document that is not a JSON object
# (the model types it as a Document, so any JSON value can arrive); this one names the rule.
METADATA_NOT_OBJECT = "Metadata must be an object"


def metadata_too_many_keys(limit: int) -> str:
    """behaviour.md#metadata-key-count."""
    return f"Metadata object must have at most {limit} keys"


def metadata_filterable_size(limit: int) -> str:
    """behaviour.md#metadata-size-limits."""
    return f"Filterable metadata must have at most {limit} bytes"


def metadata_total_size(limit: int) -> str:
    """behaviour.md#metadata-size-limits."""
    return f"Metadata object must have at most {limit} bytes"


# -- Filters (behaviour.md#filters) ---------------------------------------------------------------------

# behaviour.md#filters-structure: every structural or type failure is the same message; it never names the operator.
INVALID_FILTER = "Invalid filter"
NON_FILTERABLE_IN_FILTER = "Invalid use of non-filterable metadata in filter"  # behaviour.md#filters-non-filterable


def too_many_constraints(limit: int) -> str:
    """behaviour.md#filters-constraints; behaviour.md#decision-unseen-messages: AWS's wording is unknown
    (behaviour.md#filters-constraints); this names the documented limit."""
    return f"Filter exceeds the maximum of {limit} constraints"


def filter_error(message: str) -> ValidationError:
    """A filter refused (the fieldList names the filter)."""
    return ValidationError(message, part="filter")


# -- Queries (behaviour.md#queries, behaviour.md#search-validation) -------------------------------------

# behaviour.md#queries-vector-or-text
QUERY_NEEDS_VECTOR_OR_TEXT = "At least one of queryVector or queryTexts must be specified"
QUERY_VECTOR_INVALID = "Query vector contains invalid values or is invalid for this index"


def invalid_query_vector(detail: str) -> ValidationError:
    """behaviour.md#decision-unseen-messages / behaviour.md#queries-query-vector: one top-level
    message, the detail in the fieldList."""
    return ValidationError(QUERY_VECTOR_INVALID, part="vector", detail=f"Invalid input: {detail}")


def not_searchable(key: str, position: int) -> ValidationError:
    """behaviour.md#search-validation: queryTexts on a key without a text search configuration (the
    behaviour.md#decision-unseen-messages style: no AWS wording is known)."""
    return ValidationError(
        f"Metadata key '{key}' is not configured for full-text search", part="text", position=position
    )


def duplicate_query_text_key(key: str, position: int) -> ValidationError:
    """behaviour.md#search-validation (behaviour.md#decision-unseen-messages style: no AWS wording is known)."""
    message = f"Duplicate metadataKey '{key}' in queryTexts: each key may appear only once"
    return ValidationError(message, part="text", position=position)


# -- Page tokens (behaviour.md#paging-tokens, behaviour.md#listing-tokens) ------------------------------


def invalid_token() -> ValidationError:
    """behaviour.md#decision-query-results: a malformed, mismatched, expired or dropped page token."""
    return ValidationError.at("nextToken", "Invalid nextToken", "The provided nextToken is not valid")


# -- The data directory (behaviour.md#consistency-durability) -------------------------------------------


def data_directory_gone(directory: object) -> str:
    """The message (logged, then the InternalServerException of every write) once the data directory is gone."""
    return (
        f"The emulator's data directory {directory} was deleted or replaced while it was running; "
        "writes are refused. Restart the emulator to use it again."
    )


# -- Fault injection (behaviour.md#errors-fault-injection) ----------------------------------------------

# The errors a client's retry logic has to handle, with the messages AWS gives or implies.
FAULT_MESSAGES: dict[str, str] = {
    "TooManyRequestsException": "Rate exceeded",
    "ServiceUnavailableException": "Currently unable to handle the request",  # behaviour.md#errors-catalogue
    "InternalServerException": INTERNAL_ERROR,
    "RequestTimeoutException": "Request timed out",
}
FAULT_RULES_NOT_LIST = "rules must be a list of fault rules"
FAULT_RULE_NOT_OBJECT = "A fault rule must be an object"
FAULT_RULE_OPERATION = "A fault rule's operation must be an operation name or *"
FAULT_RULE_RATE = "A fault rule's rate must be a number between 0 and 1"
FAULT_RULE_COUNT = "A fault rule's count must be a positive integer"
FAULT_RULE_ERROR = f"A fault rule's error must be one of {', '.join(FAULT_MESSAGES)}"


# -- Seeding at start and snapshots (behaviour.md#consistency-seeding) -----------------------------------

SEEDING = (
    "The emulator is applying its seed (--init) and serves nothing until it is done; "
    'retry once GET /_emulator/health answers "ready": true'
)


def no_admin_endpoint(method: str, path: str) -> UnknownOperationError:
    return UnknownOperationError(f"No admin endpoint at {method} {path}")


def console_bad_parameter(name: str, problem: str) -> ValidationError:
    """A console or admin endpoint's own parameter refused (no AWS operation has it)."""
    return ValidationError(f"Parameter {name} {problem}")


# With --auth, the console's page needs its token (the error code of that 401 answer).
UNAUTHORIZED_CONSOLE = "UnauthorizedConsoleAccess"


def no_vector(key: str) -> NotFoundError:
    """The console's vector page for a key the index does not hold (GetVectors itself answers no vector)."""
    return NotFoundError(f"No vector with key '{key}' in this index")


def no_request(call_id: str) -> NotFoundError:
    return NotFoundError(f"No request {call_id} in the request history")


# -- The HTTP server's own refusals, before any operation (behaviour.md#errors-http-limits) ------------
# The server answers these with its own status codes; the texts live here with the others.

TRAILERS_TOO_LARGE = "Chunked body trailers are too large"
MALFORMED_CHUNK_SIZE = "Malformed chunk size"
MALFORMED_CHUNKED_BODY = "Malformed chunked body"
MALFORMED_HEAD = "Malformed request head"
CONNECT_UNSUPPORTED = "CONNECT is not supported"
ONLY_CHUNKED = "Only the chunked transfer coding is supported"
HEAD_TIMEOUT = "The request head was not received in time"
BODY_TIMEOUT = "The request body was not received in time"
URI_FRAGMENT = "Illegal #fragment in Request-URI."
URI_ABSOLUTE = "Absolute URI not allowed if server is not a proxy."
URI_NOT_ABSOLUTE_PATH = "Invalid path in Request-URI: it must start with '/'."


def head_too_large(limit: int) -> str:
    return f"The request line and headers exceed {limit} bytes"


def malformed_request(reason: object) -> str:
    return f"Malformed request: {reason}"


def http_version_unsupported(version: object) -> str:
    return f"HTTP/{version} is not supported: use HTTP/1.1"
