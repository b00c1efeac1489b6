"""The emulator's settings: one object, built by the command line or by tests."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# behaviour.md#decision-request-size: the largest body AWS accepts, inclusive.
MAX_BODY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8000
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    # behaviour.md#decision-post-cutoff-buckets: mark new buckets as made before 2026-09-30, so CLASSIC index paths can
    # be tested.
    legacy_buckets: bool = False
    threads: int = 16
    max_body_bytes: int = MAX_BODY_BYTES
    # How long an idle keep-alive connection stays open: SDKs that pool connections (the JavaScript
    # SDK v3) reuse them after long pauses, and a connection closed under them fails with EPIPE.
    idle_timeout: float = 60.0
    # How long a request's head may take from its first byte, and a body or an answer may make no
    # progress, before the server answers 408 and closes (s3vectors_emulator.server).
    request_timeout: float = 20.0
    # behaviour.md#decision-credentials: access key → secret key; when non-empty every request's SigV4 signature is
    # checked.
    credentials: tuple[tuple[str, str], ...] = ()
    # Fault injection rules, as OPERATION=ERROR[@RATE][xCOUNT] (s3vectors_emulator.faults).
    faults: tuple[str, ...] = ()
    fault_seed: int | None = None
    # Where state is kept between runs (SQLite, s3vectors_emulator.store.persistence); None: memory only.
    data_dir: str | None = None
    # One byte budget for every QueryVectors page snapshot of the process (s3vectors_emulator.paging).
    snapshot_budget_bytes: int = 256 * 1024 * 1024
    # Request lines on stderr (s3vectors_emulator.request_log): info, debug (with bodies), warning, error.
    log_level: str = "info"
    quiet: bool = False  # no request lines, no start-up summary
    # The last API calls kept for the console and GET /_emulator/requests (0: none).
    request_log_size: int = 1000
    # With credentials (--auth), what opens the console instead of a signature; None: one is made at start.
    console_token: str | None = None
    # What --init names (a declarative file, a dump, a snapshot archive or a folder of them), applied at
    # start before the emulator is ready (s3vectors_emulator.seeding); None: nothing.
    init: str | None = None
