"""The demo dashboards from a built warehouse: written per sharing, every widget drawn in Chromium."""

import json
import re
import shutil
import subprocess
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from chordme_bi.dashboards.publish import evaluate, load_dashboards, publish, write_dashboards
from chordme_bi.dashboards.render import render_dashboard
from chordme_bi.dashboards.spec import parse_dashboard
from chordme_bi.warehouse import read_only

GENERATED = datetime(2026, 11, 1, 3, 30, tzinfo=timezone.utc)
chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")


def chromium_run(html: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1280,1400", *args, f"file://{html}"],
            check=True, capture_output=True, text=True, timeout=120,
        )
    return done.stdout


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("dash-out")
    return publish(built_warehouse.warehouse_path, out, generated_at=GENERATED), out / "dashboards"


def test_demo_dashboards_are_written_per_sharing(built_warehouse, published):
    result, root = published
    with read_only(built_warehouse.warehouse_path) as con:
        rows = con.execute("SELECT dashboard_id, owner_user_id, sharing_config FROM staging.stg_chordme__custom_dashboards "
                           "WHERE status = 'active'").fetchall()
        latest = con.execute("SELECT max(session_date) FROM marts.fct_sessions").fetchall()[0][0]
    assert result.as_of == latest
    assert result.dashboards == len(rows) == 4
    assert result.widgets_failed == 0 and result.widgets_ok == 7, result.failures
    expected = set()
    for dashboard_id, owner, sharing in rows:
        sharing = json.loads(sharing)
        for user in dict.fromkeys([owner, *sharing["shared_with_users"]]):
            expected |= {p.relative_to(root).as_posix() for p in root.glob(f"users/{user}/{dashboard_id}-*.html")}
        public = list(root.glob(f"public/{dashboard_id}-*.html"))
        assert len(public) == (1 if sharing["is_public"] else 0)
    assert {p.relative_to(root).as_posix() for p in root.rglob("users/*/*.html")} == expected
    assert len(expected) == sum(len(set([o, *json.loads(s)["shared_with_users"]])) for _, o, s in rows)


def test_pages_hold_aggregates_only(published):
    _, root = published
    for page in root.rglob("*.html"):
        text = page.read_text()
        assert "@example.org" not in text and not re.search(r"Student \d+", text)  # no emails or display names
        assert not re.search(r"(src|href)=\"https?://", text)


@chromium
def test_dashboard_widgets_are_drawn_in_chromium(published, tmp_path):
    from PIL import Image

    _, root = published
    page = next(root.glob("users/*/3-usage-patterns.html"))
    dom = chromium_run(page, "--dump-dom")
    boxes = re.findall(r'<section class="card widget"[^>]*data-widget="(\d+)"[^>]*>(.*?)</section>', dom, re.S)
    assert len(boxes) == 2
    for title, (_, box) in zip(("Sessions by Hour", "Device Mix"), boxes):
        assert f"<h2>{title}</h2>" in box and "<svg" in box
    png = tmp_path / "dash.png"
    chromium_run(page, f"--screenshot={png}")
    image = Image.open(png).convert("RGB")
    pixels = list(image.getdata())
    assert len(set(pixels)) > 200
    assert sum(1 for p in pixels if min(p) < 235) / len(pixels) > 0.05


@chromium
def test_a_bad_widget_shows_its_error_and_the_others_render(built_warehouse, tmp_path):
    bad = [
        {"type": "chart", "title": "Completion", "data_source": "performance_sessions",
         "config": {"chart_type": "line", "data_fields": ["completion_percentage"], "time_range": {"relative": "last_30_days"}}},
        {"type": "chart", "title": "Emails", "data_source": "users",
         "config": {"chart_type": "table", "data_fields": ["email"]}},
        {"type": "table", "title": "Problems", "data_source": "problem_sections",
         "config": {"chart_type": "table", "data_fields": ["problem_type", "severity_score"],
                    "time_range": {"relative": "last_90_days"}}},
    ]
    dashboard = parse_dashboard({"dashboard_id": 99, "owner_user_id": 1, "dashboard_name": "Mixed",
                                 "layout_config": json.dumps({"columns": 12}), "widget_config": json.dumps(bad),
                                 "sharing_config": None, "status": "active"})
    with read_only(built_warehouse.warehouse_path) as con:
        results = evaluate(con, [dashboard], date(2026, 10, 31))
    outcome = write_dashboards([dashboard], results, tmp_path, date(2026, 10, 31), GENERATED, render_dashboard)
    assert (outcome.widgets_ok, outcome.widgets_failed) == (2, 1)
    page = tmp_path / "users" / "1" / "99-mixed.html"
    dom = chromium_run(page, "--dump-dom")
    assert dom.count('data-status="ok"') == 2 and dom.count('data-status="error"') == 1
    assert "unknown data_source 'users'; valid: band_performances" in dom.replace("&#x27;", "'")
    assert "<svg" in dom and "Frequent pauses" not in dom and "frequent_pauses" in dom


def test_evaluate_on_the_warehouse_matches_a_direct_query(built_warehouse):
    with read_only(built_warehouse.warehouse_path) as con:
        dashboards = load_dashboards(con)
        results = evaluate(con, dashboards, date(2026, 10, 31))
        expected = con.execute("SELECT count(DISTINCT user_key) FROM marts.fct_sessions "
                               "WHERE session_date >= DATE '2026-10-25' AND session_date < DATE '2026-11-01'").fetchall()[0][0]
    kpi = results[1][1].kpi  # "Active Students", last 7 days
    assert kpi["value"] == expected and expected > 0
