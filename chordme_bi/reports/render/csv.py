"""CSV rendering: the summary as ``<stem>.csv`` and one flat table per entity list as ``<stem>__<section>.csv``.

Cells are neutralized against spreadsheet formula injection (OWASP "CSV injection"): a *text* cell that
starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe, so Excel and
LibreOffice show it as text instead of evaluating it. Numbers are written as numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SECTION_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def neutralize(value: Any) -> Any:
    """The value as a CSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def entity_lists(data: dict | None) -> dict[str, list[dict]]:
    """The sections of ``data`` that are lists of dicts (student_details, top_performers, daily_series...)."""
    lists = {}
    for name, value in (data or {}).items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            lists[str(name)] = value
    return lists


def scalar_sections(data: dict | None) -> dict[str, dict]:
    """The sections of ``data`` that are dicts (period_summary...)."""
    return {str(name): value for name, value in (data or {}).items() if isinstance(value, dict)}


def columns_of(rows: list[dict]) -> list[str]:
    """Union of the rows' keys in first-seen order (rows of one list may not all carry every key)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(str(key), None)
    return list(seen)


def _table(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        writer.writerow([neutralize(v) for v in row])
    # BOM so that Excel opens the UTF-8 names (accents, emoji) correctly; other readers ignore it.
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def summary_rows(report: dict) -> list[list[Any]]:
    config = report.get("config") or {}
    summary = report.get("summary") or {}
    rows: list[list[Any]] = [
        ["report_id", report.get("report_id")],
        ["report_type", summary.get("report_type") or config.get("report_type")],
        ["window_start", config.get("start")],
        ["window_end_exclusive", config.get("end")],
        ["period", config.get("period")],
        ["generated_at", report.get("generated_at")],
        ["status", summary.get("status")],
    ]
    if summary.get("message"):
        rows.append(["message", summary["message"]])
    for name, value in (summary.get("key_metrics") or {}).items():
        rows.append([name, value])
    # Scalar sections (e.g. period_summary) are part of the summary too: prefix keeps names unique.
    for section, values in scalar_sections(report.get("data")).items():
        for name, value in values.items():
            rows.append([f"{section}.{name}", value])
    return rows


def render_csv(report: dict) -> dict[str, bytes]:
    """Suffix -> CSV bytes: ``.csv`` (summary as metric,value rows) and ``__<section>.csv`` per entity list."""
    files = {".csv": _table(["metric", "value"], summary_rows(report))}
    for section, rows in entity_lists(report.get("data")).items():
        header = columns_of(rows)
        name = _SECTION_NAME.sub("_", section).strip("_") or "section"
        files[f"__{name}.csv"] = _table(header, [[row.get(column) for column in header] for row in rows])
    return files
