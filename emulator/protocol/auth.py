"""Who is calling and where: the SigV4 credential scope of a request (D4).

Signatures are not checked (D12's default); only the scope is read, so that state is
kept apart per account and region as in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_ACCOUNT_KEY = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Caller:
    account: str
    region: str
    access_key: str | None


def identify(
    headers: Mapping[str, str], query: Mapping[str, str], default_account: str, default_region: str
) -> Caller:
    """D4: region from the credential scope, else the default; a 12-digit key is an account."""
    scope = headers.get("Authorization", "") or ""
    match = _CREDENTIAL.search(scope)
    if match is None:
        presigned = query.get("X-Amz-Credential")
        if presigned:
            match = _CREDENTIAL.search("Credential=" + presigned)
    if match is None:
        return Caller(default_account, default_region, None)
    access_key, _date, region, _service = match.groups()
    account = access_key if _ACCOUNT_KEY.fullmatch(access_key) else default_account
    return Caller(account, region, access_key)
