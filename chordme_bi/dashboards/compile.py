"""A widget to SQL over the marts, and the rows back to what the page draws (a chart spec, a table, a KPI).

SQL is assembled only from whitelisted identifiers (``sources.py``); dates and filter values are bound
parameters. Relative ranges resolve against an explicit ``as_of`` day, so a dashboard is reproducible.

What each chart type shows (the fields decide):

- ``kpi``: one number for the range and the same number for the previous range of equal length.
  A measure gives its aggregate, a user field distinct users, anything else the source's count.
- ``line`` / ``bar``: with a categorical field, a bar per category (top 20); otherwise a time series per
  day (week beyond 45 days) over the source's date, one series per measure (user field: distinct users;
  no measure: the count). A bar chart of a timestamp field counts by UTC hour of day. ``interval``
  overrides the bucket (day, week, month, hour_of_day, day_of_week).
- ``pie``: the share of the count (or of a summed measure) per category of the first categorical field.
- ``table``: the categorical, date and user fields grouped, measures aggregated, with the count; at most 50
  rows, newest first when a date is grouped, else largest count first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chordme_bi.dashboards.sources import Field, Source, get_field, get_source
from chordme_bi.dashboards.spec import TimeRange, Widget

TABLE_LIMIT = 50
CATEGORY_LIMIT = 20
PIE_SLICES = 8
WEEKLY_AFTER_DAYS = 45
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CompileError(ValueError):
    """The widget is valid but cannot be drawn as asked (e.g. a pie without a categorical field)."""


# ------------------------------------------------------------------------------------------------ time ranges
def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    index = d.month - 1 + months
    return d.replace(year=d.year + index // 12, month=index % 12 + 1, day=1)


def resolve_range(time_range: TimeRange, as_of: date) -> tuple[date, date]:
    """[start, end) dates. ``last_N_days`` ends with ``as_of`` (included); ``this_month`` runs to ``as_of``;
    ``last_month`` is the calendar month before as_of's; an absolute range without end runs to ``as_of``."""
    relative = time_range.relative
    end = as_of + timedelta(days=1)
    if relative and relative.startswith("last_") and relative.endswith("_days"):
        days = int(relative.split("_")[1])
        return end - timedelta(days=days), end
    if relative == "this_month":
        return _month_start(as_of), end
    if relative == "last_month":
        this_month = _month_start(as_of)
        return _add_months(this_month, -1), this_month
    if time_range.start is not None:
        return time_range.start, time_range.end or end
    raise CompileError(f"cannot resolve time_range {time_range!r}")


def previous_range(start: date, end: date) -> tuple[date, date]:
    """The range of equal length just before [start, end)."""
    return start - (end - start), start


def default_interval(start: date, end: date) -> str:
    return "day" if (end - start).days <= WEEKLY_AFTER_DAYS else "week"


def buckets(start: date, end: date, interval: str) -> list[date]:
    """Bucket starts covering [start, end): days, ISO weeks (Monday) or months; the first may start early."""
    if interval == "day":
        return [start + timedelta(days=i) for i in range((end - start).days)]
    if interval == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(days=7 * i) for i in range(math.ceil((end - first).days / 7))]
    if interval == "month":
        out, current = [], _month_start(start)
        while current < end:
            out.append(current)
            current = _add_months(current, 1)
        return out
    raise CompileError(f"no calendar buckets for interval {interval!r}")


