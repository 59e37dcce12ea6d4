"""The report HTML drawn by headless Chromium and the PDF's first page by pdftoppm are not blank."""

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "unit" / "render" / "report_samples.py"


def _samples():
    spec = importlib.util.spec_from_file_location("report_samples", SAMPLES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def screenshot(html: Path, png: Path, size: str = "1280,1600") -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--screenshot={png}", f"--window-size={size}", f"file://{html}"],
            check=True, capture_output=True, timeout=120,
        )


def image_stats(png: Path) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not near-white)."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    pixels = list(image.getdata())
    distinct = len(set(pixels))
    inked = sum(1 for r, g, b in pixels if min(r, g, b) < 235) / len(pixels)
    return distinct, inked


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_report_html_renders_in_chromium(tmp_path):
    from chordme_bi.reports.render.html import render_html

    html = tmp_path / "report.html"
    html.write_bytes(render_html(_samples().sample("student_progress")))
    png = tmp_path / "report.png"
    screenshot(html, png)
    distinct, inked = image_stats(png)
    # The header band, cards, chart lines and text: hundreds of colours (anti-aliasing), a good share inked.
    assert distinct > 200, distinct
    assert inked > 0.08, inked


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_report_pdf_first_page_is_drawn(tmp_path):
    from chordme_bi.reports.render.pdf import render_pdf

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(_samples().sample("student_progress")))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    distinct, inked = image_stats(page)
    assert distinct > 50, distinct
    assert inked > 0.05, inked
