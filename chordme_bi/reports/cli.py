"""``chordme-bi report``: one ad hoc report to files (the seed's generate-report call, from a shell).

Bad arguments exit with code 2 and a message that lists the valid values.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from chordme_bi.reports.config import ReportConfig, ReportFormat, ReportPeriod, ReportType


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; expected YYYY-MM-DD") from None


def _id_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid user ids {text!r}; expected integers separated by commas, e.g. 1,2,3") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="generate one report (json, csv, html or pdf) for a window")
    parser.add_argument("--type", dest="report_type", required=True, choices=[t.value for t in ReportType])
    parser.add_argument("--period", default=ReportPeriod.MONTHLY.value, choices=[p.value for p in ReportPeriod],
                        help="without --start: the last complete period (UTC)")
    parser.add_argument("--start", type=_iso_date, help="first day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--end", type=_iso_date, help="day after the last, YYYY-MM-DD (exclusive)")
    parser.add_argument("--user-ids", type=_id_list, help="only these users, e.g. 1,2,3")
    parser.add_argument("--class-id", help="an educator's class (lesson_plan room id): its students")
    parser.add_argument("--band-id", type=int, help="a band (dim_bands.band_id)")
    parser.add_argument("--format", default=ReportFormat.JSON.value, choices=[f.value for f in ReportFormat])
    parser.add_argument("--out", type=Path, help="output directory (default: <BI_OUTPUT_DIR>/reports/adhoc)")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from pydantic import ValidationError

    from chordme_bi.reports.engine import generate_report
    from chordme_bi.reports.render import write_report
    from chordme_bi.settings import Settings
    from chordme_bi.warehouse import read_only

    try:
        config = ReportConfig(report_type=args.report_type, period=args.period, start=args.start, end=args.end,
                              user_ids=args.user_ids, class_id=args.class_id, band_id=args.band_id, format=args.format)
    except ValidationError as exc:
        parser.error("; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors()))
    settings = Settings.from_env()
    if not Path(settings.warehouse_path).exists():
        parser.error(f"no warehouse at {settings.warehouse_path}: run `make run` or `chordme-bi extract` and dbt build first")
    try:
        with read_only(settings.warehouse_path) as con:
            report = generate_report(con, config)
    except ValueError as exc:  # unknown class or band id: the message lists the valid ones
        parser.error(str(exc))
    out = args.out or settings.reports_dir / "adhoc"
    written = write_report(report, out, stem=report["report_id"], formats=(config.format.value,))
    print(json.dumps({"report_id": report["report_id"], "summary": report["summary"],
                      "files": [str(p) for paths in written.values() for p in paths]}, indent=2))
    return 0
