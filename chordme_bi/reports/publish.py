"""Keep a report's files in step with the warehouse without writing what did not change.

``publish_report`` is what the report assets (one file set per partition) and the benchmark call. A file set
``<directory>/<stem>.<format>`` has a state file, ``<directory>/.published/<stem>.json``: its data version (a
hash of the report without ``generated_at``, and of the code) and its files. The report is built every time;
when its data version is the state's and every file is there, the files are left as they are (nothing is
rendered, downstream assets are not marked stale). Otherwise the formats are written one by one; the state is
saved only when all of them were, so a format that failed is written again next time.

Why not skip the build too when the query results are those of last time: DuckDB's parallel sums of doubles
differ in their last bits from one run to the next over the same rows, so the big reports' results never
compare equal (measured at 10M sessions: 0 of 12 in the benchmark's incremental run).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb and the engine load when a report is published, not with the Dagster definitions
    import duckdb

    from chordme_bi.reports.config import ReportConfig

STATE_DIR = ".published"


@cache
def code_version() -> str:
    """Hash of the engine and renderer sources: a change to either writes every report again."""
    package = Path(importlib.util.find_spec("chordme_bi.reports").origin).parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *(package / "render").glob("*.py")]):
        if path.name != "cli.py":
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Published:
    report: dict
    data_version: str
    files: dict[str, list[Path]]  # format -> the files that hold it
    failed: dict[str, str] = field(default_factory=dict)  # format -> error, when its renderer raised
    written: bool = True  # False: the files held this report already and were kept


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or unreadable: write the files again
        return None


def _files_of(state: dict, directory: Path, formats: tuple[str, ...]) -> dict[str, list[Path]] | None:
    """The state's files for these formats, when every one of them is still there."""
    files = {fmt: [directory / name for name in state.get("files", {}).get(fmt, [])] for fmt in formats}
    return files if all(files.values()) and all(p.exists() for paths in files.values() for p in paths) else None


def _write_each(report: dict, directory: Path, stem: str, formats: tuple[str, ...]) -> tuple[dict, dict]:
    """Write format by format, so one failing renderer does not cost the others their files."""
    from chordme_bi.reports.render import write_report

    written, failed = {}, {}
    for fmt in formats:
        try:
            written.update(write_report(report, directory, stem=stem, formats=(fmt,)))
        except Exception as exc:  # noqa: BLE001 - returned to the caller, which reports it
            failed[fmt] = f"{type(exc).__name__}: {exc}"
    return written, failed


def publish_report(con: duckdb.DuckDBPyConnection, config: ReportConfig, directory: Path, stem: str,
                   formats: Iterable[str], *, today=None) -> Published:
    """Build the report for ``config.window(today)`` and write ``<directory>/<stem>.<format>`` unless the files
    hold it already; a renderer's error is returned in ``failed``, not raised."""
    from chordme_bi.reports.engine import content_hash, generate_report

    formats = tuple(formats)
    state_path = directory / STATE_DIR / f"{stem}.json"
    state = _read_state(state_path)
    report = generate_report(con, config, today=today)
    version = hashlib.sha256(f"{content_hash(report)}:{code_version()}".encode()).hexdigest()[:16]
    kept = _files_of(state, directory, formats) if state and state.get("data_version") == version else None
    if kept:
        return Published(report, version, kept, written=False)
    files, failed = _write_each(report, directory, stem, formats)
    if failed:  # some files may hold this report, others the last one: the next call writes again
        state_path.unlink(missing_ok=True)
    else:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        partial = state_path.with_suffix(".tmp")
        partial.write_text(json.dumps({"data_version": version,
                                       "files": {fmt: [p.name for p in paths] for fmt, paths in files.items()}}))
        os.replace(partial, state_path)  # never a half-written state next to whole files
    return Published(report, version, files, failed)
