"""Chart specs (``{"id", "title", "kind", "x", "series", "x_label", "y_label"}``) drawn with matplotlib.

Shared by the report renderers (HTML embeds the SVG text, PDF the PNG bytes) and the custom dashboards.
matplotlib is imported inside the functions so that importing this module (and the Dagster definitions) is
cheap; the Agg backend needs no display.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

# One palette everywhere (HTML cards, badges and charts): colour-blind-friendly, ordered by contrast.
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#64748b")
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
KINDS = ("line", "bar", "pie")
_MAX_TICK_LABELS = 14


def _number(value: Any) -> float | None:
    """A plottable float, or None for gaps (None, NaN, text, booleans)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def normalize(spec: dict) -> dict:
    """A chart spec with every key present, values as floats or None, and series padded to len(x)."""
    x = [str(label) for label in (spec.get("x") or [])]
    series = []
    for i, s in enumerate(spec.get("series") or []):
        values = [_number(v) for v in (s.get("values") or [])][: len(x)]
        values += [None] * (len(x) - len(values))
        series.append({"name": str(s.get("name") or f"series {i + 1}"), "values": values})
    kind = spec.get("kind") if spec.get("kind") in KINDS else "bar"
    return {
        "id": str(spec.get("id") or ""),
        "title": str(spec.get("title") or ""),
        "kind": kind,
        "x": x,
        "series": series,
        "x_label": str(spec.get("x_label") or ""),
        "y_label": str(spec.get("y_label") or ""),
    }


def has_data(spec: dict) -> bool:
    spec = normalize(spec)
    return any(v is not None for s in spec["series"] for v in s["values"])


def _figure(spec: dict, width: float, height: float):
    import matplotlib.pyplot as plt

    spec = normalize(spec)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    fig.patch.set_facecolor("white")
    ax.set_facecolor("white")
    if not has_data(spec):
        ax.axis("off")
        ax.text(0.5, 0.5, "No data in this window", ha="center", va="center", color=MUTED, fontsize=11,
                transform=ax.transAxes)
    elif spec["kind"] == "pie":
        _pie(ax, spec)
    else:
        _cartesian(ax, spec)
    fig.tight_layout(pad=0.6)
    return fig


def _pie(ax, spec: dict) -> None:
    values = spec["series"][0]["values"]
    pairs = [(label, v) for label, v in zip(spec["x"], values) if v is not None and v > 0]
    labels, sizes = [p[0] for p in pairs], [p[1] for p in pairs]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(sizes))]
    wedges, _texts, autotexts = ax.pie(
        sizes, colors=colors, startangle=90, counterclock=False, autopct=lambda p: f"{p:.0f}%" if p >= 4 else "",
        pctdistance=0.75, wedgeprops={"width": 0.5, "edgecolor": "white", "linewidth": 1.5},
        textprops={"color": "white", "fontsize": 9, "fontweight": "bold"},
    )
    ax.set_aspect("equal")
    ax.legend(wedges, [_shorten(label, 24) for label in labels], loc="center left", bbox_to_anchor=(1.0, 0.5),
              frameon=False, fontsize=9, labelcolor=INK)


def _cartesian(ax, spec: dict) -> None:
    x = spec["x"]
    positions = list(range(len(x)))
    series = spec["series"]
    if spec["kind"] == "bar":
        n = max(len(series), 1)
        width = 0.8 / n
        for i, s in enumerate(series):
            offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
            # A gap stays a gap: no bar rather than a zero bar.
            heights = [v if v is not None else 0.0 for v in s["values"]]
            bars = ax.bar(offsets, heights, width=width * 0.92, color=PALETTE[i % len(PALETTE)], label=s["name"],
                          zorder=2)
            for bar, v in zip(bars, s["values"]):
                if v is None:
                    bar.set_visible(False)
    else:
        for i, s in enumerate(series):
            values = [float("nan") if v is None else v for v in s["values"]]
            color = PALETTE[i % len(PALETTE)]
            ax.plot(positions, values, color=color, linewidth=2, label=s["name"], zorder=3,
                    marker="o" if len(x) <= 40 else None, markersize=3.5)
        ax.set_xlim(-0.5, max(len(x) - 0.5, 0.5))
    step = max(1, math.ceil(len(x) / _MAX_TICK_LABELS))
    ax.set_xticks(positions[::step])
    ax.set_xticklabels([_shorten(label, 14) for label in x[::step]], rotation=35 if len(x) > 6 else 0,
                       ha="right" if len(x) > 6 else "center", fontsize=9, color=INK)
    ax.tick_params(axis="y", labelsize=9, colors=INK)
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)
    if spec["x_label"]:
        ax.set_xlabel(spec["x_label"], fontsize=9, color=MUTED)
    if spec["y_label"]:
        ax.set_ylabel(spec["y_label"], fontsize=9, color=MUTED)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=8, loc="best")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rc():
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede the first pyplot import
    # parse_math off: a label like "$5 tips$" from the data is text, not mathtext (which could raise).
    # svg.fonttype none keeps SVG text as text (small, searchable); hashsalt makes the SVG ids deterministic.
    return matplotlib.rc_context({"text.parse_math": False, "svg.fonttype": "none", "svg.hashsalt": "chordme",
                                  "font.family": "DejaVu Sans"})


def chart_svg(spec: dict, width: float = 7.0, height: float = 3.2) -> str:
    """The chart as an inline ``<svg>`` element (no XML prolog, no fixed pixel size, so it scales with CSS)."""
    buffer = io.StringIO()
    with _rc():
        import matplotlib.pyplot as plt

        fig = _figure(spec, width, height)
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # Responsive: drop the fixed width/height (the viewBox keeps the aspect ratio) and label it for readers.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r"<svg\1", svg, count=1)
    title = normalize(spec)["title"]
    from html import escape

    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(title)}" class="chart"', 1)


def chart_png(spec: dict, width: float = 7.0, height: float = 3.2, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    with _rc():
        import matplotlib.pyplot as plt

        fig = _figure(spec, width, height)
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
