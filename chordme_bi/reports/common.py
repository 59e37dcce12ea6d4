"""Helpers shared by the report modules: JSON-native values, status grading, charts, bounded entity lists."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

# Below this many sessions (or performances / goals, per report) a report says insufficient_data.
MIN_REPORT_ROWS = 5
INSUFFICIENT_MESSAGE = "Failed to generate report - insufficient data: {found} {what} in [{start}, {end}) (minimum {minimum})"
# Entity lists are bounded: reports never grow with the data.
TOP_N = 10
DETAIL_LIMIT = 100


def native(value: Any) -> Any:
    """A JSON-native copy: numpy scalars to Python, NaN/NaT to None, dates to ISO strings."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [native(v) for v in value]
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):  # DuckDB DATE columns arrive as midnight timestamps
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA:
        return None
    return value


def r(value: float | None, digits: int = 2) -> float | None:
    """Round for display; None stays None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def insufficient(found: int, minimum: int, what: str, start: date, end: date) -> str | None:
    """The insufficient-data message, or None when there is enough."""
    if found >= minimum:
        return None
    return INSUFFICIENT_MESSAGE.format(found=found, what=what, start=start.isoformat(), end=end.isoformat(), minimum=minimum)


def records(frame: pd.DataFrame, limit: int | None = None) -> list[dict]:
    """A DataFrame as a bounded list of flat JSON-native dicts."""
    if limit is not None:
        frame = frame.head(limit)
    return [native(row) for row in frame.to_dict(orient="records")]


def chart(chart_id: str, title: str, kind: str, x: list, series: dict[str, list], x_label: str, y_label: str) -> dict:
    return {
        "id": chart_id,
        "title": title,
        "kind": kind,
        "x": native(list(x)),
        "series": [{"name": name, "values": native(list(values))} for name, values in series.items()],
        "x_label": x_label,
        "y_label": y_label,
    }


def result(key_metrics: dict, status: str, message: str | None, data: dict, insights: list, recommendations: list,
           charts: list) -> dict:
    """What every report builder returns; the engine adds id, time, config and summary around it."""
    return {
        "key_metrics": native(key_metrics),
        "status": status,
        "message": message,
        "data": native(data),
        "insights": insights,
        "recommendations": recommendations,
        "charts": charts,
    }
