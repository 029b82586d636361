"""The SVG chart helper."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from modelplane.web.charts import CHAR_WIDTH, bar_chart, line_chart, nice_max

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
