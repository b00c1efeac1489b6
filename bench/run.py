"""Run the benchmark: ``python -m bench.run [--quick] [--only SECTION[,SECTION]] [--out FILE]``.

Prints the machine, the command and one table per section (with targets marked met or MISSED),
and writes everything as JSON to bench/results/<timestamp>.json (or --out).  Exits 1 when a
section fails to run; a missed target is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.machine import machine
from bench.report import Column, Section, format_table, print_section
from bench.stats import now

SECTIONS = {
    "kernel": "bench.kernel",
    "filtered": "bench.filtered",
    "e2e": "bench.e2e",
    "put": "bench.put",
    "text": "bench.text",
    "memory": "bench.memory",
    "restart": "bench.restart",
    "seed": "bench.seed",
    "parallel": "bench.parallel",
    "moto": "bench.moto_compare",
    "console": "bench.console",
    "inprocess": "bench.inprocess",
    "transfer": "bench.transfer",
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and fewer runs (about seven minutes)")
    parser.add_argument(
        "--only",
        metavar="SECTION",
        action="append",
        default=[],
        help=f"run only these sections (repeatable or comma-separated): {', '.join(SECTIONS)}",
    )
    parser.add_argument("--out", metavar="FILE", type=Path, help="JSON output (default bench/results/<timestamp>.json)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    args.sections = [name for name in SECTIONS if name in chosen] if chosen else list(SECTIONS)
    return args


def _write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    raw = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", "bench.run", *raw])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or ROOT / "bench" / "results" / f"{stamp}.json"
    info = machine()
    print(f"command: {command}")
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, load {info['load_average']}")
    print(f"python {info['python']}, numpy {info['numpy']}, BLAS {info['blas']}")
    print(f"faiss-cpu {info['faiss'] or 'not installed'}, botocore {info['botocore']}, moto {info['moto'] or '-'}")
    print("figures are medians of several runs; each ratio compares things measured in the same run")
    report: dict[str, Any] = {
        "command": command,
        "quick": args.quick,
        "started": stamp,
        "machine": info,
        "sections": {},
    }
    failed = []
    start_all = now()
    for name in args.sections:
        start = now()
        try:
            section: Section = importlib.import_module(SECTIONS[name]).run(args.quick)
        except Exception as exc:
            traceback.print_exc()
            failed.append(name)
            section = Section(name, f"{name}: FAILED", [], notes=[f"{exc.__class__.__name__}: {exc}"])
        section.seconds = now() - start
        print_section(section)
        report["sections"][name] = section.as_dict() | {"load_average_after": [round(x, 2) for x in os.getloadavg()]}
        _write(out, report)  # after each section, so a later failure keeps what was measured

    targets = [(name, t) for name, s in report["sections"].items() for t in s["targets"]]
    if targets:
        rows = [
            {
                "section": name,
                "figure": t["name"],
                "value": t["value"],
                "target": f"{t['op']}{t['limit']:g}{t['unit']}",
                "verdict": {True: "met", False: "MISSED", None: "n/a"}[t["met"]],
            }
            for name, t in targets
        ]
        print("\n== Targets")
        print(
            format_table(
                [
                    Column("section", "section"),
                    Column("figure", "figure"),
                    Column("value", "value", "{:.3g}"),
                    Column("target", "target"),
                    Column("verdict", "verdict"),
                ],
                rows,
            )
        )
    report["seconds"] = round(now() - start_all, 1)
    _write(out, report)
    print(f"\n{len(args.sections)} section(s) in {report['seconds']:.0f} s; results written to {out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
