"""Charts: SVG text and PNG bytes from a spec, gaps for None, no crash on odd input."""

from chordme_bi.reports.render.charts import chart_png, chart_svg, has_data, normalize


def test_normalize_pads_and_turns_bad_values_into_gaps():
    spec = normalize({"kind": "weird", "x": ["a", "b", "c"], "series": [{"name": "s", "values": [1, "x", float("nan"), 4]}]})
    assert spec["kind"] == "bar"
    assert spec["series"][0]["values"] == [1.0, None, None]


def test_svg_is_inline_and_labelled():
    svg = chart_svg({"title": "Mean <b>", "kind": "line", "x": ["d1", "d2", "d3"],
                     "series": [{"name": "m", "values": [1, None, 3]}]})
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert 'aria-label="Mean &lt;b&gt;"' in svg
    assert "d1" in svg and "d3" in svg  # text kept as text


def test_labels_with_dollar_signs_are_not_mathtext():
    svg = chart_svg({"kind": "bar", "x": ["$5 tips$", "b"], "series": [{"name": "s", "values": [1, 2]}]})
    assert "$5 tips$" in svg


def test_png_and_empty_chart():
    assert not has_data({"kind": "pie", "x": ["a"], "series": [{"values": [None]}]})
    png = chart_png({"kind": "pie", "x": [], "series": []})
    assert png.startswith(b"\x89PNG")
    assert "No data in this window" in chart_svg({"kind": "line", "x": [], "series": []})
