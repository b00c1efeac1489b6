"""The command lines of ``s3vectors-emulator export``, ``import`` and ``copy``: options in, one line out.

Every failure is one line on stderr (``s3vectors-emulator import: ...``) and exit status 1; an interrupted
run exits 130 and says how to finish it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from s3vectors_emulator.transfer.catalog import Selection
from s3vectors_emulator.transfer.client import Endpoint, TransferError
from s3vectors_emulator.transfer.copy import copy_between
from s3vectors_emulator.transfer.dump import DumpError
from s3vectors_emulator.transfer.export import export_dump
from s3vectors_emulator.transfer.importer import import_dump
from s3vectors_emulator.transfer.vectors import SEGMENTS

PROG = "s3vectors-emulator"


def _endpoint_options(parser: argparse.ArgumentParser, prefix: str = "", who: str = "") -> None:
    dest = prefix.replace("-", "_")
    parser.add_argument(
        f"--{prefix}endpoint-url",
        dest=f"{dest}endpoint_url",
        metavar="URL",
        help=f"the {who}endpoint, e.g. http://127.0.0.1:8000 (default: AWS, through the standard credential chain)",
    )
    parser.add_argument(
        f"--{prefix}region",
        dest=f"{dest}region",
        help="the region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's, as the AWS CLI; "
        "us-east-1 with an endpoint URL)",
    )
    parser.add_argument(f"--{prefix}profile", dest=f"{dest}profile", help="a profile of the AWS config files")


def _selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", help="only this vector bucket (default: every bucket)")
    parser.add_argument("--index", help="only this index of --bucket")


def _writing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--connections", type=int, default=8, metavar="N", help="PutVectors calls in flight at once (default 8)"
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        metavar="VECTORS_PER_S",
        help="write at most this many vectors a second, to stay under an account's write limits",
    )


def _segments_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--segments",
        type=int,
        default=SEGMENTS,
        metavar="N",
        help=f"parallel ListVectors segments per index, 1 to 16 (default {SEGMENTS})",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Move vector buckets and indexes between an endpoint and a dump, or two endpoints."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")

    export = commands.add_parser(
        "export", parents=[quiet], help="write buckets and indexes to a dump directory (docs/data-format.md)"
    )
    _endpoint_options(export)
    _selection_options(export)
    _segments_option(export)
    export.add_argument(
        "--gzip",
        action="store_true",
        help="compress the vector files (.jsonl.gz): about half the size, but compressing costs more time than the "
        "rest of the export",
    )
    export.add_argument("--force", action="store_true", help="overwrite a dump already in DIR")
    export.add_argument("directory", metavar="DIR", type=Path, help="the dump directory (made if missing)")

    imports = commands.add_parser("import", parents=[quiet], help="load a dump directory into an endpoint")
    _endpoint_options(imports)
    _selection_options(imports)
    _writing_options(imports)
    imports.add_argument("directory", metavar="DIR", type=Path, help="the dump directory")

    copy = commands.add_parser("copy", parents=[quiet], help="copy buckets and indexes from one endpoint to another")
    _endpoint_options(copy, "from-", "source ")
    _endpoint_options(copy, "to-", "destination ")
    _selection_options(copy)
    _segments_option(copy)
    _writing_options(copy)
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.index and not args.bucket:
        parser.error("--index needs --bucket")
    if not 1 <= getattr(args, "segments", 1) <= 16:
        parser.error("--segments must be between 1 and 16")
    if getattr(args, "connections", 1) < 1:
        parser.error("--connections must be at least 1")
    if getattr(args, "max_rate", None) is not None and args.max_rate <= 0:
        parser.error("--max-rate must be a positive number of vectors per second")
    selection = Selection(args.bucket, args.index)
    endpoints: list[Endpoint] = []
    try:
        if args.command == "export":
            source = Endpoint(args.endpoint_url, args.region, args.profile, connections=args.segments)
            endpoints.append(source)
            export_dump(source, args.directory, selection, args.quiet, args.segments, args.gzip, args.force)
        elif args.command == "import":
            target = Endpoint(args.endpoint_url, args.region, args.profile, connections=args.connections)
            endpoints.append(target)
            import_dump(target, args.directory, selection, args.quiet, args.connections, args.max_rate)
        else:
            source = Endpoint(args.from_endpoint_url, args.from_region, args.from_profile, connections=args.segments)
            endpoints.append(source)
            target = Endpoint(args.to_endpoint_url, args.to_region, args.to_profile, connections=args.connections)
            endpoints.append(target)
            copy_between(source, target, selection, args.quiet, args.segments, args.connections, args.max_rate)
    except (TransferError, DumpError) as exc:
        print(f"{PROG} {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        again = " run the same command again to finish it" if args.command != "export" else ""
        print(
            f"{PROG} {args.command}: interrupted;{again or ' nothing was written as a finished dump'}", file=sys.stderr
        )
        return 130
    finally:
        for endpoint in endpoints:
            endpoint.close()
    return 0
