"""A dashboard and its widget results to one self-contained HTML page (inline CSS and SVG, no script).

Widgets sit on a CSS grid of the layout's columns; a widget with x/y/w/h is placed there, the others flow
with a width by chart type. Below 720px every widget takes the full width. All text is escaped.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from chordme_bi.dashboards.compile import WidgetResult
from chordme_bi.dashboards.spec import Dashboard, Widget, WidgetError
from chordme_bi.reports.render.charts import chart_svg
from chordme_bi.reports.render.common import BASE_CSS, fmt_value, humanize

DEFAULT_SPAN = {"kpi": 3, "pie": 4, "line": 6, "bar": 6, "table": 6, "wide_table": 12, "error": 6}

DASHBOARD_CSS = """
.dash{display:grid;grid-template-columns:repeat(var(--cols),minmax(0,1fr));gap:14px;grid-auto-flow:row dense}
.widget{display:flex;flex-direction:column;min-width:0}
.widget h2{font-size:16px;margin:0 0 2px}
.widget .range{color:var(--muted);font-size:12px;margin-bottom:8px}
.widget .table-wrap{max-height:420px;overflow:auto}
.kpi-value{font-size:40px;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums}
.kpi-label{color:var(--muted);font-size:13px}
.change{font-size:13px;font-weight:600;margin-top:6px}
.up{color:#15803d}.down{color:#b91c1c}.flat{color:var(--muted)}
.widget.error{border-color:#fca5a5;background:#fef2f2}
.widget.error .message{background:#fff;border-left-color:#dc2626;font-size:13px;word-break:break-word}
.problems{background:#fffbeb;border:1px solid #fcd34d;border-radius:8px;padding:8px 12px;margin-bottom:14px}
@media (max-width:720px){.dash{grid-template-columns:1fr}
.widget{grid-column:1/-1 !important;grid-row:auto !important}.kpi-value{font-size:32px}}
"""


def e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _range_text(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return ""
    last = end - timedelta(days=1)
    return f"{start.isoformat()} – {last.isoformat()}" if last > start else start.isoformat()


def _placement(position, kind: str, columns: int) -> str:
    span = min(position.w or max(1, round(DEFAULT_SPAN.get(kind, 6) * columns / 12)), columns)
    styles = []
    if position.x is not None:
        x = min(position.x, columns - 1)
        span = min(span, columns - x)
        styles.append(f"grid-column:{x + 1} / span {span}")
    else:
        styles.append(f"grid-column:span {span}")
    if position.y is not None:
        styles.append(f"grid-row:{position.y + 1} / span {position.h or 1}")
    elif position.h:
        styles.append(f"grid-row:span {position.h}")
    return ";".join(styles)


def _kpi(result: WidgetResult) -> str:
    kpi = result.kpi or {}
    change = kpi.get("change_pct")
    if change is None:
        change_html = '<div class="change flat">no previous value to compare</div>'
    else:
        css = "up" if change > 0.05 else "down" if change < -0.05 else "flat"
        arrow = "▲" if css == "up" else "▼" if css == "down" else "●"
        days = (result.end - result.start).days if result.start and result.end else 0
        change_html = (f'<div class="change {css}">{arrow} {change:+.1f}% vs previous {days} days '
                       f'({e(fmt_value(kpi.get("previous")))})</div>')
    return (f'<div class="kpi-value">{e(fmt_value(kpi.get("value")))}</div>'
            f'<div class="kpi-label">{e(kpi.get("label"))}</div>{change_html}')


def _table(result: WidgetResult) -> str:
    if not result.rows:
        return '<p class="muted">No rows in this range.</p>'
    numeric = [all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) or r[i] is None for r in result.rows)
               for i in range(len(result.columns))]
    head = "".join(f'<th scope="col"{" class=num" if numeric[i] else ""}>{e(humanize(c))}</th>'
                   for i, c in enumerate(result.columns))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if numeric[i] else ""}>{e(fmt_value(v))}</td>' for i, v in enumerate(row))
        + "</tr>"
        for row in result.rows
    )
    more = f'<p class="muted">First {len(result.rows)} rows.</p>' if result.truncated else ""
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}'


def _widget_box(item: Widget | WidgetError, result: WidgetResult | None, columns: int) -> str:
    if isinstance(item, WidgetError) or result is None or not result.ok:
        message = item.message if isinstance(item, WidgetError) else (result.error if result else "not run")
        style = _placement(item.position, "error", columns)
        return (f'<section class="card widget error" data-widget="{item.index}" data-status="error" style="{style}">'
                f'<h2>{e(item.title)}</h2><p class="message" role="alert"><strong>This widget cannot be shown:</strong> '
                f"{e(message)}</p></section>")
    kind = item.chart_type
    if kind == "kpi":
        body = _kpi(result)
    elif kind == "table":
        body = _table(result)
    else:
        body = chart_svg(result.chart, width=7.0 if kind != "pie" else 5.0, height=3.4)
    note = f" · {e(result.note)}" if result.note else ""
    span_kind = "wide_table" if kind == "table" and len(result.columns) > 3 else kind  # room for the columns
    return (f'<section class="card widget" data-widget="{item.index}" data-status="ok" data-kind="{e(kind)}" '
            f'style="{_placement(item.position, span_kind, columns)}"><h2>{e(item.title)}</h2>'
            f'<div class="range">{e(_range_text(result.start, result.end))}{note}</div>{body}</section>')


def render_dashboard(dashboard: Dashboard, results: dict[int, WidgetResult], as_of: date,
                     generated_at: datetime) -> bytes:
    """The page: header, any dashboard-level problems, then the widget grid."""
    columns = dashboard.layout.columns
    boxes = "".join(_widget_box(w, results.get(w.index), columns) for w in dashboard.widgets)
    if not dashboard.widgets:
        boxes = '<p class="muted" style="grid-column:1/-1">This dashboard has no widgets.</p>'
    problems = "".join(f"<div>{e(p)}</div>" for p in dashboard.problems)
    problems_html = f'<div class="problems" role="status">{problems}</div>' if problems else ""
    description = f"<span>{e(dashboard.description)}</span>" if dashboard.description else ""
    visibility = "public" if dashboard.sharing.is_public else "shared" if dashboard.sharing.shared_with_users else "private"
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>{e(dashboard.name)}</title><style>{BASE_CSS}{DASHBOARD_CSS}</style></head><body>"
        f'<header class="page"><div class="inner"><h1>{e(dashboard.name)}</h1><div class="meta">{description}'
        f'<span>data up to {e(as_of.isoformat())}</span><span class="badge" style="background:rgba(255,255,255,.2);'
        f'color:#fff">{visibility}</span></div></div></header>'
        f'<main>{problems_html}<div class="dash" style="--cols:{columns}">{boxes}</div>'
        f'<footer>Dashboard {dashboard.dashboard_id} · aggregates only · generated '
        f'{e(generated_at.strftime("%Y-%m-%d %H:%M UTC"))} · ChordMe BI</footer></main></body></html>'
    )
    return page.encode("utf-8")
