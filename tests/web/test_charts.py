"""The SVG chart helper."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from modelplane.web.charts import CHAR_WIDTH, bar_chart, line_chart, lines_chart, nice_max

SVG = "{http://www.w3.org/2000/svg}"


def test_axis_tops_are_round_numbers() -> None:
    assert [nice_max(v) for v in (0, 1, 7, 10, 11, 130, 0.0031)] == [
        1.0,
        1.0,
        10.0,
        10.0,
        20.0,
        200.0,
        0.005,
    ]


def test_a_bar_chart_draws_one_bar_per_value_scaled_to_the_axis() -> None:
    svg = ET.fromstring(str(bar_chart(["a", "b<c"], [50, 100], "Requests")))
    bars = svg.findall(f"{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == ["a: 50", "b<c: 100"]  # type: ignore[union-attr]
    heights = [float(b.get("height", 0)) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0])
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert "Requests" in labels and "100" in labels and "b<c" in labels  # axis and x labels


def test_a_line_chart_has_one_point_per_label_and_thins_its_labels() -> None:
    days = [f"d{i}" for i in range(30)]
    svg = ET.fromstring(str(line_chart(days, [float(i) for i in range(30)], "Cost")))
    assert len(svg.findall(f"{SVG}circle")) == 30
    assert svg.find(f"{SVG}polyline") is not None
    x_labels = [t.text for t in svg.findall(f"{SVG}text") if (t.text or "").startswith("d")]
    assert len(x_labels) <= 9 and x_labels[-1] == "d29"
    assert "d28" not in x_labels  # no label crowds the last one


def test_an_empty_chart_says_so_and_mismatched_input_is_refused() -> None:
    assert "no data" in str(bar_chart([], [], "Nothing"))
    with pytest.raises(ValueError, match="one value per label"):
        line_chart(["a"], [], "x")


def test_bar_labels_are_thinned_so_that_none_overlap() -> None:
    ids = [f"openai:model-{i:02d}" for i in range(24)]  # shortened to 14 characters each
    svg = ET.fromstring(str(bar_chart(ids, [float(i) for i in range(24)], "Requests")))
    assert len(svg.findall(f"{SVG}rect")) == 24  # every bar is drawn
    x_labels = [t for t in svg.findall(f"{SVG}text") if (t.text or "").startswith("openai")]
    assert 1 < len(x_labels) < 24
    xs = [float(t.get("x", 0)) for t in x_labels]
    widest = max(len(t.text or "") for t in x_labels) * CHAR_WIDTH
    assert all(b - a >= widest for a, b in itertools.pairwise(xs))
    few = ET.fromstring(str(bar_chart(["a", "b", "c"], [1.0, 2.0, 3.0], "Few")))
    assert [t.text for t in few.findall(f"{SVG}text")][-3:] == ["a", "b", "c"]  # room: all


def _boxes(svg: ET.Element) -> list[tuple[str, float, float, float]]:
    """Each horizontal text's (text, left, right, baseline), from its anchor and length."""
    boxes = []
    for t in svg.findall(f"{SVG}text"):
        if t.get("transform"):
            continue  # the rotated y-axis title: beside the plot, checked apart
        width = len(t.text or "") * CHAR_WIDTH
        x = float(t.get("x", 0))
        left = {"middle": x - width / 2, "end": x - width}.get(t.get("text-anchor", ""), x)
        boxes.append((t.text or "", left, left + width, float(t.get("y", 0))))
    return boxes


def test_percentile_lines_have_a_legend_titled_axes_and_no_overlapping_labels() -> None:
    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    p50: list[float | None] = [100.0 + d for d in range(30)]
    series: list[tuple[str, list[float | None]]] = [
        ("p50", p50),
        ("p95", [3 * v for v in p50 if v is not None]),
        ("p99", [None, *[5 * v for v in p50[1:] if v is not None]]),
    ]
    svg = ET.fromstring(
        str(lines_chart(days, series, "Latency", x_title="Day (UTC)", y_title="Latency (ms)"))
    )
    lines = svg.findall(f"{SVG}polyline")
    assert [line.get("data-series") for line in lines] == ["p50", "p95", "p99"]
    assert len(svg.findall(f"{SVG}circle")) == 30 + 30 + 29  # a missing value is a gap
    texts = [t.text for t in svg.findall(f"{SVG}text")]
    assert {"p50", "p95", "p99", "Day (UTC)", "Latency (ms)"} <= set(texts)
    # p99 sits above p95 above p50 (smaller y is higher) on the same day
    ys = [float(line.get("points", "").split()[-1].split(",")[1]) for line in lines]
    assert ys[2] < ys[1] < ys[0]
    boxes = _boxes(svg)
    for a, b in itertools.combinations(boxes, 2):
        same_row = abs(a[3] - b[3]) < 11
        assert not (same_row and a[1] < b[2] and b[1] < a[2]), f"{a[0]!r} overlaps {b[0]!r}"
    x_labels = [b for b in boxes if b[0].startswith("2026-")]
    assert 1 < len(x_labels) < 30


def test_percentile_lines_refuse_mismatched_input_and_say_when_empty() -> None:
    assert "no data" in str(lines_chart([], [("p50", [])], "L", x_title="x", y_title="y"))
    with pytest.raises(ValueError, match="one value per label"):
        lines_chart(["a"], [("p50", [])], "L", x_title="x", y_title="y")
