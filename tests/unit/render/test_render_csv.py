"""CSV: the summary file, one table per entity list with exact rows, formula injection neutralized."""

import csv
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import ALL, sample  # noqa: E402

from chordme_bi.reports.render.csv import neutralize, render_csv  # noqa: E402


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_summary_and_one_file_per_entity_list():
    files = render_csv(sample("student_progress"))
    assert list(files) == [".csv", "__student_details.csv", "__top_performers.csv", "__struggling_students.csv"]
    summary = rows(files[".csv"])
    assert summary[0] == ["metric", "value"]
    assert summary[1:8] == [
        ["report_id", "student_progress_20261101_020000"], ["report_type", "student_progress"],
        ["window_start", "2026-10-01"], ["window_end_exclusive", "2026-11-01"], ["period", "monthly"],
        ["generated_at", "2026-11-01T02:00:00Z"], ["status", "normal"],
    ]
    assert ["total_students", "3"] in summary and ["average_completion_rate", "71.4"] in summary
    assert ["period_summary.practice_minutes", "1234.5"] in summary


def test_entity_list_rows_exact_with_missing_values_and_nested_json():
    files = render_csv(sample("student_progress"))
    assert rows(files["__student_details.csv"]) == [
        ["user_key", "display_label", "sessions", "practice_minutes", "mean_completion", "trend"],
        ["a1b2c3", "José Ramírez", "30", "640.0", "82.5", "4.2"],
        ["d4e5f6", "Zoë Müller 🎸", "20", "450.5", "70.1", "-3.5"],  # a real negative number stays a number
        ["0f9e8d", "<script>alert(1)</script>", "8", "144.0", "", ""],
    ]
    assert rows(files["__struggling_students.csv"]) == [
        ["user_key", "problem_sections", "reasons"],
        ["0f9e8d", "6", '["low completion", "pauses"]'],
    ]


def test_formula_injection_is_neutralized_in_text_cells_only():
    files = render_csv(sample("band_collaboration"))
    table = rows(files["__bands.csv"])
    assert table[2][1] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert [neutralize(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", -2, -2.5, None, True)] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok", -2, -2.5, "", "true"]


def test_rows_with_different_keys_share_one_header():
    report = sample("insufficient_data")
    report["data"] = {"items": [{"a": 1}, {"b": "x", "a": 2}], "empty": [], "scalars": {"k": 1}}
    files = render_csv(report)
    assert sorted(files) == [".csv", "__items.csv"]
    assert rows(files["__items.csv"]) == [["a", "b"], ["1", ""], ["2", "x"]]


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_sample_renders(name):
    files = render_csv(sample(name))
    assert rows(files[".csv"])[0] == ["metric", "value"]
