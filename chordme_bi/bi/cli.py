"""``chordme-bi bi list | test NAME | sync NAME [--mart M]``: the external BI connections without Dagster."""

from __future__ import annotations

import argparse
import json
import sys

from chordme_bi.settings import Settings


def _connections(settings: Settings):
    from chordme_bi.bi.config import load_connections

    return load_connections(settings.connections_file)


def _cmd_list(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    connections = _connections(settings)
    if not connections:
        print(f"no connections in {settings.connections_file}")
        return 0
    state = "enabled" if settings.external_integrations_enabled else "disabled (BI_EXTERNAL_INTEGRATIONS_ENABLED)"
    print(f"{settings.connections_file}: {len(connections)} connection(s); external integrations {state}")
    for c in connections:
        missing = c.missing_env()
        env = c.env_names()
        creds = ("no credentials needed" if not env else
                 "credentials set" if not missing else f"credentials missing: {', '.join(missing)}")
        print(f"- {c.name} [{c.platform}] {c.sync_frequency}: {creds}")
        print(f"    marts: {', '.join(c.data_sources)}")
        if env:
            print(f"    reads: {', '.join(env)}")  # names only, never values
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    from chordme_bi.bi.config import find_connection
    from chordme_bi.bi.sync import check_connection

    settings = Settings.from_env()
    connection = find_connection(_connections(settings), args.name)
    ok, lines = check_connection(settings, connection)
    print(f"{connection.name} [{connection.platform}]: {'OK' if ok else 'FAILED'}")
    for line in lines:
        print(f"  {line}")
    return 0 if ok else 1


def _cmd_sync(args: argparse.Namespace) -> int:
    from chordme_bi.bi.config import find_connection
    from chordme_bi.bi.sync import sync_connection

    settings = Settings.from_env()
    connection = find_connection(_connections(settings), args.name)
    meta = sync_connection(settings, connection, args.mart or None, run_id="cli",
                           log=lambda line: print(line, file=sys.stderr))
    print(json.dumps(meta, indent=2, default=str))
    return 0


def register(subparsers) -> None:
    bi = subparsers.add_parser("bi", help="external BI connections (Tableau, Power BI, files, webhook)")
    sub = bi.add_subparsers(dest="bi_command", required=True)
    sub.add_parser("list", help="connections and whether their credentials are set").set_defaults(func=_cmd_list)
    test = sub.add_parser("test", help="check a connection's reachability and credentials")
    test.add_argument("name")
    test.set_defaults(func=_cmd_test)
    sync = sub.add_parser("sync", help="write and publish a connection's marts now")
    sync.add_argument("name")
    sync.add_argument("--mart", action="append", help="only this mart (repeatable)")
    sync.set_defaults(func=_cmd_sync)
