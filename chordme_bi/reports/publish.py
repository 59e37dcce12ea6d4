"""Keep a report's files in step with the warehouse without writing what did not change.

``publish_report`` is what the report assets (one file set per partition) and the benchmark call. A file set
``<directory>/<stem>.<format>`` has a state file, ``<directory>/.published/<stem>.json``: the fingerprint of
what the report read (``chordme_bi.reports.inputs``), its data version (a hash of the report without
``generated_at``, and of the code) and its files.

- The inputs' fingerprint is the state's and every file is there: the report is not even built; it is read
  back from its JSON file (so this needs ``json`` among the formats). A closed month after a new day costs
  its fingerprint only.
- Otherwise the report is built. When its data version is the state's and every file is there, the files are
  left as they are (nothing is rendered, downstream assets are not marked stale).
- Otherwise the formats are written one by one; the state is saved only when all of them were, so a format
  that failed is written again next time.

Why the inputs and not the query results: DuckDB's parallel sums of doubles differ in their last bits from one
run to the next over the same rows, so the big reports' results never compared equal (measured at 10M
sessions: 0 of 12 in the benchmark's incremental run, before completion sums became exact decimals).
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
    from chordme_bi.reports.inputs import ReportInputs

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
    built: bool = True  # False: its inputs were those of the files, so it was read back from its JSON file


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


def _read_report(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def _save_state(state_path: Path, state: dict) -> None:
    state_path.parent.mkdir(parents=True, exist_ok=True)
    partial = state_path.with_suffix(".tmp")
    partial.write_text(json.dumps(state))
    os.replace(partial, state_path)  # never a half-written state next to whole files


def publish_report(con: duckdb.DuckDBPyConnection, config: ReportConfig, directory: Path, stem: str,
                   formats: Iterable[str], *, today=None, inputs: ReportInputs | None = None) -> Published:
    """Build the report for ``config.window(today)`` and write ``<directory>/<stem>.<format>`` unless the files
    hold it already; a renderer's error is returned in ``failed``, not raised. ``inputs``: the connection's
    mart fingerprints, shared by the reports published through it (one is made otherwise)."""
    from chordme_bi.reports.engine import content_hash, generate_report
    from chordme_bi.reports.inputs import ReportInputs

    formats = tuple(formats)
    state_path = directory / STATE_DIR / f"{stem}.json"
    state = _read_state(state_path)
    start, end = config.window(today)
    inputs_version = (inputs or ReportInputs(con)).fingerprint(config, start, end, code_version())
    kept = _files_of(state, directory, formats) if state else None
    # The JSON file is read only where the files would be kept; unreadable, it is written again like a missing one.
    if kept and "json" in kept and state.get("inputs_version") == inputs_version and state.get("data_version"):
        report = _read_report(kept["json"][0])
        if report is not None:
            return Published(report, state["data_version"], kept, written=False, built=False)
        kept = None
    report = generate_report(con, config, today=today)
    version = hashlib.sha256(f"{content_hash(report)}:{code_version()}".encode()).hexdigest()[:16]
    if kept and state.get("data_version") == version and ("json" not in kept or _read_report(kept["json"][0]) is not None):
        if state.get("inputs_version") != inputs_version:  # the same report from other rows: skip the build next time
            _save_state(state_path, {**state, "inputs_version": inputs_version})
        return Published(report, version, kept, written=False)
    files, failed = _write_each(report, directory, stem, formats)
    if failed:  # some files may hold this report, others the last one: the next call writes again
        state_path.unlink(missing_ok=True)
    else:
        _save_state(state_path, {"data_version": version, "inputs_version": inputs_version,
                                 "files": {fmt: [p.name for p in paths] for fmt, paths in files.items()}})
    return Published(report, version, files, failed)
