"""Command line: options → Config → the server.  ``s3vectors-emulator`` and ``python -m s3vectors_emulator``."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import socket
import sys

from s3vectors_emulator import __version__
from s3vectors_emulator.config import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Config
from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.faults import FaultRule
from s3vectors_emulator.protocol.auth import is_region_name

# `s3vectors-emulator export|import|copy ...` go to s3vectors_emulator/transfer/commands.py; the rest start the server.
TRANSFER_COMMANDS = ("export", "import", "copy")

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


LOG_LEVELS = ("debug", "info", "warning", "error")


def _size(text: str) -> int:
    """A byte count such as 268435456, 256MiB or 1GB (argparse type)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise argparse.ArgumentTypeError(f"expected a size such as 256MiB or 1GiB, got {text!r}")
    return int(float(match.group(1)) * unit)


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="s3vectors-emulator",
        description="A local emulator of Amazon S3 Vectors.",
        epilog="Moving data: s3vectors-emulator export|import|copy --help (README, Moving data).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free port (default 8000)")
    parser.add_argument("--region", default=DEFAULT_REGION, help="region for unsigned requests (default us-east-1)")
    parser.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID, help="account id in ARNs (default 123456789012)")
    parser.add_argument(
        "--legacy-buckets",
        action="store_true",
        help="treat new buckets as created before 2026-09-30: CLASSIC default index mode",
    )
    parser.add_argument("--threads", type=int, default=16, help="worker threads (default 16)")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=Config.idle_timeout,
        metavar="SECONDS",
        help="close a keep-alive connection idle this long (default 60)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=Config.request_timeout,
        metavar="SECONDS",
        help="answer 408 to a request whose head takes longer than this, or whose body stalls this long (default 20)",
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("S3VECTORS_DATA_DIR") or None,
        help="keep all state in this directory between runs (default: memory only; env S3VECTORS_DATA_DIR)",
    )
    parser.add_argument(
        "--auth",
        action="append",
        default=[],
        metavar="ACCESS_KEY:SECRET_KEY",
        help="check SigV4 signatures against this key pair (repeatable); without it any credentials work",
    )
    parser.add_argument("--auth-file", help="a file of ACCESS_KEY:SECRET_KEY lines, as --auth")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="OPERATION=ERROR[@RATE][xCOUNT]",
        help="inject failures, e.g. PutVectors=429@0.5 or '*=503x2' (repeatable)",
    )
    parser.add_argument("--fault-seed", type=int, help="seed for the fault rates, for repeatable runs")
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="info (default): one line per request on stderr; debug: with the request and response bodies; "
        "warning or error: problems only",
    )
    parser.add_argument("--quiet", action="store_true", help="no request lines and no start-up summary")
    parser.add_argument(
        "--query-snapshot-budget",
        type=_size,
        default=Config.snapshot_budget_bytes,
        metavar="SIZE",
        help="memory for the QueryVectors result snapshots behind page tokens, all accounts and regions "
        "together, e.g. 256MiB (the default) or 1GiB; the least recently used are dropped first",
    )
    parser.add_argument(
        "--request-log-size",
        type=int,
        default=Config.request_log_size,
        metavar="N",
        help="how many of the last API calls the console and GET /_emulator/requests keep (default 1000; 0: none)",
    )
    parser.add_argument(
        "--init",
        default=os.environ.get("S3VECTORS_INIT") or None,
        metavar="PATH",
        help="seed at start from a declarative file (.yaml/.json), a dump directory, a snapshot (.tar.gz) or a "
        "directory of them, before the listening line; existing buckets and indexes are kept (env S3VECTORS_INIT)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if not (0 <= args.port <= 65535):
        parser.error("--port must be between 0 and 65535")
    if args.request_log_size < 0:
        parser.error("--request-log-size must be 0 or more")
    if not (len(args.account_id) == 12 and args.account_id.isdigit()):
        parser.error("--account-id must be 12 digits")
    if not is_region_name(args.region):
        parser.error(f"--region must be an AWS region name such as us-east-1 or eu-central-1, got {args.region[:64]!r}")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    for option, seconds in (("--idle-timeout", args.idle_timeout), ("--request-timeout", args.request_timeout)):
        if not 0 < seconds < 1e6:
            parser.error(f"{option} must be a positive number of seconds")
    pairs = list(args.auth)
    if args.auth_file:
        try:
            with open(args.auth_file, encoding="utf-8") as handle:
                pairs += [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise StartupError(f"cannot read --auth-file {args.auth_file}: {reason}") from None
    credentials = []
    for pair in pairs:
        key, sep, secret = pair.partition(":")
        if not sep or not key or not secret:
            parser.error(f"--auth expects ACCESS_KEY:SECRET_KEY, got {pair!r}")
        credentials.append((key, secret))
    for spec in args.fault:
        try:
            FaultRule.parse(spec)
        except (ValueError, ServiceError) as exc:
            parser.error(f"--fault {spec!r}: {getattr(exc, 'message', exc)}")
    return Config(
        host=args.host,
        port=args.port,
        region=args.region,
        account_id=args.account_id,
        legacy_buckets=args.legacy_buckets,
        threads=args.threads,
        idle_timeout=args.idle_timeout,
        request_timeout=args.request_timeout,
        credentials=tuple(credentials),
        faults=tuple(args.fault),
        fault_seed=args.fault_seed,
        data_dir=args.data_dir,
        snapshot_budget_bytes=args.query_snapshot_budget,
        log_level=args.log_level,
        quiet=args.quiet,
        request_log_size=args.request_log_size,
        init=args.init,
    )


class StartupError(Exception):
    """A reason not to start, said in one line on stderr (exit status 1)."""


def listen_error(exc: OSError, host: str, port: int) -> str:
    """What went wrong when binding, and what to do about it."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: {host!r} is not a known host name; use --host 127.0.0.1 or 0.0.0.0"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use; stop the other process or pick another port with --port (0 picks a free one)"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {where}: {host} is not an address of this machine; use --host 127.0.0.1 "
            "(this machine only) or --host 0.0.0.0 (every interface)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"cannot listen on {where}: permission denied (ports below 1024 need privileges); "
            "pick another port with --port"
        )
    return f"cannot listen on {where}: {exc.strerror or exc}"


def configure_logging(config: Config) -> None:
    """Problems as ``time LEVEL name: message``; request lines bare (they carry their own time)."""
    from s3vectors_emulator import request_log

    level = getattr(logging, config.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    requests = request_log.log
    requests.propagate = False
    requests.handlers[:] = [logging.StreamHandler(sys.stderr)]
    requests.setLevel(logging.WARNING if config.quiet else level)


def summary(config: Config) -> str:
    data = f"data in {config.data_dir}" if config.data_dir else "memory only"
    signatures = (
        f"signatures checked ({len(config.credentials)} key pairs)"
        if config.credentials
        else ("signatures not checked")
    )
    return f"unsigned requests go to account {config.account_id} in region {config.region}; {data}; {signatures}"


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments and arguments[0] in TRANSFER_COMMANDS:
        # Imported here: the server's start-up does not pay for the transfer client (urllib3, tqdm).
        from s3vectors_emulator.transfer.commands import main as transfer

        return transfer(arguments)
    # Imported here, not at the top, so that export, import and copy do not load the server (Flask, the store).
    from s3vectors_emulator.app import create_app
    from s3vectors_emulator.seeding import SeedError, seed_app
    from s3vectors_emulator.server import EmulatorServer, stop_on_signals
    from s3vectors_emulator.store.persistence import DataDirError

    try:
        config = parse_args(argv)
        configure_logging(config)
        stopping = stop_on_signals()
        try:
            app = create_app(config)
        except DataDirError as exc:
            raise StartupError(str(exc)) from None
        try:
            server = EmulatorServer(
                app,
                config.host,
                config.port,
                config.threads,
                idle_timeout=config.idle_timeout,
                request_timeout=config.request_timeout,
                max_body_bytes=config.max_body_bytes,
            )
        except OSError as exc:
            app.extensions["s3vectors_store"].close()
            raise StartupError(listen_error(exc, config.host, config.port)) from None
        # behaviour.md#consistency-seeding: listening (the health check answers 503) while the seed is applied;
        # the listening line below comes only once it is, so whoever waits for that line waits for the seed.
        server.start()
        try:
            seed_app(app, stopping)
        except SeedError as exc:
            server.stop()
            app.extensions["s3vectors_store"].close()
            raise StartupError(str(exc)) from None
    except StartupError as exc:
        print(f"s3vectors-emulator: {exc}", file=sys.stderr)
        return 1
    # stdout holds only this line, for scripts that wait for it; everything else goes to stderr.
    print(f"S3 Vectors emulator listening on {server.url}", flush=True)
    if not config.quiet:
        print(summary(config), file=sys.stderr, flush=True)
    token = app.extensions["s3vectors_console_token"]
    if token or not config.quiet:
        # With --auth this address is what opens the console, so it is printed even with --quiet.
        console = f"{server.url}/_emulator/ui" + (f"?token={token}" if token else "")
        print(f"console: {console}", file=sys.stderr, flush=True)
    server.serve_until_signalled(stopping)
    app.extensions["s3vectors_store"].close()
    return 0
