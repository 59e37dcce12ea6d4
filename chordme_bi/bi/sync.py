"""One entry point per connection, shared by the Dagster assets and ``chordme-bi bi``: sync (write the local
files, then publish / push / notify when credentials are set and integrations are enabled) and test.

Returns plain metadata per mart; the callers decide how to show it. Secrets are read from the environment at
the moment of use and never appear in what is returned.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from chordme_bi.bi.config import (
    Connection,
    FilesConnection,
    PowerBIConnection,
    TableauConnection,
    WebhookConnection,
)
from chordme_bi.settings import Settings


def _skip_reason(settings: Settings, connection: Connection) -> str | None:
    if not settings.external_integrations_enabled:
        return "BI_EXTERNAL_INTEGRATIONS_ENABLED is false"
    missing = connection.missing_env()
    return f"{', '.join(missing)} not set" if missing else None


def _mart_rows(settings: Settings, marts: list[str]) -> dict[str, int]:
    from chordme_bi.bi.marts import columns, quote
    from chordme_bi.warehouse import read_only

    with read_only(settings.warehouse_path) as con:
        for mart in marts:
            columns(con, mart)  # a clear "mart not found" before anything else
        return {m: con.execute(f"SELECT count(*) FROM marts.{quote(m)}").fetchall()[0][0] for m in marts}


def sync_connection(settings: Settings, connection: Connection, marts: list[str] | None = None, *,
                    run_id: str = "manual", log: Callable[[str], None] = lambda _: None,
                    powerbi_token_provider: Callable[..., str] | None = None) -> dict[str, dict]:
    """Sync ``marts`` (default: all of the connection's data sources); returns metadata per mart."""
    marts = list(marts or connection.data_sources)
    not_listed = [m for m in marts if m not in connection.data_sources]
    if not_listed:
        raise ValueError(f"connection {connection.name!r}: {', '.join(not_listed)} not in its data_sources")
    out_dir = Path(settings.exports_dir) / connection.name
    skip = _skip_reason(settings, connection)
    if isinstance(connection, TableauConnection):
        return _sync_tableau(settings, connection, marts, out_dir, skip, log)
    if isinstance(connection, PowerBIConnection):
        return _sync_powerbi(settings, connection, marts, out_dir, skip, run_id, log, powerbi_token_provider)
    return _sync_files(settings, connection, marts, out_dir, skip, log)


def _sync_tableau(settings, connection: TableauConnection, marts, out_dir, skip, log) -> dict[str, dict]:
    from chordme_bi.bi.hyper import write_hyper_extracts
    from chordme_bi.bi.tableau import TableauPublisher

    results = write_hyper_extracts(settings.warehouse_path, marts, out_dir, work_dir=Path(settings.data_dir))
    meta = {r.mart: {"path": str(r.path), "dagster/row_count": r.rows, "bytes": r.bytes,
                     "hyper_seconds": round(r.seconds, 3), "hyper_columns": r.columns} for r in results}
    if skip:
        for m in meta.values():
            m["publish"] = f"publish skipped: {skip}"
        log(f"{connection.name}: wrote {len(results)} .hyper extracts; publish skipped: {skip}")
        return meta
    with TableauPublisher(connection) as publisher:
        for r in results:
            published = publisher.publish(r.path, r.mart)
            meta[r.mart].update({"publish": f"published to project {connection.project!r}",
                                 "datasource_id": published.datasource_id, "chunked_upload": published.chunked})
            log(f"{connection.name}: published {r.mart} ({r.bytes:,} bytes)")
    return meta


def _sync_powerbi(settings, connection: PowerBIConnection, marts, out_dir, skip, run_id, log,
                  token_provider) -> dict[str, dict]:
    from chordme_bi.bi import powerbi

    if skip:
        rows = _mart_rows(settings, marts)
        log(f"{connection.name}: push skipped: {skip}")
        return {m: {"dagster/row_count": rows[m], connection.mode: f"{connection.mode} skipped: {skip}"} for m in marts}
    client = powerbi.client_for(connection, token_provider)
    if connection.mode == "refresh":
        rows = _mart_rows(settings, marts)
        client.refresh(connection.refresh_dataset_id)
        log(f"{connection.name}: refresh of dataset {connection.refresh_dataset_id} requested")
        return {m: {"dagster/row_count": rows[m], "refresh": f"requested for dataset {connection.refresh_dataset_id}"}
                for m in marts}
    results = powerbi.push_marts(settings.warehouse_path, connection, marts, out_dir / ".powerbi", run_id, client)
    stats = client.stats
    log(f"{connection.name}: {stats.post_rows} POST rows requests, {stats.throttled} throttled (429)")
    return {r.table: {"dagster/row_count": r.rows, "push": r.outcome, "dataset_id": r.dataset_id,
                      "batches_posted": r.batches_posted, "batches_resumed": r.batches_skipped,
                      "requests": stats.requests, "throttled_429": stats.throttled} for r in results}


def _sync_files(settings, connection: FilesConnection | WebhookConnection, marts, out_dir, skip, log) -> dict[str, dict]:
    from chordme_bi.bi.files import post_webhook, write_manifest, write_mart_files

    entries = {m: write_mart_files(settings.warehouse_path, m, out_dir, connection.formats) for m in marts}
    manifest_path, body = write_manifest(out_dir, entries, settings.warehouse_path, keep=connection.data_sources)
    meta = {m: {"dagster/row_count": e["rows"], "files": [str(out_dir / f["path"]) for f in e["files"]],
                "sha256": {f["format"]: f["sha256"] for f in e["files"]}, "manifest": str(manifest_path)}
            for m, e in entries.items()}
    target = connection.webhook
    if target is None:
        return meta
    if skip:
        note = f"webhook skipped: {skip}"
    else:
        status = post_webhook(target.url, body, os.environ[target.secret_env], timeout=settings.webhook_timeout)
        note = f"webhook delivered ({status})"
    log(f"{connection.name}: {note}")
    for m in meta.values():
        m["webhook"] = note
    return meta


def check_connection(settings: Settings, connection: Connection,
                    powerbi_token_provider: Callable[..., str] | None = None) -> tuple[bool, list[str]]:
    """(ok, lines): what was checked, or what is wrong (missing variable named, refused, 401, no project...)."""
    missing = connection.missing_env()
    if missing:
        return False, [f"missing environment variable(s): {', '.join(missing)}"]
    try:
        if isinstance(connection, TableauConnection):
            from chordme_bi.bi.tableau import check

            return True, check(connection)
        if isinstance(connection, PowerBIConnection):
            from chordme_bi.bi.powerbi import check

            return True, check(connection, powerbi_token_provider)
        lines = [_check_writable(Path(settings.exports_dir) / connection.name)]
        if connection.webhook is not None:
            from chordme_bi.bi.files import post_webhook

            body = json.dumps({"type": "chordme.bi.test", "connection": connection.name}).encode()
            status = post_webhook(connection.webhook.url, body, os.environ[connection.webhook.secret_env],
                                  timeout=min(settings.webhook_timeout, 15), attempts=1)
            lines.append(f"webhook {connection.webhook.url} accepted a signed test ping ({status})")
        return True, lines
    except Exception as exc:  # every failure becomes a line the user can act on
        return False, [str(exc) or type(exc).__name__]


def _check_writable(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".write-test-"):
        pass
    return f"{directory} is writable"
