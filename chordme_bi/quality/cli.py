"""``chordme-bi erase`` and ``chordme-bi retention`` (registered by chordme_bi/cli.py)."""

from __future__ import annotations

import argparse
import json


def _rebuild(settings) -> None:
    from chordme_bi.quality.erasure import rebuild_aggregates

    rebuild_aggregates(settings)


def _cmd_erase(args: argparse.Namespace) -> int:
    from chordme_bi.quality.erasure import erase_user
    from chordme_bi.settings import Settings

    settings = Settings.from_env()
    report = erase_user(settings, args.user_id)
    if args.rebuild:
        _rebuild(settings)
    print(json.dumps({"erasure_id": report.erasure_id, "user_id_hash": report.user_id_hash,
                      "rows_removed": report.rows_removed, "rows_anonymised": report.rows_anonymised,
                      "files_removed": report.files_removed}, indent=2))
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    from chordme_bi.quality.retention import apply_retention
    from chordme_bi.settings import Settings

    settings = Settings.from_env()
    report = apply_retention(settings)
    if args.rebuild and report.total_rows_removed:
        _rebuild(settings)
    print(json.dumps({"retention_days": report.retention_days, "cutoff": report.cutoff,
                      "rows_removed": report.rows_removed}, indent=2, default=str))
    return 0


def register(subparsers) -> None:
    erase = subparsers.add_parser("erase", help="erase one user from the warehouse and outputs (GDPR)")
    erase.add_argument("--user-id", type=int, required=True, help="the ChordMe user id")
    erase.add_argument("--no-rebuild", dest="rebuild", action="store_false",
                       help="skip the dbt run that refreshes the aggregates afterwards")
    erase.set_defaults(func=_cmd_erase)
    retention = subparsers.add_parser("retention", help="apply BI_DATA_RETENTION_DAYS (0 keeps everything)")
    retention.add_argument("--no-rebuild", dest="rebuild", action="store_false",
                           help="skip the dbt run that refreshes the aggregates afterwards")
    retention.set_defaults(func=_cmd_retention)
