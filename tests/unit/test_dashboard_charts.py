"""Chart geometry for the server-side SVG charts."""

from decimal import Decimal

from app.dashboard.charts import bar_chart, columns


def test_bars_scale_to_the_largest_value():
    # span = 320 − 110 − 70 = 140 px for the largest value
    chart = bar_chart([("FIFO", Decimal("100")), ("LIFO", Decimal("25")), ("AVERAGE", Decimal("-5"))])
    assert [b.width for b in chart.bars] == [140.0, 35.0, 0.0]
    assert [b.y for b in chart.bars] == [0, 26, 52] and chart.height == 70
    assert chart.summary == "FIFO: 100.00; LIFO: 25.00; AVERAGE: -5.00"


def test_bars_with_nothing_or_zeros_draw_nothing():
    assert bar_chart([]).bars == [] and bar_chart([]).height == 1
    assert bar_chart([("A", 0)]).bars[0].width == 0


def test_columns_share_the_width_and_keep_a_hairline_for_empty_days():
    # 4 columns, 3 gaps of 2 px: (320 − 6) / 4 = 78.5 px each; tallest = height − 2
    chart = columns([0, 2, 4, 1], labels=["d1", "d2", "d3", "d4"], width=320, height=60)
    assert [b.width for b in chart.bars] == [78.5] * 4
    assert [b.x for b in chart.bars] == [0, 80.5, 161.0, 241.5]
    assert [b.height for b in chart.bars] == [1.0, 29.0, 58.0, 14.5]
    assert chart.bars[2].y == 2.0
