"""HTML: every metric, insight, recommendation, a table per entity list, escaped text, nothing external."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import ALL, sample  # noqa: E402

from chordme_bi.reports.render.common import fmt_value, humanize  # noqa: E402
from chordme_bi.reports.render.csv import entity_lists  # noqa: E402
from chordme_bi.reports.render.html import render_html  # noqa: E402


@pytest.mark.parametrize("name", sorted(ALL))
def test_page_has_every_part_of_the_report(name):
    report = sample(name)
    page = render_html(report).decode()
    assert page.startswith("<!DOCTYPE html>")
    for metric, value in report["summary"]["key_metrics"].items():
        assert humanize(metric) in page and fmt_value(value) in page
    for insight in report["insights"]:
        assert insight["title"].replace("'", "&#x27;") in page
    for rec in report["recommendations"]:
        assert rec["title"] in page
    lists = entity_lists(report["data"])
    assert page.count('class="entity-list"') == len(lists)
    assert page.count("<table>") == len(lists) + 0  # scalar sections are definition lists, not tables
    assert page.count("<svg") == len(report["charts"])
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", page, re.I)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only in-document refs (SVG clips)


def test_text_from_data_is_escaped():
    page = render_html(sample("student_progress")).decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Zoë Müller 🎸" in page  # UTF-8 kept as is


def test_status_badge_priority_badges_and_window():
    page = render_html(sample("student_progress")).decode()
    assert "2026-10-01 – 2026-10-31" in page  # end is exclusive: the last day shown is the 31st
    assert ">Normal</span>" in page
    assert ">High priority</span>" in page and ">Low priority</span>" in page
    assert page.index("Optimize Practice Sessions") < page.index("Celebrate streaks")


def test_insufficient_data_report_shows_message_and_no_tables():
    page = render_html(sample("insufficient_data")).decode()
    assert "No sessions in this window." in page and "Insufficient data" in page
    assert "<table" not in page and "<svg" not in page


def test_tables_are_bounded():
    report = sample("usage_patterns")
    report["data"]["hourly"] = [{"hour": i % 24, "sessions": i} for i in range(250)]
    page = render_html(report).decode()
    section = page[page.index('data-section="hourly"'):]
    section = section[: section.index("</section>")]
    assert section.count("<tr>") == 101  # header + 100 rows
    assert "Showing 100 of 250 rows" in section


def test_missing_sections_and_none_values_do_not_break():
    page = render_html({"summary": {"key_metrics": {"x": None}}, "data": None, "charts": [{"kind": "line"}]}).decode()
    assert "—" in page and "<svg" in page
