"""``chordme-bi``: the command line for the things people do without the Dagster UI.

Each area adds its subcommands from its own module (``register(subparsers)``), listed in COMMAND_MODULES;
a module that is not there yet is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys

from chordme_bi.settings import Settings

COMMAND_MODULES = (
    "chordme_bi.reports.cli",  # report
    "chordme_bi.delivery.cli",  # export, deliveries
    "chordme_bi.bi.cli",  # bi list, bi test, bi sync
    "chordme_bi.quality.cli",  # erase, retention
)


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from chordme_bi.source.generator import generate

    url = args.url or Settings.from_env().source_url
    counts = generate(url, sessions=args.sessions, seed=args.seed, messy_fraction=args.messy_fraction)
    print(json.dumps({"url": redact_url(url), "rows": counts}, indent=2))
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from chordme_bi.extract.extractor import extract_all

    settings = Settings.from_env()
    results = extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    print(json.dumps({r.table: r.as_metadata() for r in results}, indent=2, default=str))
    return 0


def redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its package does not exist either
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chordme-bi", description="ChordMe BI pipeline tools")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write a realistic demo ChordMe source database")
    demo.add_argument("--url", help="SQLAlchemy URL (default: CHORDME_SOURCE_URL or sqlite:///data/chordme.db)")
    demo.add_argument("--sessions", type=int, default=200_000, help="number of practice sessions (default 200000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed; same seed and day, same data")
    demo.add_argument("--messy-fraction", type=float, default=0.01, help="share of rows with real-world faults")
    demo.set_defaults(func=_cmd_demo_data)

    extract = sub.add_parser("extract", help="copy the source into the warehouse's raw schema (incremental)")
    extract.set_defaults(func=_cmd_extract)

    for module_name in COMMAND_MODULES:
        if _module_exists(module_name):
            importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
