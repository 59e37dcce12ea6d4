"""Publishing: one page per reader and a public one only when is_public; revoked pages are removed."""

import json
from datetime import date, datetime, timezone

from chordme_bi.dashboards.compile import WidgetResult
from chordme_bi.dashboards.publish import dashboard_paths, write_dashboards
from chordme_bi.dashboards.render import render_dashboard
from chordme_bi.dashboards.spec import parse_dashboard

GENERATED = datetime(2026, 11, 1, 3, 30, tzinfo=timezone.utc)


def board(dashboard_id=1, owner=10, shared=(11, 12), public=False, status="active", name="Band Activity", widgets=None):
    widgets = widgets if widgets is not None else [
        {"type": "kpi", "title": "Sessions <b>", "data_source": "sessions",
         "config": {"chart_type": "kpi", "data_fields": ["session_date"]}},
        {"type": "chart", "title": "Broken", "data_source": "secret_table",
         "config": {"chart_type": "bar", "data_fields": ["x"]}},
    ]
    return parse_dashboard({"dashboard_id": dashboard_id, "owner_user_id": owner, "dashboard_name": name,
                            "description": "<script>alert(1)</script>",
                            "layout_config": "{}", "widget_config": json.dumps(widgets),
                            "sharing_config": json.dumps({"is_public": public, "shared_with_users": list(shared)}),
                            "status": status})


def kpi_result():
    return {0: WidgetResult(index=0, title="Sessions <b>", chart_type="kpi", start=date(2026, 10, 2),
                            end=date(2026, 11, 1), kpi={"value": 12, "previous": 10, "change_pct": 20.0,
                                                        "label": "sessions"})}


def test_paths_follow_sharing(tmp_path):
    assert [p.relative_to(tmp_path).as_posix() for p in dashboard_paths(board(public=True), tmp_path)] == [
        "users/10/1-band-activity.html", "users/11/1-band-activity.html", "users/12/1-band-activity.html",
        "public/1-band-activity.html"]
    assert [p.relative_to(tmp_path).as_posix() for p in dashboard_paths(board(shared=()), tmp_path)] == [
        "users/10/1-band-activity.html"]


def test_write_then_revoke(tmp_path):
    first = write_dashboards([board(public=True), board(2, owner=11, shared=(), status="paused")],
                             {1: kpi_result()}, tmp_path, date(2026, 10, 31), GENERATED, render_dashboard)
    assert first.dashboards == 1 and first.widgets_ok == 1 and first.widgets_failed == 1
    assert "unknown data_source 'secret_table'" in first.failures["1/Broken"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")) == [
        "public/1-band-activity.html", "users/10/1-band-activity.html", "users/11/1-band-activity.html",
        "users/12/1-band-activity.html"]
    # Next run: made private and unshared from 12; its pages there and in public/ disappear.
    second = write_dashboards([board(shared=(11,))], {1: kpi_result()}, tmp_path, date(2026, 10, 31), GENERATED,
                              render_dashboard)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in second.removed) == [
        "public/1-band-activity.html", "users/12/1-band-activity.html"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "public", "users", "users/10", "users/10/1-band-activity.html", "users/11", "users/11/1-band-activity.html"]


def test_page_escapes_and_shows_the_error_in_the_widget_box():
    page = render_dashboard(board(), kpi_result(), date(2026, 10, 31), GENERATED).decode()
    assert "<script>" not in page and "&lt;script&gt;" in page and "Sessions &lt;b&gt;" in page
    assert page.count('data-status="ok"') == 1 and page.count('data-status="error"') == 1
    assert "unknown data_source &#x27;secret_table&#x27;; valid: band_performances" in page
    assert "▲ +20.0% vs previous 30 days (10)" in page
    assert "http://" not in page and "https://" not in page
