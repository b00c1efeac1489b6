"""behaviour.md#decision-accounts-regions: the account and region come from the credentials and the SigV4 scope
(checked by behaviour.md#decision-region-names). That regions are isolated is in conformance/test_buckets.py."""

from __future__ import annotations

import pytest


def test_twelve_digit_key_is_the_account(client_for):
    other = client_for(access_key="210987654321")
    arn = other.create_vector_bucket(vectorBucketName="acct")["vectorBucketArn"]
    assert arn == "arn:aws:s3vectors:us-east-1:210987654321:bucket/acct"
    assert client_for().list_vector_buckets()["vectorBuckets"] == []


def test_unsigned_requests_use_the_default_region(http_call, client):
    response = http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "unsigned"}')
    assert response.json() == {"vectorBucketArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/unsigned"}
    assert client.get_vector_bucket(vectorBucketName="unsigned")["vectorBucket"]["vectorBucketName"] == "unsigned"


# -- region names are checked (issue #10) ---------------------------------------------------------

VALID_REGIONS = [
    "us-east-1",
    "eu-central-1",
    "ap-southeast-2",
    "us-gov-west-1",
    "cn-north-1",
    "il-central-1",
    "us-isob-east-1",
    "eusc-de-east-1",
    "mx-central-1",
]
INVALID_REGIONS = [
    "x" * 10_000,
    "US-EAST-1",
    "us-east",
    "useast1",
    "us-east-1-",
    "us-east-123",
    "us_east_1",
    "a-" * 20 + "1",
]
SCOPE_REFUSED = "Credential should be scoped to a valid region"


def _signed_by(region: str) -> dict[str, str]:
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/s3vectors/aws4_request, "
        "SignedHeaders=host, Signature=0"
    }


def test_a_huge_region_in_the_credential_scope_is_refused(http_call):
    # 10 KB: the server refuses request heads over 16 KiB on its own (s3vectors_emulator.server), so a
    # 100 KB scope never reaches the app over HTTP; test_a_refused_region_creates_no_state sends one.
    response = http_call("POST", "/ListVectorBuckets", b"{}", _signed_by("x" * 10_000))
    assert response.status == 403
    assert response.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert response.json()["message"] == f"{SCOPE_REFUSED}, not '{'x' * 64}...'."
    assert len(response.body) < 1_000  # the name is not echoed in full


@pytest.mark.parametrize("region", INVALID_REGIONS, ids=lambda r: r[:20])
def test_invalid_regions_are_refused_in_header_and_presigned_scopes(http_call, region):
    for path, headers in (
        ("/CreateVectorBucket", _signed_by(region)),
        (f"/CreateVectorBucket?X-Amz-Credential=test%2F20260101%2F{region}%2Fs3vectors%2Faws4_request", {}),
    ):
        response = http_call("POST", path, b'{"vectorBucketName": "made"}', headers)
        assert (response.status, response.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
        assert response.json()["message"].startswith(SCOPE_REFUSED)


def test_a_refused_region_creates_no_state():
    from s3vectors_emulator.app import create_app

    app = create_app()
    store = app.extensions["s3vectors_store"]
    for i in range(5):  # as in issue #10: 100 KB "regions", each of which used to get its own state
        answer = app.test_client().post("/ListVectorBuckets", data=b"{}", headers=_signed_by(f"{i}" + "x" * 100_000))
        assert (answer.status_code, answer.headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
        assert answer.get_json()["message"].startswith(SCOPE_REFUSED)
    assert store.regions() == []


@pytest.mark.parametrize("region", VALID_REGIONS)
def test_valid_region_forms_keep_working(client_for, region):
    regional = client_for(region=region)
    arn = regional.create_vector_bucket(vectorBucketName="in-region")["vectorBucketArn"]
    assert arn == f"arn:aws:s3vectors:{region}:123456789012:bucket/in-region"
    assert [b["vectorBucketName"] for b in regional.list_vector_buckets()["vectorBuckets"]] == ["in-region"]


def test_command_line_region_is_checked(capsys):
    from s3vectors_emulator.cli import parse_args

    for region in VALID_REGIONS:
        assert parse_args(["--region", region]).region == region
    for region in ("x" * 100, "US-EAST-1", "us-east"):
        with pytest.raises(SystemExit) as exc:
            parse_args(["--region", region])
        assert exc.value.code == 2
        assert "--region" in capsys.readouterr().err
