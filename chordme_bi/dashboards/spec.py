"""A custom_dashboards row parsed and validated: layout, sharing, and each widget on its own.

A widget that does not validate does not sink its dashboard: it becomes a :class:`WidgetError` that the
page shows in the widget's box, and the other widgets render.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from chordme_bi.dashboards.sources import AGGREGATIONS, UnknownName, get_field, get_source

RELATIVE_RANGES = ("last_7_days", "last_30_days", "last_90_days", "last_365_days", "this_month", "last_month")
CHART_TYPES = ("line", "bar", "pie", "table", "kpi")
INTERVALS = ("day", "week", "month", "hour_of_day", "day_of_week")
SIZE_NAMES = {"small": 3, "medium": 6, "large": 8, "full": 12}


class TimeRange(BaseModel):
    """Either ``relative`` or ``start`` (+ ``end``): half-open [start, end) dates; default last 30 days."""

    relative: str | None = None
    start: date | None = None
    end: date | None = None

    @field_validator("relative")
    @classmethod
    def _known(cls, value):
        if value is not None and value not in RELATIVE_RANGES:
            raise ValueError(f"unknown relative time_range {value!r}; valid: {', '.join(RELATIVE_RANGES)}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> "TimeRange":
        if self.relative and (self.start or self.end):
            raise ValueError("time_range takes either relative or start/end, not both")
        if not self.relative and self.start is None:
            if self.end is not None:
                raise ValueError("time_range with end needs start")
            self.relative = "last_30_days"
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"time_range end ({self.end}) must be after start ({self.start})")
        return self


class Position(BaseModel):
    """Grid placement in layout columns (0-based x/y); anything missing flows."""

    x: int | None = Field(default=None, ge=0)
    y: int | None = Field(default=None, ge=0)
    w: int | None = Field(default=None, ge=1)
    h: int | None = Field(default=None, ge=1)


class WidgetConfig(BaseModel):
    chart_type: Literal["line", "bar", "pie", "table", "kpi"] | None = None
    data_fields: list[str] = Field(min_length=1)
    time_range: TimeRange = Field(default_factory=TimeRange)
    filters: dict[str, Any] = Field(default_factory=dict)
    aggregation: Literal["avg", "sum", "min", "max"] | None = None
    interval: Literal["day", "week", "month", "hour_of_day", "day_of_week"] | None = None

    @field_validator("chart_type", mode="before")
    @classmethod
    def _known_chart(cls, value):
        if value is not None and value not in CHART_TYPES:
            raise ValueError(f"unknown chart_type {value!r}; valid: {', '.join(CHART_TYPES)}")
        return value


class Widget(BaseModel):
    index: int
    type: str = "chart"
    title: str
    data_source: str
    config: WidgetConfig
    position: Position = Field(default_factory=Position)

    @property
    def chart_type(self) -> str:
        if self.config.chart_type:
            return self.config.chart_type
        return self.type if self.type in ("table", "kpi") else "line"

    @model_validator(mode="after")
    def _whitelisted(self) -> "Widget":
        source = get_source(self.data_source)  # UnknownName names the bad value and lists the valid ones
        for name in self.config.data_fields:
            get_field(source, name, self.data_source)
        for name in self.config.filters:
            f = get_field(source, name, self.data_source)
            if f.kind not in ("dimension", "date"):
                raise UnknownName(f"filter on {name!r} is not allowed: filters take categorical or date fields")
        return self


class WidgetError(BaseModel):
    """A widget that could not be parsed or compiled; shown in its box with ``message``."""

    index: int
    title: str
    message: str
    position: Position = Field(default_factory=Position)


class Layout(BaseModel):
    columns: int = Field(default=12, ge=1, le=24)
    rows: str | int = "auto"


class Sharing(BaseModel):
    is_public: bool = False
    shared_with_users: list[int] = Field(default_factory=list)


class Dashboard(BaseModel):
    dashboard_id: int
    owner_user_id: int
    name: str
    description: str | None = None
    status: str = "active"
    layout: Layout = Field(default_factory=Layout)
    sharing: Sharing = Field(default_factory=Sharing)
    widgets: list[Widget | WidgetError] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="dashboard-level issues (bad layout/sharing JSON)")

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def readers(self) -> list[int]:
        """Owner first, then each user it is shared with (once each)."""
        seen: dict[int, None] = {self.owner_user_id: None}
        for user_id in self.sharing.shared_with_users:
            seen.setdefault(int(user_id), None)
        return list(seen)


def slugify(text: str, max_length: int = 60) -> str:
    """File-name-safe ASCII slug: ``Zoë's Dashboard!`` -> ``zoes-dashboard``."""
    ascii_text = unicodedata.normalize("NFKD", str(text).replace("'", "").replace("\u2019", ""))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "dashboard"


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, UnknownName):
                msg = str(ctx_error)
            parts.append(f"{where}: {msg}" if where else msg)
        return "; ".join(parts)
    return str(exc)


