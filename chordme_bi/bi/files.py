"""Open-file exports: marts as Parquet (and CSV on request) plus ``manifest.json``, and the completion webhook.

Looker, Qlik Sense and anything else that reads files take these. Every file is written to a temporary name
and renamed, the manifest last, so a reader that follows the manifest never sees a half-written file. The
manifest lists, per mart, the columns and types as written, the row count, and each file's size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from chordme_bi.bi.marts import export_select
from chordme_bi.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chordme_bi.warehouse import read_only

MANIFEST = "manifest.json"
_COPY_OPTIONS = {"parquet": "FORMAT parquet, COMPRESSION zstd", "csv": "FORMAT csv, HEADER true"}


class WebhookError(RuntimeError):
    pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_mart_files(warehouse_path: Path | str, mart: str, out_dir: Path, formats: list[str]) -> dict:
    """Write ``<out_dir>/<mart>.<format>`` for each format; returns the mart's manifest entry."""
    unknown = set(formats) - set(_COPY_OPTIONS)
    if unknown:
        raise ValueError(f"formats: unknown {sorted(unknown)} (known: parquet, csv)")
    out_dir.mkdir(parents=True, exist_ok=True)
    files, rows = [], None
    with read_only(warehouse_path) as con:
        select = export_select(con, mart)
        schema = [{"name": n, "type": t} for n, t, *_ in con.execute(f"DESCRIBE {select}").fetchall()]
        for fmt in formats:
            target = out_dir / f"{mart}.{fmt}"
            tmp = out_dir / f".{mart}.{fmt}.tmp"
            count = con.execute(f"COPY ({select}) TO {_literal(tmp)} ({_COPY_OPTIONS[fmt]})").fetchall()[0][0]
            os.replace(tmp, target)
            rows = count if rows is None else rows
            if count != rows:  # the read-only snapshot makes this impossible unless something is badly wrong
                raise RuntimeError(f"{mart}: {fmt} has {count} rows, another format {rows}")
            files.append({"format": fmt, "path": target.name, "bytes": target.stat().st_size,
                          "sha256": sha256_file(target)})
    return {"rows": int(rows or 0), "columns": schema, "files": files}


def write_manifest(out_dir: Path, entries: dict[str, dict], warehouse_path: Path | str,
                   keep: list[str] | None = None) -> tuple[Path, bytes]:
    """Merge ``entries`` into ``manifest.json`` (earlier entries for marts in ``keep`` stay when their files
    are unchanged, so exporting one mart does not drop the others); returns its path and bytes."""
    path = out_dir / MANIFEST
    marts: dict[str, dict] = {}
    if path.exists() and keep:
        try:
            previous = json.loads(path.read_text()).get("marts", {})
        except ValueError:
            previous = {}
        for name, entry in previous.items():
            if name in keep and all((out_dir / f["path"]).exists() and sha256_file(out_dir / f["path"]) == f["sha256"]
                                    for f in entry.get("files", [])):
                marts[name] = entry
    marts.update(entries)
    manifest = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source_warehouse": str(Path(warehouse_path).resolve()),
        "marts": {name: marts[name] for name in sorted(marts)},
    }
    body = json.dumps(manifest, indent=2).encode()
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_bytes(body)
    os.replace(tmp, path)
    return path, body


def post_webhook(url: str, body: bytes, secret: str, *, timeout: float = 30.0, attempts: int = 4,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep, session=None) -> int:
    """POST ``body`` signed with ``chordme_bi.signing``; retries 5xx, timeouts and refused connections.

    A 4xx is not retried (the receiver rejected this body; sending it again will not help). Returns the status.
    """
    import requests

    session = session or requests.Session()
    last = ""
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))  # re-signed per attempt: receivers reject stale timestamps
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(body, secret, timestamp)}
        try:
            response = session.post(url, data=body, headers=headers, timeout=timeout)
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            last = f"{type(exc).__name__}"
        else:
            if response.status_code < 300:
                return response.status_code
            if response.status_code < 500:
                raise WebhookError(f"webhook {url}: rejected with {response.status_code}: {response.text[:200]}")
            last = f"server error {response.status_code}"
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise WebhookError(f"webhook {url}: {last} (gave up after {attempts} attempts)")
