"""A signed raw-HTTP client for any S3 Vectors endpoint: the emulator or AWS.

boto3 spends most of a PutVectors of 500 × 1024 in its own serialising and validating (seconds per call), so
export, import and copy send orjson bodies over a urllib3 connection pool and sign them with botocore's own
SigV4 signer.  Paths and methods come from botocore's service model (rest-json: ``POST /PutVectors``);
credentials from a botocore session (the standard chain, ``--profile``), the region as the AWS CLI resolves
it, and the AWS endpoint from botocore's endpoint rules.  With ``--endpoint-url`` and no credentials anywhere,
requests go unsigned, which the emulator takes as its own ``--region`` and account (behaviour.md#auth-default).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ProfileNotFound
from botocore.session import Session
from botocore.utils import percent_encode

SERVICE = "s3vectors"
# Answers worth another try: throttling, the service being busy or failing, a request timed out.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The same by name, for answers that carry them with another status (botocore's standard retry mode's list).
RETRY_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"})
_CONNECTION_ERRORS = (urllib3.exceptions.HTTPError, OSError)


class TransferError(Exception):
    """A reason to stop, said in one line."""


class ServiceError(TransferError):
    """An error answer of the endpoint: its exception name, message, status and fieldList."""

    def __init__(self, operation: str, code: str, message: str, status: int, field_list: list[Any] | None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status
        self.field_list = field_list or []


@dataclass(frozen=True)
class Retry:
    """Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base × 2ⁿ)]."""

    attempts: int = 10
    base: float = 0.1
    cap: float = 20.0

    def wait(self, attempt: int) -> float:
        return random.uniform(0.0, min(self.cap, self.base * 2**attempt))


class RateLimit:
    """At most ``rate`` units a second over all threads: a token bucket that starts empty (a full one would let
    the first second carry twice the rate) and holds at most one second's worth."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._tokens = 0.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self, units: int) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate) - units
            self._last = now
            debt = -self._tokens / self.rate
        if debt > 0:
            time.sleep(debt)


class Endpoint:
    """One S3 Vectors endpoint in one region, called from any number of threads."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        connections: int = 16,
        retry: Retry | None = None,
        timeout: float = 300.0,
    ) -> None:
        try:
            session = Session(profile=profile)
            # The AWS CLI's order: --region, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region.
            resolved = region or session.get_config_variable("region")
            credentials = session.get_credentials()
        except ProfileNotFound:
            raise TransferError(f"the profile {profile!r} is not in the AWS config or credentials files") from None
        except BotoCoreError as exc:
            raise TransferError(f"cannot read the AWS configuration: {exc}") from None
        if not resolved:
            if endpoint_url is None:
                raise TransferError(
                    "no region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or configure one (aws configure)"
                )
            resolved = "us-east-1"  # the emulator's default region for unsigned requests
        if credentials is None and endpoint_url is None:
            raise TransferError(
                "no AWS credentials found (environment, --profile, config files, SSO or instance role); "
                "configure some, or pass --endpoint-url for the emulator"
            )
        if endpoint_url is None:
            try:
                endpoint_url = session.create_client(SERVICE, region_name=resolved).meta.endpoint_url
            except BotoCoreError as exc:
                raise TransferError(f"no S3 Vectors endpoint for region {resolved!r}: {exc}") from None
        self.url = endpoint_url.rstrip("/")
        # botocore's endpoint may come from AWS_ENDPOINT_URL_S3VECTORS or the config file: AWS only by its host.
        host = urlsplit(self.url).hostname or ""
        self.aws = host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))
        self.region = resolved
        self._credentials = credentials
        self._retry = retry or Retry()
        model = session.get_service_model(SERVICE)
        self._routes = {name: model.operation_model(name).http for name in model.operation_names}
        self._connections = connections
        self._timeout = timeout
        self._pool = self._new_pool()
        self.retries = 0  # calls retried, for the summary line
        self._reached = False  # whether any answer came: a first connection refused is a wrong URL, not a blip

    def call(self, operation: str, body: dict[str, Any] | bytes | None = None, resource: str | None = None) -> Any:
        """One call, retried with backoff on throttling, unavailability, server errors and broken connections;
        its answer's JSON, or a ServiceError.  ``resource`` fills the path's ``{resourceArn}``."""
        data = self.call_raw(operation, body, resource)
        return orjson.loads(data) if data.strip() else {}

    def call_raw(
        self, operation: str, body: dict[str, Any] | bytes | None = None, resource: str | None = None
    ) -> bytes:
        """As ``call``, but the answer's body as it came, for a caller that parses it its own way."""
        route = self._routes[operation]
        path = route["requestUri"]
        if resource is not None:
            # As botocore renders a non-greedy label, so the path signed is the one AWS computes.
            path = path.replace("{resourceArn}", percent_encode(resource))
        method = route["method"]
        data = body if isinstance(body, bytes) else (orjson.dumps(body) if body is not None else b"")
        url = self.url + path
        attempt = 0
        while True:
            try:
                response = self._pool.urlopen(
                    method, url, body=data or None, headers=self._headers(method, url, data), retries=False
                )
            except _CONNECTION_ERRORS as exc:
                if not self._reached or attempt + 1 >= self._retry.attempts:
                    reason = str(exc)
                    reason = reason[reason.index("[Errno") :] if "[Errno" in reason else reason
                    raise TransferError(f"{operation}: cannot reach {self.url}: {reason}") from None
            else:
                self._reached = True
                if response.status == 200:
                    return response.data
                error = _error(operation, response)
                retryable = response.status in RETRY_STATUSES or error.code in RETRY_CODES
                if not retryable or attempt + 1 >= self._retry.attempts:
                    raise error
            self.retries += 1
            time.sleep(self._retry.wait(attempt))
            attempt += 1

    def pages(self, operation: str, body: dict[str, Any], items: str) -> list[Any]:
        """Every item of a paged listing."""
        found: list[Any] = []
        token: str | None = None
        while True:
            answer = self.call(operation, {**body, "nextToken": token} if token else body)
            found += answer.get(items, [])
            token = answer.get("nextToken")
            if not token:
                return found

    def close(self) -> None:
        self._pool.clear()

    def reconnect(self) -> None:
        """Drop the pool's connections without closing them: in a forked process they are the parent's."""
        self._pool = self._new_pool()

    def _new_pool(self) -> urllib3.PoolManager:
        return urllib3.PoolManager(
            num_pools=4,
            maxsize=self._connections,
            block=True,
            timeout=urllib3.Timeout(connect=30.0, read=self._timeout),
        )

    def _headers(self, method: str, url: str, data: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._credentials is None:
            return headers
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        # Refreshable credentials (SSO, roles) renew themselves when read, under their own lock.
        SigV4Auth(self._credentials, SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())


def _error(operation: str, response: urllib3.BaseHTTPResponse) -> ServiceError:
    """AWS's error shape (x-amzn-ErrorType and a JSON body with message and fieldList), read leniently."""
    try:
        body = orjson.loads(response.data) if response.data else {}
    except orjson.JSONDecodeError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = (response.headers.get("x-amzn-ErrorType") or body.get("__type") or body.get("code") or "").split(":")[0]
    code = code.rsplit("#", 1)[-1] or f"HTTP {response.status}"
    message = body.get("message") or body.get("Message") or response.reason or ""
    return ServiceError(operation, code, str(message), response.status, body.get("fieldList"))
