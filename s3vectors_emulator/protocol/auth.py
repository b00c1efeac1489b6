"""Who is calling and where: the SigV4 credential scope of a request (behaviour.md#decision-accounts-regions), and,
when the
server is given key pairs, the signature itself (behaviour.md#decision-credentials).

By default signatures are not checked; only the scope is read, so that state is kept
apart per account and region as in AWS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, overload

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from s3vectors_emulator import errors
from s3vectors_emulator.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]*)/([^/,\s]+)/aws4_request")
_ACCOUNT_KEY = re.compile(r"\d{12}")
# AWS's region names: a partition-style prefix, words, a number (us-east-1, us-gov-west-1,
# us-isob-east-1, eusc-de-east-1), at most MAX_REGION_LENGTH characters.  Each region the
# emulator sees gets its own state and ARNs, so an unchecked scope (300 "regions" of 100 KB
# each were accepted) would let any caller grow the process without bound.
REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}")
MAX_REGION_LENGTH = 30
# A scope naming a region that does not exist is answered with errors.bad_region (403
# InvalidSignatureException); the name is cut, so a huge one is not sent back whole.
_REGION_SHOWN = 64


def is_region_name(region: str) -> bool:
    """Whether ``region`` has the form of an AWS region name (not whether AWS has such a region)."""
    return len(region) <= MAX_REGION_LENGTH and REGION_NAME.fullmatch(region) is not None


class Headers(Protocol):
    """A request's headers, looked up by name: a dict, or the web framework's own headers object."""

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...


@dataclass(frozen=True)
class Caller:
    account: str
    region: str


def identify(headers: Headers, query: Mapping[str, str], default_account: str, default_region: str) -> Caller:
    """behaviour.md#decision-accounts-regions: region from the credential scope, else the default; a 12-digit key is an
    account.

    A scope whose region is not of AWS's form is refused here, before any state is made for it.
    """
    scope = headers.get("Authorization", "") or ""
    match = _CREDENTIAL.search(scope)
    if match is None:
        presigned = query.get("X-Amz-Credential")
        if presigned:
            match = _CREDENTIAL.search("Credential=" + presigned)
    if match is None:
        return Caller(default_account, default_region)
    access_key, _date, region, _service = match.groups()
    if not is_region_name(region):
        shown = region if len(region) <= _REGION_SHOWN else region[:_REGION_SHOWN] + "..."
        raise errors.bad_region(shown)
    account = access_key if _ACCOUNT_KEY.fullmatch(access_key) else default_account
    return Caller(account, region)


# AWS accepts a signing time within 15 minutes of its own clock.
CLOCK_SKEW = dt.timedelta(minutes=15)
_AUTH_FIELDS = re.compile(r"(\w+)=([^,\s]+)")


class _Verifier(SigV4Auth):
    """botocore's own signer, fed the payload hash we computed from the body received."""

    def __init__(self, credentials: Credentials, service: str, region: str, payload_hash: str) -> None:
        super().__init__(credentials, service, region)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


def verify_signature(
    method: str,
    raw_uri: str,
    headers: Headers,
    body: bytes,
    secrets: Mapping[str, str],
    now: dt.datetime | None = None,
) -> None:
    """Check a SigV4 ``Authorization`` header against the configured key pairs (behaviour.md#decision-credentials).

    Recomputes the signature with botocore's signer over exactly the headers the client
    signed, the raw path and query as sent, and the SHA-256 of the body received.
    """
    authorization = headers.get("Authorization")
    if not authorization:
        raise MissingAuthenticationTokenError(errors.MISSING_TOKEN)
    algorithm, _, rest = authorization.partition(" ")
    fields = dict(_AUTH_FIELDS.findall(rest))
    scope = _CREDENTIAL.search(authorization)
    if algorithm != "AWS4-HMAC-SHA256" or scope is None or "SignedHeaders" not in fields or "Signature" not in fields:
        raise IncompleteSignatureError(errors.INCOMPLETE_AUTHORIZATION)
    access_key, date, region, service = scope.groups()
    secret = secrets.get(access_key)
    if secret is None:
        raise UnrecognizedClientError(errors.UNKNOWN_KEY)
    stamp = headers.get("X-Amz-Date", "")
    try:
        signed_at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise IncompleteSignatureError(errors.BAD_AMZ_DATE) from None
    now = now or dt.datetime.now(dt.UTC)
    if abs(now - signed_at) > CLOCK_SKEW or stamp[:8] != date:
        shown = now.strftime("%Y%m%dT%H%M%SZ")
        if signed_at < now:
            raise errors.signature_expired(stamp, (now - CLOCK_SKEW).strftime("%Y%m%dT%H%M%SZ"), shown)
        raise errors.signature_not_yet_current(stamp, (now + CLOCK_SKEW).strftime("%Y%m%dT%H%M%SZ"), shown)
    payload_hash = hashlib.sha256(body).hexdigest()
    declared = headers.get("X-Amz-Content-SHA256")
    if declared is not None and declared != payload_hash:
        raise InvalidSignatureError(errors.PAYLOAD_HASH_MISMATCH)
    signed = fields["SignedHeaders"].split(";")
    request = AWSRequest(
        method=method,
        url=f"http://{headers.get('Host', 'localhost')}{raw_uri}",
        headers={name: headers.get(name, "") for name in signed},
        data=body,
    )
    request.context["timestamp"] = stamp
    verifier = _Verifier(Credentials(access_key, secret), service, region, payload_hash)
    expected = verifier.signature(verifier.string_to_sign(request, verifier.canonical_request(request)), request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise InvalidSignatureError(errors.BAD_SIGNATURE)
