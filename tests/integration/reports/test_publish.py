"""publish_report on the built fixture warehouse: when a report's files are written again, and when kept."""

import json
import shutil
from datetime import date

import duckdb
import pytest

from chordme_bi.reports import render
from chordme_bi.reports.config import ReportConfig
from chordme_bi.reports.engine import generate_report
from chordme_bi.reports.publish import STATE_DIR, publish_report

CONFIG = ReportConfig(report_type="usage_patterns", start=date(2026, 10, 1), end=date(2026, 11, 1))
FORMATS = ("json", "csv", "html")


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    """A copy this test may change."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, path)
    return path


def publish(warehouse, directory, formats=FORMATS):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return publish_report(con, CONFIG, directory, "2026-10", formats)


def stamps(directory):
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir() if p.is_file()}


def test_the_same_report_writes_nothing(warehouse, tmp_path):
    out = tmp_path / "out"
    first = publish(warehouse, out)
    assert first.written and not first.failed
    assert sorted(first.files) == sorted(FORMATS) and all(p.exists() for ps in first.files.values() for p in ps)
    before = stamps(out)
    again = publish(warehouse, out)
    assert not again.built and not again.written and again.files == first.files
    assert again.data_version == first.data_version and stamps(out) == before
    assert again.report["summary"] == first.report["summary"] and again.report["data"].keys() == first.report["data"].keys()


def test_changed_inputs_in_the_window_write_the_files_again(warehouse, tmp_path):
    out = tmp_path / "out"
    first = publish(warehouse, out)
    with duckdb.connect(str(warehouse)) as con:
        # as dbt's incremental build rewrites a day: new values, new build stamps
        moved = con.execute("""UPDATE marts.fct_sessions SET total_duration_seconds = total_duration_seconds + 600,
                                                              _built_at = now()
                               WHERE session_id = (SELECT min(session_id) FROM marts.fct_sessions
                                                   WHERE session_date >= DATE '2026-10-01' AND session_date < DATE '2026-11-01')""").fetchall()
    assert moved == [(1,)]
    second = publish(warehouse, out)
    assert second.built and second.written and second.data_version != first.data_version
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fresh = generate_report(con, CONFIG)
    assert json.loads((out / "2026-10.json").read_text())["summary"] == fresh["summary"]


def test_rows_rebuilt_before_the_window_build_the_report_but_write_nothing(warehouse, tmp_path):
    out = tmp_path / "out"
    publish(warehouse, out)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""UPDATE marts.fct_sessions SET total_duration_seconds = total_duration_seconds + 600,
                                                     _built_at = now()
                       WHERE session_date < DATE '2026-10-01'""")
    before = stamps(out)
    again = publish(warehouse, out)
    assert again.built and not again.written and stamps(out) == before  # rows it reads were rebuilt: built again
    assert not publish(warehouse, out).built  # the state took the new fingerprint


def test_a_new_day_after_the_window_does_not_even_build_the_report(warehouse, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = publish(warehouse, out)
    with duckdb.connect(str(warehouse)) as con:
        # a day after the window, as the incremental build appends it (new ids, new build stamps)
        added = con.execute("""INSERT INTO marts.fct_sessions
                               SELECT * REPLACE (session_id + 10000000 AS session_id, DATE '2026-11-01' AS session_date,
                                                 now() AS _built_at)
                               FROM marts.fct_sessions WHERE session_date = DATE '2026-10-31'""").fetchone()[0]
        con.execute("""INSERT INTO marts.agg_usage_hourly SELECT * REPLACE (DATE '2026-11-01' AS activity_date)
                       FROM marts.agg_usage_hourly WHERE activity_date = DATE '2026-10-31'""")
    assert added > 0
    import chordme_bi.reports.engine as engine

    def must_not_build(*args, **kwargs):
        raise AssertionError("the report was built although nothing it reads changed")

    monkeypatch.setattr(engine, "generate_report", must_not_build)
    before = stamps(out)
    kept = publish(warehouse, out)
    assert not kept.built and not kept.written and stamps(out) == before
    assert kept.data_version == first.data_version and kept.files == first.files
    assert kept.report["summary"] == first.report["summary"] and kept.report["report_id"] == first.report["report_id"]
    # without the JSON file among the formats there is nothing to read the report back from: it is built
    with pytest.raises(AssertionError, match="nothing it reads changed"):
        publish(warehouse, out, formats=("csv",))


def test_an_unreadable_json_file_is_written_again(warehouse, tmp_path):
    out = tmp_path / "out"
    first = publish(warehouse, out)
    (out / "2026-10.json").write_text('{"report_id": "cut off')
    again = publish(warehouse, out)
    assert again.built and again.written and again.data_version == first.data_version
    assert json.loads((out / "2026-10.json").read_text())["summary"] == first.report["summary"]

    # the same when the inputs changed but the report came out the same (the files would otherwise be kept)
    state_path = out / STATE_DIR / "2026-10.json"
    state_path.write_text(json.dumps({**json.loads(state_path.read_text()), "inputs_version": "other rows"}))
    (out / "2026-10.json").write_text("[]")
    third = publish(warehouse, out)
    assert third.built and third.written and third.data_version == first.data_version
    assert json.loads((out / "2026-10.json").read_text())["summary"] == first.report["summary"]
    assert not publish(warehouse, out).built


def test_files_of_another_version_are_written_again(warehouse, tmp_path):
    out = tmp_path / "out"
    first = publish(warehouse, out)
    state_path = out / STATE_DIR / "2026-10.json"
    # what a change to the engine does: another code version, in both the data version and the inputs' fingerprint
    state_path.write_text(json.dumps({**json.loads(state_path.read_text()), "data_version": "older code",
                                      "inputs_version": "older code"}))
    second = publish(warehouse, out)
    assert second.written and json.loads(state_path.read_text())["data_version"] == first.data_version
    state_path.write_text("{torn")
    assert publish(warehouse, out).written


def test_a_missing_file_or_format_is_written_again(warehouse, tmp_path):
    out = tmp_path / "out"
    publish(warehouse, out, formats=("json",))
    assert not publish(warehouse, out, formats=("json",)).written
    more = publish(warehouse, out)  # csv and html were never written
    assert more.written and all((out / f"2026-10.{fmt}").exists() for fmt in ("json", "html"))
    assert not publish(warehouse, out, formats=("csv", "json")).written  # a subset of what is there
    (out / "2026-10.html").unlink()
    assert publish(warehouse, out).written and (out / "2026-10.html").exists()


def test_a_failing_format_keeps_the_others_and_is_tried_again(warehouse, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = render.render

    def html_breaks(report, fmt):
        if fmt == "html":
            raise RuntimeError("renderer down")
        return real(report, fmt)

    monkeypatch.setattr(render, "render", html_breaks)
    broken = publish(warehouse, out)
    assert broken.failed == {"html": "RuntimeError: renderer down"}
    assert (out / "2026-10.json").exists() and not (out / "2026-10.html").exists()
    assert not (out / STATE_DIR / "2026-10.json").exists()
    monkeypatch.setattr(render, "render", real)
    fixed = publish(warehouse, out)
    assert fixed.written and not fixed.failed and (out / "2026-10.html").exists()
