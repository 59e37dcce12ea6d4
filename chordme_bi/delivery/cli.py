"""``chordme-bi export`` and ``chordme-bi deliveries`` (registered by chordme_bi/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys


def _filter(text: str) -> tuple[str, list[str]]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise argparse.ArgumentTypeError(f"--filter {text!r}: use key=value1,value2 (e.g. device_types=mobile,desktop)")
    return key.strip(), [v.strip() for v in values.split(",") if v.strip()]


def _cmd_export(args: argparse.Namespace) -> int:
    from chordme_bi.delivery.export import ExportError, ExportRequest, run_export
    from chordme_bi.settings import Settings

    filters: dict[str, list[str]] = {}
    for key, values in args.filter or []:
        filters.setdefault(key, []).extend(values)
    request = ExportRequest(args.data_type, args.start, args.end, args.format, filters, args.out, args.allow_truncate)
    try:
        result = run_export(Settings.from_env(), request)
    except ExportError as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=2, default=str))
    return 0


def _cmd_deliveries(args: argparse.Namespace) -> int:
    from chordme_bi.settings import Settings
    from chordme_bi.warehouse import read_only

    with read_only(Settings.from_env().warehouse_path) as con:
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name='ops' AND table_name='delivery_log'").fetchall()[0][0]
        if not exists:
            print("no deliveries yet")
            return 0
        rows = con.execute(
            """SELECT logged_at, scheduled_report_id, scheduled_time, channel, recipient, outcome, attempt, tries, error
               FROM ops.delivery_log ORDER BY logged_at DESC LIMIT ?""", [args.limit]).fetchall()
    if not rows:
        print("no deliveries yet")
    for r in rows:
        print(" | ".join("" if v is None else str(v) for v in r))
    return 0


def register(sub) -> None:
    export = sub.add_parser("export", help="export a mart (sessions, events, performances, goals, users, or any marts.<name>)")
    export.add_argument("--data-type", required=True, help="sessions | events | performances | goals | users | <mart name>")
    export.add_argument("--start", help="window start, inclusive (YYYY-MM-DD or ISO timestamp, UTC)")
    export.add_argument("--end", help="window end, exclusive")
    export.add_argument("--format", default="csv", choices=("csv", "json", "parquet"))
    export.add_argument("--filter", action="append", type=_filter, metavar="KEY=V1,V2",
                        help="keep rows whose column is one of the values (repeatable), e.g. device_types=mobile,desktop")
    export.add_argument("--out", help="output file (default: <BI_OUTPUT_DIR>/exports/<type>_<window>_<time>.<format>)")
    export.add_argument("--allow-truncate", action="store_true",
                        help="over BI_EXPORT_MAX_RECORDS, write the first rows and mark the export truncated")
    export.set_defaults(func=_cmd_export)

    deliveries = sub.add_parser("deliveries", help="recent scheduled-report deliveries (ops.delivery_log)")
    deliveries.add_argument("--limit", type=int, default=20)
    deliveries.set_defaults(func=_cmd_deliveries)
