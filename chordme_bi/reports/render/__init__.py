"""Report renderers: a report dict (see docs/reports.md for its shape) to JSON, CSV, HTML or PDF bytes.

``write_report`` is what assets, the CLI and delivery call; each format lives in its own module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

FORMATS = ("json", "csv", "html", "pdf")


def render_json(report: dict) -> bytes:
    return json.dumps(report, indent=2, sort_keys=False, default=str, ensure_ascii=False).encode()


def render(report: dict, fmt: str) -> dict[str, bytes]:
    """File suffix -> content for one format (CSV gives one flat table per entity list, so several files)."""
    fmt = fmt.lower()
    if fmt == "json":
        return {".json": render_json(report)}
    if fmt == "csv":
        from chordme_bi.reports.render.csv import render_csv

        return render_csv(report)
    if fmt == "html":
        from chordme_bi.reports.render.html import render_html

        return {".html": render_html(report)}
    if fmt == "pdf":
        from chordme_bi.reports.render.pdf import render_pdf

        return {".pdf": render_pdf(report)}
    raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")


def write_report(report: dict, directory: Path, stem: str, formats: Iterable[str]) -> dict[str, list[Path]]:
    """Write the report as ``<directory>/<stem><suffix>`` per format; returns format -> paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    for fmt in formats:
        for suffix, content in render(report, fmt).items():
            path = directory / f"{stem}{suffix}"
            path.write_bytes(content)
            written.setdefault(fmt, []).append(path)
    return written