def _position(raw: dict) -> Position:
    """Placement from ``position``/``layout`` dicts, top-level x/y/w/h, ``width``/``height`` or ``size``."""
    merged: dict[str, Any] = {}
    config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
    for holder in (config, raw, config.get("position"), raw.get("layout"), raw.get("position")):
        if isinstance(holder, dict):
            for key, target in (("x", "x"), ("y", "y"), ("w", "w"), ("h", "h"), ("width", "w"), ("height", "h"),
                                ("col", "x"), ("row", "y")):
                if isinstance(holder.get(key), (int, float)) and not isinstance(holder.get(key), bool):
                    merged[target] = int(holder[key])
            if isinstance(holder.get("size"), str) and holder["size"] in SIZE_NAMES:
                merged.setdefault("w", SIZE_NAMES[holder["size"]])
    try:
        return Position(**merged)
    except ValidationError:
        return Position()


def parse_widget(raw: Any, index: int) -> Widget | WidgetError:
    title = str(raw.get("title") or f"Widget {index + 1}") if isinstance(raw, dict) else f"Widget {index + 1}"
    if not isinstance(raw, dict):
        return WidgetError(index=index, title=title, message="a widget must be a JSON object")
    position = _position(raw)
    try:
        return Widget(index=index, type=str(raw.get("type") or "chart"), title=title,
                      data_source=raw.get("data_source"), config=raw.get("config") or {}, position=position)
    except (ValidationError, UnknownName) as exc:
        return WidgetError(index=index, title=title, message=_error_text(exc), position=position)


def parse_dashboard(row: dict) -> Dashboard:
    """A ``staging.stg_chordme__custom_dashboards`` row (JSON columns as text) to a :class:`Dashboard`."""
    problems = []
    layout, sharing, widgets = Layout(), Sharing(), []
    try:
        layout = Layout(**(_json(row.get("layout_config")) or {}))
    except (ValueError, TypeError) as exc:
        problems.append(f"layout_config ignored: {_error_text(exc)}")
    try:
        sharing = Sharing(**(_json(row.get("sharing_config")) or {}))
    except (ValueError, TypeError) as exc:
        # Unreadable sharing means: private to the owner (never public by accident).
        problems.append(f"sharing_config ignored (dashboard kept private): {_error_text(exc)}")
    try:
        raw_widgets = _json(row.get("widget_config")) or []
        if isinstance(raw_widgets, dict):  # the API shape {"widgets": [...]} as well as a bare list
            raw_widgets = raw_widgets.get("widgets") or []
        if not isinstance(raw_widgets, list):
            raise ValueError("widget_config must be a list of widgets")
        widgets = [parse_widget(w, i) for i, w in enumerate(raw_widgets)]
    except ValueError as exc:
        problems.append(f"widget_config unreadable: {exc}")
    return Dashboard(
        dashboard_id=int(row["dashboard_id"]),
        owner_user_id=int(row["owner_user_id"]),
        name=str(row.get("dashboard_name") or row.get("name") or f"Dashboard {row['dashboard_id']}"),
        description=row.get("description"),
        status=str(row.get("status") or "active").strip().lower(),
        layout=layout,
        sharing=sharing,
        widgets=widgets,
        problems=problems,
    )
