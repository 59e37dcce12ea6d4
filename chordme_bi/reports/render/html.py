"""HTML rendering: one self-contained page per report (inline CSS, inline SVG charts, nothing fetched).

Every value that comes from the report is escaped (``html.escape`` with quotes), so a name such as
``<script>`` is shown, never run. The page has no script at all.
"""

from __future__ import annotations

from html import escape
from typing import Any

from chordme_bi.reports.render.charts import chart_svg
from chordme_bi.reports.render.common import (
    BASE_CSS,
    PRIORITY_COLORS,
    STATUS_COLORS,
    STATUS_LABELS,
    TABLE_ROW_LIMIT,
    confidence_text,
    filters_text,
    fmt_value,
    humanize,
    report_title,
    window_text,
)
from chordme_bi.reports.render.csv import columns_of, entity_lists, scalar_sections


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def badge(text: str, colors: tuple[str, str], css_class: str = "") -> str:
    bg, fg = colors
    return f'<span class="badge {css_class}" style="background:{bg};color:{fg}">{e(text)}</span>'


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table_html(rows: list[dict], limit: int = TABLE_ROW_LIMIT, caption: str = "") -> str:
    """A bounded table of flat dicts; numeric columns right-aligned; nested values shown as text."""
    columns = columns_of(rows)
    numeric = {c for c in columns if any(_is_number(r.get(c)) for r in rows) and
               all(r.get(c) is None or _is_number(r.get(c)) for r in rows)}
    head = "".join(f'<th scope="col"{" class=num" if c in numeric else ""}>{e(humanize(c))}</th>' for c in columns)
    body = []
    for row in rows[:limit]:
        cells = "".join(f'<td{" class=num" if c in numeric else ""}>{e(fmt_value(row.get(c)))}</td>' for c in columns)
        body.append(f"<tr>{cells}</tr>")
    note = ""
    if len(rows) > limit:
        note = f'<p class="muted">Showing {limit:,} of {len(rows):,} rows; the CSV and JSON formats have all of them.</p>'
    cap = f"<caption class=muted>{e(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{note}')


def _header(report: dict) -> str:
    summary = report.get("summary") or {}
    config = report.get("config") or {}
    status = summary.get("status") or "normal"
    status_badge = badge(STATUS_LABELS.get(status, humanize(status)), STATUS_COLORS.get(status, STATUS_COLORS["normal"]),
                         "status")
    meta = [f"<span>{e(window_text(config))}</span>"]
    if config.get("period"):
        meta.append(f"<span>{e(humanize(config['period']))}</span>")
    if filters_text(config):
        meta.append(f"<span>{e(filters_text(config))}</span>")
    meta.append(status_badge)
    return (f'<header class="page"><div class="inner"><h1>{e(report_title(report))}</h1>'
            f'<div class="meta">{"".join(meta)}</div></div></header>')


def _metrics(summary: dict) -> str:
    metrics = summary.get("key_metrics") or {}
    parts = []
    if metrics:
        cards = "".join(
            f'<div class="card metric"><div class="label">{e(humanize(name))}</div>'
            f'<div class="value">{e(fmt_value(value))}</div></div>'
            for name, value in metrics.items()
        )
        parts.append(f'<section aria-label="Key metrics"><div class="metrics">{cards}</div></section>')
    if summary.get("message"):
        parts.append(f'<p class="message">{e(summary["message"])}</p>')
    return "".join(parts)


def _insights(insights: list[dict]) -> str:
    if not insights:
        return ""
    cards = []
    for insight in insights:
        confidence = insight.get("confidence")
        bar = ""
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
            width = max(0.0, min(100.0, confidence * 100 if confidence <= 1 else confidence))
            bar = f'<div class="bar" aria-hidden="true"><span style="width:{width:.0f}%"></span></div>'
        facts = [t for t in (humanize(insight.get("category") or ""), confidence_text(confidence),
                             f"{fmt_value(insight['data_points'])} data points" if insight.get("data_points") is not None else "") if t]
        cards.append(
            f'<article class="card insight"><h3>{e(insight.get("title"))}</h3>'
            f'<p>{e(insight.get("description"))}</p><div class="muted">{e(" · ".join(facts))}</div>{bar}</article>'
        )
    return f'<section><h2>Insights</h2><div class="grid2">{"".join(cards)}</div></section>'


def _recommendations(recommendations: list[dict]) -> str:
    if not recommendations:
        return ""
    order = {"high": 0, "medium": 1, "low": 2}
    cards = []
    for rec in sorted(recommendations, key=lambda r: order.get(str(r.get("priority")), 3)):
        priority = str(rec.get("priority") or "medium")
        actions = "".join(f"<li>{e(a)}</li>" for a in rec.get("suggested_actions") or [])
        impact = rec.get("expected_impact")
        cards.append(
            f'<article class="card recommendation"><div style="display:flex;gap:8px;align-items:center;'
            f'justify-content:space-between"><h3>{e(rec.get("title"))}</h3>'
            f'{badge(humanize(priority) + " priority", PRIORITY_COLORS.get(priority, PRIORITY_COLORS["medium"]), "priority")}'
            f'</div><p>{e(rec.get("description"))}</p>'
            + (f'<ul class="actions">{actions}</ul>' if actions else "")
            + (f'<p class="muted">Expected impact: {e(impact)}</p>' if impact else "")
            + "</article>"
        )
    return f'<section><h2>Recommendations</h2><div class="grid2">{"".join(cards)}</div></section>'


def _sections(data: dict) -> str:
    parts = []
    for name, values in scalar_sections(data).items():
        if not values:
            continue
        items = "".join(f"<dt>{e(humanize(k))}</dt><dd>{e(fmt_value(v))}</dd>" for k, v in values.items())
        parts.append(f'<section><h2>{e(humanize(name))}</h2><div class="card"><dl class="kv">{items}</dl></div></section>')
    for name, rows in entity_lists(data).items():
        parts.append(f'<section class="entity-list" data-section="{e(name)}"><h2>{e(humanize(name))} '
                     f'<span class="muted">({len(rows):,})</span></h2>{table_html(rows)}</section>')
    return "".join(parts)


def _charts(charts: list[dict]) -> str:
    if not charts:
        return ""
    figures = "".join(
        f'<figure class="card" style="margin:0"><figcaption><h3>{e(chart.get("title"))}</h3></figcaption>'
        f"{chart_svg(chart, width=6.0, height=3.2)}</figure>"
        for chart in charts
        if isinstance(chart, dict)
    )
    return f'<section><h2>Charts</h2><div class="charts">{figures}</div></section>'


def render_html(report: dict) -> bytes:
    summary = report.get("summary") or {}
    data = report.get("data") or {}
    title = f"{report_title(report)} · {window_text(report.get('config'))}"
    body = "".join(
        [
            _header(report),
            "<main>",
            _metrics(summary),
            _charts(report.get("charts") or []),
            _insights(report.get("insights") or []),
            _recommendations(report.get("recommendations") or []),
            _sections(data if isinstance(data, dict) else {}),
            f'<footer>Report {e(report.get("report_id"))} · generated {e(report.get("generated_at"))} UTC'
            " · ChordMe BI</footer>",
            "</main>",
        ]
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # No network at all: nothing external may load even if a value slipped through.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>{e(title)}</title><style>{BASE_CSS}</style></head><body>{body}</body></html>"
    )
    return page.encode("utf-8")
