"""PDF: a real PDF whose text (pdftotext) has the metrics, titles and table rows; survives emoji."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import ALL, sample  # noqa: E402

from chordme_bi.reports.render.pdf import render_pdf  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("name", sorted(ALL))
def test_pdf_carries_the_key_metrics(name, tmp_path):
    report = sample(name)
    content = render_pdf(report)
    assert content.startswith(b"%PDF")
    text = pdf_text(content, tmp_path)
    for metric in report["summary"]["key_metrics"]:
        assert metric.split("_")[0].capitalize() in text
    for insight in report["insights"]:
        assert insight["title"] in text


def test_student_progress_values_and_unicode(tmp_path):
    text = pdf_text(render_pdf(sample("student_progress")), tmp_path)
    assert "Average completion rate" in text and "71.40" in text and "1,234.5" in text
    assert "José Ramírez" in text  # accents need the Unicode font
    assert "Zoë Müller ?" in text  # the emoji has no glyph in DejaVu: replaced, not dropped silently
    assert "<script>alert(1)</script>" in text  # PDF is not markup: shown as text


def test_long_table_runs_over_pages(tmp_path):
    report = sample("usage_patterns")
    report["data"]["hourly"] = [{"hour": i % 24, "sessions": i} for i in range(100)]
    content = render_pdf(report)
    text = pdf_text(content, tmp_path)
    assert text.count("\f") >= 3  # several pages
    assert "Hour" in text.split("\f")[-2]  # the header row is repeated on a later page


def test_without_the_unicode_font_falls_back_to_latin1(tmp_path):
    content = render_pdf(sample("student_progress"), font_dir=tmp_path / "no-fonts")
    text = pdf_text(content, tmp_path)
    assert "José Ramírez" in text and "Zoë Müller ?" in text


def test_wide_entity_lists_are_split_into_readable_tables(tmp_path):
    report = sample("insufficient_data")
    report["data"] = {"wide": [{"user_key": f"k{i}", **{f"metric_{c}": c * 1000 + i for c in range(15)}}
                               for i in range(3)]}
    text = pdf_text(render_pdf(report), tmp_path)
    assert text.count("User key") == 3  # key + 15 metrics: key + 7, key + 7, key + 1 (each repeats the key)
    assert "14,002" in text and "k2" in text  # metric_14 of row k2
