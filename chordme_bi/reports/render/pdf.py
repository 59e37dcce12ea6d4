"""PDF rendering with fpdf2 (pure Python): the HTML page's content on A4, charts embedded as PNG.

Text is drawn with DejaVu Sans (Debian ``fonts-dejavu-core``) so accents and most symbols print; characters
the font has no glyph for (emoji, CJK) become "?" rather than empty boxes. Without the font the core
Helvetica is used and the text is reduced to Latin-1 the same way, so rendering never fails on a name.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from chordme_bi.reports.render.charts import chart_png
from chordme_bi.reports.render.common import (
    PRIORITY_COLORS,
    STATUS_COLORS,
    STATUS_LABELS,
    TABLE_ROW_LIMIT,
    confidence_text,
    filters_text,
    fmt_value,
    humanize,
    report_title,
    window_text,
)
from chordme_bi.reports.render.csv import columns_of, entity_lists, scalar_sections

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
ACCENT = (37, 99, 235)
INK = (31, 41, 55)
MUTED = (107, 114, 128)
LINE = (229, 231, 235)
MAX_PDF_COLUMNS = 8


def _rgb(hex_color: str) -> tuple[int, int, int]:
    hex_color = hex_color.lstrip("#")
    return int(hex_color[0:2], 16), int(hex_color[2:4], 16), int(hex_color[4:6], 16)


@lru_cache(maxsize=4)
def _font_charset(path: str) -> frozenset[int] | None:
    """Code points the TTF has glyphs for (None when the font cannot be read)."""
    try:
        from fontTools.ttLib import TTFont

        with TTFont(path, lazy=True) as font:
            return frozenset(font.getBestCmap())
    except Exception:  # noqa: BLE001 - any unreadable font means: use the core font
        return None


class _ReportPDF:
    """A thin layer over FPDF that owns font choice and text cleaning."""

    def __init__(self, font_dir: Path = FONT_DIR) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=16)
        self.pdf.set_margins(14, 14, 14)
        regular = font_dir / FONT_FILES[""]
        bold = font_dir / FONT_FILES["B"]
        self.charset = _font_charset(str(regular)) if regular.exists() and bold.exists() else None
        if self.charset is not None:
            self.pdf.add_font("DejaVu", "", str(regular))
            self.pdf.add_font("DejaVu", "B", str(bold))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.pdf.set_title("ChordMe BI report")
        self.pdf.set_creator("ChordMe BI")

    def clean(self, value: Any) -> str:
        text = value if isinstance(value, str) else fmt_value(value)
        text = text.replace("\r", " ").replace("\t", " ")
        if self.charset is not None:
            return "".join(ch if ord(ch) in self.charset or ch == "\n" else "?" for ch in text)
        return text.replace("—", "-").replace("–", "-").replace("…", "...").replace("·", "-").encode(
            "latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def ensure_space(self, height: float) -> None:
        if self.pdf.get_y() + height > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()

    def heading(self, text: str) -> None:
        self.ensure_space(34)  # a heading never ends a page: keep room for what follows it
        self.pdf.ln(4)
        self.font(13, bold=True)
        self.pdf.cell(0, 8, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_draw_color(*ACCENT)
        self.pdf.set_line_width(0.5)
        y = self.pdf.get_y()
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + 18, y)
        self.pdf.ln(3)

    def paragraph(self, text: str, size: float = 10, color=INK, bold: bool = False) -> None:
        self.font(size, bold=bold, color=color)
        self.pdf.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def pill(self, text: str, colors: tuple[str, str], x: float, y: float) -> float:
        """A rounded label; returns its width."""
        bg, fg = _rgb(colors[0]), _rgb(colors[1])
        self.font(8, bold=True, color=fg)
        text = self.clean(text)
        w = self.pdf.get_string_width(text) + 6
        self.pdf.set_fill_color(*bg)
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, 5, text, fill=True, align="C")
        return w


def _header(doc: _ReportPDF, report: dict) -> None:
    pdf = doc.pdf
    summary = report.get("summary") or {}
    config = report.get("config") or {}
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 34, style="F")
    pdf.set_xy(pdf.l_margin, 8)
    doc.font(20, bold=True, color=(255, 255, 255))
    pdf.cell(0, 10, doc.clean(report_title(report)), new_x="LMARGIN", new_y="NEXT")
    meta = [window_text(config)]
    if config.get("period"):
        meta.append(humanize(config["period"]))
    if filters_text(config):
        meta.append(filters_text(config))
    doc.font(10, color=(226, 232, 240))
    line = doc.clean("   ·   ".join(meta))
    pdf.cell(pdf.get_string_width(line) + 4, 7, line)
    status = summary.get("status") or "normal"
    doc.pill(STATUS_LABELS.get(status, humanize(status)), STATUS_COLORS.get(status, STATUS_COLORS["normal"]),
             pdf.get_x() + 2, pdf.get_y() + 1)
    pdf.set_xy(pdf.l_margin, 40)


def _metrics(doc: _ReportPDF, summary: dict) -> None:
    pdf = doc.pdf
    metrics = list((summary.get("key_metrics") or {}).items())
    per_row = 3 if len(metrics) % 3 == 0 or len(metrics) == 5 else 4
    gap, height = 4, 20
    box_w = (doc.width - gap * (per_row - 1)) / per_row
    for start in range(0, len(metrics), per_row):
        doc.ensure_space(height + gap)
        y = pdf.get_y()
        for i, (name, value) in enumerate(metrics[start:start + per_row]):
            x = pdf.l_margin + i * (box_w + gap)
            pdf.set_draw_color(*LINE)
            pdf.set_fill_color(248, 250, 252)
            pdf.set_line_width(0.3)
            pdf.rect(x, y, box_w, height, style="DF", round_corners=True, corner_radius=2)
            pdf.set_xy(x + 3, y + 2.5)
            doc.font(8, color=MUTED)
            pdf.cell(box_w - 6, 4, doc.clean(humanize(name)))
            pdf.set_xy(x + 3, y + 8)
            doc.font(15, bold=True)
            pdf.cell(box_w - 6, 9, doc.clean(fmt_value(value)))
        pdf.set_xy(pdf.l_margin, y + height + gap)
    if summary.get("message"):
        pdf.ln(1)
        doc.paragraph(summary["message"], size=10)


def _charts(doc: _ReportPDF, charts: list[dict]) -> None:
    charts = [c for c in charts if isinstance(c, dict)]
    if not charts:
        return
    doc.heading("Charts")
    for chart in charts:
        height = doc.width * 2.6 / 7.0
        doc.ensure_space(height + 10)
        doc.paragraph(chart.get("title") or "", size=10, bold=True)
        doc.pdf.image(io.BytesIO(chart_png(chart, width=7.0, height=2.6)), x=doc.pdf.l_margin, w=doc.width, h=height)
        doc.pdf.ln(3)


def _insights(doc: _ReportPDF, insights: list[dict]) -> None:
    if not insights:
        return
    doc.heading("Insights")
    for insight in insights:
        doc.ensure_space(18)
        doc.paragraph(insight.get("title") or "", size=10.5, bold=True)
        doc.paragraph(insight.get("description") or "", size=9.5)
        facts = [t for t in (humanize(insight.get("category") or ""), confidence_text(insight.get("confidence")),
                             f"{fmt_value(insight['data_points'])} data points" if insight.get("data_points") is not None else "") if t]
        if facts:
            doc.paragraph(" · ".join(facts), size=8, color=MUTED)
        doc.pdf.ln(2)


def _recommendations(doc: _ReportPDF, recommendations: list[dict]) -> None:
    if not recommendations:
        return
    doc.heading("Recommendations")
    order = {"high": 0, "medium": 1, "low": 2}
    pdf = doc.pdf
    for rec in sorted(recommendations, key=lambda r: order.get(str(r.get("priority")), 3)):
        doc.ensure_space(24)
        priority = str(rec.get("priority") or "medium")
        y = pdf.get_y()
        w = doc.pill(humanize(priority), PRIORITY_COLORS.get(priority, PRIORITY_COLORS["medium"]), pdf.l_margin, y)
        pdf.set_xy(pdf.l_margin + w + 3, y - 0.5)
        doc.font(10.5, bold=True)
        pdf.multi_cell(0, 6, doc.clean(rec.get("title") or ""), new_x="LMARGIN", new_y="NEXT")
        doc.paragraph(rec.get("description") or "", size=9.5)
        for action in rec.get("suggested_actions") or []:
            doc.font(9.5)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, doc.clean(f"• {action}"), new_x="LMARGIN", new_y="NEXT")
        if rec.get("expected_impact"):
            doc.paragraph(f"Expected impact: {rec['expected_impact']}", size=8.5, color=MUTED)
        pdf.ln(2)


def _table(doc: _ReportPDF, rows: list[list[str]], header: list[str], numeric: set[int]) -> None:
    from fpdf.fonts import FontFace

    pdf = doc.pdf
    # Column widths follow content length (bounded), so ids stay narrow and names get room.
    lengths = [max([len(header[i])] + [len(r[i]) for r in rows[:50]]) for i in range(len(header))]
    weights = [min(max(n, 6), 28) for n in lengths]
    size = 8 if len(header) <= 6 else 7
    doc.font(size)
    align = ["RIGHT" if i in numeric else "LEFT" for i in range(len(header))]
    with pdf.table(
        col_widths=weights,
        text_align=align,
        line_height=size * 0.55,
        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=(241, 245, 249)),
        cell_fill_color=(250, 250, 252),
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
        repeat_headings=1,  # multi-page tables repeat their header
        padding=1.2,
    ) as table:
        table.row([doc.clean(h) for h in header])
        for row in rows:
            table.row(row)


def _sections(doc: _ReportPDF, data: dict) -> None:
    for name, values in scalar_sections(data).items():
        if not values:
            continue
        doc.heading(humanize(name))
        _table(doc, [[doc.clean(humanize(k)), doc.clean(fmt_value(v))] for k, v in values.items()], ["Metric", "Value"],
               {1})
    for name, entities in entity_lists(data).items():
        doc.heading(f"{humanize(name)} ({len(entities):,})")
        columns = columns_of(entities)
        numeric = {i for i, c in enumerate(columns)
                   if all(r.get(c) is None or (isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool))
                          for r in entities)}
        shown = entities[:TABLE_ROW_LIMIT]
        cells = [[doc.clean(fmt_value(r.get(c))) for c in columns] for r in shown]
        header = [humanize(c) for c in columns]
        # A4 fits about 8 readable columns: wider lists are split, each part repeating the first (key) column.
        step = MAX_PDF_COLUMNS - 1
        parts = [list(range(len(columns)))] if len(columns) <= MAX_PDF_COLUMNS else [
            [0] + list(range(i, min(i + step, len(columns)))) for i in range(1, len(columns), step)]
        for part in parts:
            if len(parts) > 1:
                doc.paragraph(f"Columns: {', '.join(header[i] for i in part[1:])}", size=8, color=MUTED)
            _table(doc, [[row[i] for i in part] for row in cells], [header[i] for i in part],
                   {k for k, i in enumerate(part) if i in numeric})
            doc.pdf.ln(2)
        if len(entities) > len(shown):
            doc.paragraph(f"Showing {len(shown):,} of {len(entities):,} rows; the CSV and JSON formats have all of them.",
                          size=8, color=MUTED)


def render_pdf(report: dict, font_dir: Path = FONT_DIR) -> bytes:
    doc = _ReportPDF(font_dir)
    pdf = doc.pdf
    footer_text = doc.clean(f"{report_title(report)} · {report.get('report_id') or ''}")

    def footer() -> None:
        pdf.set_y(-11)
        doc.font(7.5, color=MUTED)
        pdf.cell(0, 5, footer_text, align="L")
        pdf.set_x(pdf.l_margin)
        pdf.cell(0, 5, f"{pdf.page_no()} / {{nb}}", align="R")

    pdf.footer = footer  # fpdf2 calls it on every page break
    pdf.add_page()
    summary = report.get("summary") or {}
    _header(doc, report)
    _metrics(doc, summary)
    _charts(doc, report.get("charts") or [])
    _insights(doc, report.get("insights") or [])
    _recommendations(doc, report.get("recommendations") or [])
    data = report.get("data")
    _sections(doc, data if isinstance(data, dict) else {})
    return bytes(pdf.output())