# ------------------------------------------------------------------------------------------------ results
@dataclass
class WidgetResult:
    index: int
    title: str
    chart_type: str
    start: date | None = None
    end: date | None = None
    chart: dict | None = None  # line / bar / pie: a chart spec (chordme_bi.reports.render.charts)
    columns: list[str] = field(default_factory=list)  # table
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False
    kpi: dict | None = None  # {"value", "previous", "change_pct", "label"}
    note: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _plain(value: Any) -> Any:
    """DuckDB values to JSON-friendly Python (Decimal/HUGEINT -> float/int)."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _quote(identifier: str) -> str:
    return f'"{identifier}"'


def _measure_sql(f: Field, aggregation: str | None) -> str:
    if f.fixed_sql:
        return f.fixed_sql
    return f"{aggregation or f.agg}({_quote(f.column)})"


def _value_sql(source: Source, f: Field, aggregation: str | None) -> tuple[str, str]:
    """(SQL aggregate, label) for one requested field when it is what is being measured."""
    if f.kind == "measure":
        return _measure_sql(f, aggregation), ""
    if f.kind == "user":
        return f"count(DISTINCT {_quote(f.column)})", "distinct users"
    return source.count_sql, source.count_label


def _where(source: Source, widget: Widget, start: date, end: date) -> tuple[str, list]:
    clauses, params = [source.window_sql()], list(source.window_params(start, end))
    for name, value in sorted(widget.config.filters.items()):
        column = _quote(get_field(source, name).column)
        if isinstance(value, list):
            if not value:
                clauses.append("FALSE")
                continue
            clauses.append(f"{column} IN ({', '.join('?' for _ in value)})")
            params.extend(value)
        elif value is None:
            clauses.append(f"{column} IS NULL")
        else:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def _fields(widget: Widget) -> list[tuple[str, Field]]:
    source = get_source(widget.data_source)
    return [(name, get_field(source, name)) for name in widget.config.data_fields]


def _label(name: str, f: Field, aggregation: str | None) -> str:
    if f.label:
        return f.label
    if f.kind == "measure":
        return f"{aggregation or f.agg} {name}"
    return name


# ------------------------------------------------------------------------------------------------ compilers
def compile_kpi(widget: Widget, as_of: date) -> tuple[str, list, dict]:
    source = get_source(widget.data_source)
    name, f = _fields(widget)[0]
    expr, label = _value_sql(source, f, widget.config.aggregation)
    start, end = resolve_range(widget.config.time_range, as_of)
    prev_start, prev_end = previous_range(start, end)
    where_now, params_now = _where(source, widget, start, end)
    where_prev, params_prev = _where(source, widget, prev_start, prev_end)
    sql = (f"SELECT 'current' AS period, {expr} AS value FROM {source.table} WHERE {where_now} "
           f"UNION ALL SELECT 'previous', {expr} FROM {source.table} WHERE {where_prev}")
    return sql, params_now + params_prev, {"label": label or _label(name, f, widget.config.aggregation),
                                           "start": start, "end": end}


def compile_series(widget: Widget, as_of: date) -> tuple[str, list, dict]:
    """Line/bar: by category, by hour/weekday, or per calendar bucket."""
    source = get_source(widget.data_source)
    fields = _fields(widget)
    agg = widget.config.aggregation
    start, end = resolve_range(widget.config.time_range, as_of)
    where, params = _where(source, widget, start, end)
    measures = [(n, f) for n, f in fields if f.kind in ("measure", "user")]
    dimension = next(((n, f) for n, f in fields if f.kind == "dimension"), None)
    timestamp = next(((n, f) for n, f in fields if f.kind == "timestamp"), None)
    interval = widget.config.interval
    if interval is None:
        if dimension is not None:
            interval = "category"
        elif timestamp is not None and widget.chart_type == "bar":
            interval = "hour_of_day"
        else:
            interval = default_interval(start, end)
    values = [_value_sql(source, f, agg)[0] for _, f in measures] or [source.count_sql]
    names = [_label(n, f, agg) if f.kind == "measure" else "distinct users" for n, f in measures] or [source.count_label]
    select_values = ", ".join(f"{v} AS v{i}" for i, v in enumerate(values))
    if interval == "category":
        if dimension is None:
            raise CompileError("interval 'category' needs a categorical field")
        key = _quote(dimension[1].column)
        sql = (f"SELECT {key} AS k, {select_values} FROM {source.table} WHERE {where} "
               f"GROUP BY 1 ORDER BY v0 DESC NULLS LAST, 1 LIMIT {CATEGORY_LIMIT}")
        x_label = dimension[0]
    elif interval in ("hour_of_day", "day_of_week"):
        column = _quote((timestamp or (None, None))[1].column) if timestamp else None
        if interval == "hour_of_day":
            if column is None:
                raise CompileError("interval 'hour_of_day' needs a timestamp field (e.g. started_at)")
            key_sql, x_label = f"extract(hour FROM {column})", "hour of day (UTC)"
        else:
            key_sql, x_label = f"isodow({column or _quote(source.date_column)})", "day of week"
        sql = f"SELECT {key_sql} AS k, {select_values} FROM {source.table} WHERE {where} GROUP BY 1 ORDER BY 1"
    else:
        date_column = _quote(source.date_column)
        if source.live_until_column:  # goals live before the range count in its first bucket
            date_column = f"greatest({date_column}, CAST(? AS DATE))"
            params = [start] + params
        key_sql = date_column if interval == "day" else f"CAST(date_trunc('{interval}', {date_column}) AS DATE)"
        sql = f"SELECT {key_sql} AS k, {select_values} FROM {source.table} WHERE {where} GROUP BY 1 ORDER BY 1"
        x_label = {"day": "day", "week": "week starting", "month": "month"}[interval]
    zero_fill = [(f.kind == "measure" and f.fixed_sql is None and (agg or f.agg) == "sum") or f.kind == "user"
                 for _, f in measures] or [True]
    return sql, params, {"interval": interval, "names": names, "x_label": x_label, "start": start, "end": end,
                         "zero_fill": zero_fill}


def compile_pie(widget: Widget, as_of: date) -> tuple[str, list, dict]:
    source = get_source(widget.data_source)
    fields = _fields(widget)
    dimension = next(((n, f) for n, f in fields if f.kind == "dimension"), None)
    if dimension is None:
        categorical = sorted(n for n, f in source.fields.items() if f.kind == "dimension")
        raise CompileError(f"a pie needs a categorical field; for {widget.data_source!r}: {', '.join(categorical)}")
    measure = next(((n, f) for n, f in fields if f.kind == "measure"), None)
    # Shares only add up for counts and sums: a measure is summed whatever its default.
    value = _measure_sql(measure[1], "sum") if measure else source.count_sql
    start, end = resolve_range(widget.config.time_range, as_of)
    where, params = _where(source, widget, start, end)
    key = _quote(dimension[1].column)
    sql = f"SELECT {key} AS k, {value} AS v FROM {source.table} WHERE {where} GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1"
    label = (measure[1].label or f"sum {measure[0]}") if measure else source.count_label
    return sql, params, {"label": label, "dimension": dimension[0], "start": start, "end": end}


def compile_table(widget: Widget, as_of: date) -> tuple[str, list, dict]:
    source = get_source(widget.data_source)
    fields = _fields(widget)
    agg = widget.config.aggregation
    start, end = resolve_range(widget.config.time_range, as_of)
    where, params = _where(source, widget, start, end)
    groups, measures, columns = [], [], []
    for name, f in fields:
        if f.kind in ("dimension", "date", "user"):
            groups.append(_quote(f.column))
            columns.append("user_key" if f.kind == "user" else name)
        elif f.kind == "timestamp":  # a timestamp grouped to its day: one row per event would be row-level
            groups.append(f"CAST({_quote(f.column)} AS DATE)")
            columns.append(f"{name} (day)")
    for name, f in fields:
        if f.kind == "measure":
            measures.append(_measure_sql(f, agg))
            columns.append(_label(name, f, agg))
    groups = list(dict.fromkeys(groups))
    columns = list(dict.fromkeys(columns))
    select = groups + measures + [f"{source.count_sql} AS n"]
    columns.append(source.count_label)
    has_date = any(f.kind in ("date", "timestamp") for _, f in fields)
    tie_break = ", ".join(str(i + 1) for i in range(len(groups)))  # deterministic order among equal counts
    order = f"1 DESC NULLS LAST, n DESC, {tie_break}" if has_date and groups else f"n DESC, {tie_break}" if groups else "1"
    sql = f"SELECT {', '.join(select)} FROM {source.table} WHERE {where}"
    if groups:
        sql += f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))}"
    sql += f" ORDER BY {order} LIMIT {TABLE_LIMIT + 1}"  # one more than shown tells us it was truncated
    return sql, params, {"columns": columns, "start": start, "end": end}


COMPILERS = {"kpi": compile_kpi, "line": compile_series, "bar": compile_series, "pie": compile_pie,
             "table": compile_table}


def compile_widget(widget: Widget, as_of: date) -> tuple[str, list, dict]:
    """(SQL, parameters, shape) for a widget; raises CompileError or UnknownName with a readable message."""
    return COMPILERS[widget.chart_type](widget, as_of)


# ------------------------------------------------------------------------------------------------ execution
def _x_label(key: Any, interval: str) -> str:
    if interval == "hour_of_day":
        return f"{int(key):02d}:00"
    if interval == "day_of_week":
        return WEEKDAYS[int(key) - 1]
    if interval == "month" and isinstance(key, date):
        return key.strftime("%Y-%m")
    if isinstance(key, date):
        return key.isoformat()
    return "(none)" if key is None else str(key)


def _shape_series(widget: Widget, rows: list[tuple], shape: dict) -> dict:
    interval = shape["interval"]
    by_key = {row[0]: [_plain(v) for v in row[1:]] for row in rows}
    if interval in ("day", "week", "month"):
        keys: list[Any] = buckets(shape["start"], shape["end"], interval)
    elif interval == "hour_of_day":
        keys = list(range(24))
    elif interval == "day_of_week":
        keys = list(range(1, 8))
    else:
        keys = [row[0] for row in rows]
    series = []
    for i, name in enumerate(shape["names"]):
        fill = 0 if shape["zero_fill"][i] else None  # no sessions: a count is 0, a mean is a gap
        series.append({"name": name, "values": [by_key[k][i] if k in by_key else fill for k in keys]})
        series[-1]["values"] = [fill if v is None and fill == 0 else v for v in series[-1]["values"]]
    return {"id": f"widget-{widget.index}", "title": widget.title, "kind": widget.chart_type,
            "x": [_x_label(k, interval) for k in keys], "series": series, "x_label": shape["x_label"],
            "y_label": shape["names"][0] if len(shape["names"]) == 1 else ""}


def _shape_pie(widget: Widget, rows: list[tuple], shape: dict) -> dict:
    pairs = [(_x_label(k, "category"), _plain(v) or 0) for k, v in rows]
    if len(pairs) > PIE_SLICES:
        head, tail = pairs[: PIE_SLICES - 1], pairs[PIE_SLICES - 1:]
        pairs = head + [("other", sum(v for _, v in tail))]
    return {"id": f"widget-{widget.index}", "title": widget.title, "kind": "pie", "x": [p[0] for p in pairs],
            "series": [{"name": shape["label"], "values": [p[1] for p in pairs]}], "x_label": shape["dimension"],
            "y_label": ""}


def run_widget(con, widget: Widget, as_of: date) -> WidgetResult:
    """Compile and run one widget on an open DuckDB connection; any failure is reported on the widget."""
    result = WidgetResult(index=widget.index, title=widget.title, chart_type=widget.chart_type)
    try:
        sql, params, shape = compile_widget(widget, as_of)
        result.start, result.end = shape["start"], shape["end"]
        rows = con.execute(sql, params).fetchall()
    except Exception as exc:  # noqa: BLE001 - one widget's failure is shown in its box; the rest render
        result.error = str(exc)
        return result
    kind = widget.chart_type
    if kind == "kpi":
        values = {period: _plain(value) for period, value in rows}
        current, previous = values.get("current"), values.get("previous")
        change = None
        if current is not None and previous not in (None, 0):
            change = 100.0 * (current - previous) / abs(previous)
        result.kpi = {"value": current, "previous": previous, "change_pct": change, "label": shape["label"]}
    elif kind == "table":
        result.columns = shape["columns"]
        result.truncated = len(rows) > TABLE_LIMIT
        result.rows = [[_plain(v) for v in row] for row in rows[:TABLE_LIMIT]]
    elif kind == "pie":
        result.chart = _shape_pie(widget, rows, shape)
    else:
        result.chart = _shape_series(widget, rows, shape)
        if shape["interval"] in ("week", "month"):
            result.note = f"per {shape['interval']}"
    return result
