import math

import pytest

from uppfoljning.present.formatting import (
    NBSP,
    format_amount,
    format_count,
    format_mnkr,
    format_number,
    format_percent,
    period_label,
    period_range_label,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1880.9, 1, f"1{NBSP}880,9"),
        (0.05, 1, "0,1"),  # half-up, not banker's rounding
        (0.25, 1, "0,3"),
        (-0.05, 1, "-0,1"),  # half away from zero
        (2.675, 2, "2,68"),  # the float repr, not its binary expansion
        (-0.04, 1, "0,0"),  # never "-0,0"
        (1234567.0, 0, f"1{NBSP}234{NBSP}567"),
        (-1054.9, 1, f"-1{NBSP}054,9"),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_missing_values_are_blank():
    assert format_number(float("nan")) == ""
    assert format_number(None) == ""
    assert math.isnan(round_half_up(float("nan")))


def test_units_and_signs():
    assert format_amount(1_880_949_999.0, "mnkr") == f"1{NBSP}880,9"
    assert format_amount(1_880_950_000.0, "mnkr") == f"1{NBSP}881,0"
    assert format_amount(123_456.0, "tkr", 0) == "123"
    assert format_mnkr(7_100_000, sign=True, suffix=True) == "+7,1 mnkr"
    assert format_percent(25.84) == f"25,8{NBSP}%"


def test_small_counts_are_suppressed():
    assert format_count(3, threshold=5) == "<5"
    assert format_count(0, threshold=5) == "0"
    assert format_count(12, threshold=5) == "12"


def test_period_labels():
    assert period_label("2024-08") == "augusti 2024"
    assert period_range_label("2024-08") == "jan\u2013aug 2024"
    assert period_range_label("2024-01") == "jan 2024"
    assert round_half_up(2.5) == 3.0
