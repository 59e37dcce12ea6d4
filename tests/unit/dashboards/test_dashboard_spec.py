"""Dashboard specs: parsing, whitelist rejections with their message, positions, sharing, slugs."""

import json
from datetime import date

import pytest

from chordme_bi.dashboards.compile import previous_range, resolve_range, buckets, default_interval
from chordme_bi.dashboards.spec import TimeRange, Widget, WidgetError, parse_dashboard, parse_widget, slugify


def widget(source="performance_sessions", fields=("completion_percentage",), chart="line", **extra):
    return {"type": "chart", "title": "W", "data_source": source,
            "config": {"chart_type": chart, "data_fields": list(fields), "time_range": {"relative": "last_30_days"},
                       **extra}}


def row(**overrides):
    base = {"dashboard_id": 7, "owner_user_id": 1, "dashboard_name": "Zoë's <Dash>", "description": None,
            "layout_config": json.dumps({"columns": 12, "rows": "auto"}),
            "widget_config": json.dumps([widget()]),
            "sharing_config": json.dumps({"is_public": False, "shared_with_users": [2, 3, 1]}), "status": "active"}
    return {**base, **overrides}


def test_seed_shaped_row_parses():
    d = parse_dashboard(row())
    assert isinstance(d.widgets[0], Widget) and d.widgets[0].chart_type == "line"
    assert d.readers == [1, 2, 3]  # owner first, no duplicates
    assert d.slug == "zoes-dash" and d.is_active and d.problems == []


def test_unknown_data_source_names_it_and_lists_valid_ones():
    result = parse_widget(widget(source="users"), 0)
    assert isinstance(result, WidgetError)
    assert "unknown data_source 'users'" in result.message
    assert "band_performances" in result.message and "performance_sessions" in result.message


def test_unknown_field_names_it_and_lists_valid_ones():
    result = parse_widget(widget(fields=("email",)), 3)
    assert isinstance(result, WidgetError) and result.index == 3
    assert "unknown field 'email' for data_source 'performance_sessions'" in result.message
    assert "completion_percentage" in result.message and "device_type" in result.message


def test_sql_in_a_field_name_is_just_an_unknown_field():
    result = parse_widget(widget(fields=('x"; DROP TABLE marts.fct_sessions; --',)), 0)
    assert isinstance(result, WidgetError) and "unknown field" in result.message


@pytest.mark.parametrize("bad, expected", [
    ({"chart_type": "radar"}, "unknown chart_type 'radar'"),
    ({"time_range": {"relative": "last_week"}}, "unknown relative time_range 'last_week'"),
    ({"time_range": {"start": "2026-10-10", "end": "2026-10-01"}}, "must be after start"),
    ({"data_fields": []}, "data_fields"),
    ({"filters": {"completion_percentage": 5}}, "filter on 'completion_percentage' is not allowed"),
])
def test_invalid_configs_are_widget_errors(bad, expected):
    raw = widget()
    raw["config"].update(bad)
    result = parse_widget(raw, 0)
    assert isinstance(result, WidgetError) and expected in result.message


def test_one_bad_widget_keeps_the_others_and_bad_json_is_reported():
    d = parse_dashboard(row(widget_config=json.dumps([widget(), widget(source="nope"), "x"])))
    assert [type(w).__name__ for w in d.widgets] == ["Widget", "WidgetError", "WidgetError"]
    d = parse_dashboard(row(widget_config="{not json", sharing_config="[oops"))
    assert d.widgets == [] and d.sharing.is_public is False and len(d.problems) == 2


def test_positions_from_the_usual_keys():
    assert parse_widget({**widget(), "position": {"x": 6, "y": 0, "w": 6, "h": 2}}, 0).position.model_dump() == \
        {"x": 6, "y": 0, "w": 6, "h": 2}
    assert parse_widget({**widget(), "width": 4}, 0).position.w == 4
    assert parse_widget({**widget(), "size": "full"}, 0).position.w == 12
    assert parse_widget(widget(), 0).position.model_dump() == {"x": None, "y": None, "w": None, "h": None}


def test_slugify():
    assert slugify("Student Progress Dashboard") == "student-progress-dashboard"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("李雷 🎹") == "dashboard"


@pytest.mark.parametrize("relative, expected", [
    ("last_7_days", (date(2026, 10, 25), date(2026, 11, 1))),
    ("last_30_days", (date(2026, 10, 2), date(2026, 11, 1))),
    ("last_90_days", (date(2026, 8, 3), date(2026, 11, 1))),
    ("last_365_days", (date(2025, 11, 1), date(2026, 11, 1))),
    ("this_month", (date(2026, 10, 1), date(2026, 11, 1))),
    ("last_month", (date(2026, 9, 1), date(2026, 10, 1))),
])
def test_relative_ranges_end_with_as_of(relative, expected):
    assert resolve_range(TimeRange(relative=relative), date(2026, 10, 31)) == expected


def test_absolute_and_previous_ranges_and_buckets():
    assert resolve_range(TimeRange(start="2026-01-05"), date(2026, 1, 9)) == (date(2026, 1, 5), date(2026, 1, 10))
    assert resolve_range(TimeRange(relative="last_month"), date(2026, 1, 15)) == (date(2025, 12, 1), date(2026, 1, 1))
    assert previous_range(date(2026, 10, 25), date(2026, 11, 1)) == (date(2026, 10, 18), date(2026, 10, 25))
    assert default_interval(date(2026, 1, 1), date(2026, 2, 15)) == "day"  # 45 days
    assert default_interval(date(2026, 1, 1), date(2026, 2, 16)) == "week"
    # ISO weeks start on Monday: 2026-10-01 is a Thursday, so the first bucket starts 2026-09-28.
    assert buckets(date(2026, 10, 1), date(2026, 10, 15), "week") == [date(2026, 9, 28), date(2026, 10, 5),
                                                                     date(2026, 10, 12)]
    assert buckets(date(2026, 11, 15), date(2027, 1, 2), "month") == [date(2026, 11, 1), date(2026, 12, 1),
                                                                      date(2027, 1, 1)]
