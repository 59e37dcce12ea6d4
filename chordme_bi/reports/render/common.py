"""What the HTML and PDF renderers (and the dashboards) share: labels, number formats, the window, the CSS."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

TABLE_ROW_LIMIT = 100  # rows of an entity list shown in HTML/PDF; the CSV and JSON carry all of them

STATUS_LABELS = {
    "excellent": "Excellent",
    "normal": "Normal",
    "needs_attention": "Needs attention",
    "insufficient_data": "Insufficient data",
}
STATUS_COLORS = {  # background, text
    "excellent": ("#dcfce7", "#166534"),
    "normal": ("#dbeafe", "#1e40af"),
    "needs_attention": ("#fef3c7", "#92400e"),
    "insufficient_data": ("#f3f4f6", "#374151"),
}
PRIORITY_COLORS = {"high": ("#fee2e2", "#991b1b"), "medium": ("#fef3c7", "#92400e"), "low": ("#e0f2fe", "#075985")}

_ACRONYMS = {"id": "ID", "url": "URL", "bpm": "BPM", "utc": "UTC", "pct": "%", "kpi": "KPI"}


def humanize(name: Any) -> str:
    """``average_completion_rate`` -> ``Average completion rate`` (acronyms kept)."""
    words = str(name).replace("-", "_").split("_")
    words = [_ACRONYMS.get(w.lower(), w) for w in words if w]
    if not words:
        return ""
    first = words[0]
    return " ".join([first[:1].upper() + first[1:]] + words[1:])


def fmt_value(value: Any) -> str:
    """A cell or metric as text: thousands separators, at most two decimals, '—' for missing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "—"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{humanize(k)}: {fmt_value(v)}" for k, v in value.items())
    return str(value)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def window_text(config: dict | None) -> str:
    """``2026-10-01 – 2026-10-31`` for the half-open window [start, end): the end shown is the last day."""
    config = config or {}
    start, end = _parse_date(config.get("start")), _parse_date(config.get("end"))
    if start is None and end is None:
        return "window not given"
    if start is None or end is None:
        return f"{start or '…'} – {end or '…'}"
    last = end - timedelta(days=1)
    return start.isoformat() if last <= start else f"{start.isoformat()} – {last.isoformat()}"


def report_title(report: dict) -> str:
    summary = report.get("summary") or {}
    config = report.get("config") or {}
    kind = summary.get("report_type") or config.get("report_type") or "report"
    return f"{humanize(kind)} report"


def filters_text(config: dict | None) -> str:
    """Which population the report covers (user ids are the educator's own filter, not personal data)."""
    config = config or {}
    parts = []
    if config.get("user_ids"):
        ids = list(config["user_ids"])
        parts.append(f"{len(ids)} selected user{'s' if len(ids) != 1 else ''}")
    if config.get("class_id"):
        parts.append(f"class {config['class_id']}")
    if config.get("band_id") is not None:
        parts.append(f"band {config['band_id']}")
    return ", ".join(parts)


def confidence_text(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{number * 100:.0f}% confidence" if number <= 1 else f"{number:.0f}% confidence"


# The page style shared by reports and dashboards: system fonts only (no web fonts, nothing fetched).
BASE_CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 16px 48px}
header.page{background:linear-gradient(135deg,#1e3a8a,#2563eb);color:#fff;padding:28px 16px}
header.page .inner{max-width:1200px;margin:0 auto}
header.page h1{margin:0 0 6px;font-size:28px;line-height:1.2}
header.page .meta{opacity:.9;font-size:14px;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}
.badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600;
letter-spacing:.02em;white-space:nowrap}
h2{font-size:19px;margin:32px 0 12px}
h3{font-size:16px;margin:0 0 6px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px;
box-shadow:0 1px 2px rgba(0,0,0,.04)}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px}
.metric .label{color:var(--muted);font-size:13px}
.metric .value{font-size:26px;font-weight:700;margin-top:2px;font-variant-numeric:tabular-nums}
.message{margin-top:16px;padding:12px 16px;border-left:4px solid var(--accent);background:#eff6ff;border-radius:6px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
.muted{color:var(--muted);font-size:13px}
.bar{height:6px;background:var(--line);border-radius:3px;overflow:hidden;margin-top:8px}
.bar span{display:block;height:100%;background:var(--accent)}
ul.actions{margin:8px 0 0;padding-left:20px}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:12px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:8px 12px;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}
th{background:#f1f5f9;font-weight:600;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:last-child td{border-bottom:0}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.kv dt{color:var(--muted)} dl.kv dd{margin:0;font-weight:600}
svg.chart{width:100%;height:auto;display:block}
footer{color:var(--muted);font-size:12px;margin-top:40px;text-align:center}
@media (max-width:640px){header.page h1{font-size:22px}.metric .value{font-size:22px}
.grid2,.charts{grid-template-columns:1fr}main{padding:16px 10px 32px}}
@media print{body{background:#fff}.card,.table-wrap{box-shadow:none;break-inside:avoid}}
"""
