"""Hypothesis properties: `tenths.units_from_raw` equals the documented formula (domain.md §4.1)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import tenths

ROUNDINGS = st.sampled_from(["up", "nearest", "down"])


def formula(raw: int, inc: int, rounding: str, minimum_one_unit: bool) -> int:
    raw = max(raw, 0)
    if rounding == "up":
        units = -(-raw // inc)
    elif rounding == "nearest":
        units = (2 * raw + inc) // (2 * inc)  # half up
    else:
        units = raw // inc
    if minimum_one_unit and raw > 0 and units == 0:
        return 1
    return units


@settings(max_examples=2000)
@given(raw=st.integers(min_value=-10**6, max_value=10**9), inc=st.integers(min_value=1, max_value=86_400), rounding=ROUNDINGS, minimum=st.booleans())
def test_units_equal_the_formula(raw: int, inc: int, rounding: str, minimum: bool) -> None:
    assert tenths.units_from_raw(raw, inc, rounding, minimum) == formula(raw, inc, rounding, minimum)  # type: ignore[arg-type]


@given(raw=st.integers(min_value=0, max_value=10**7), inc=st.sampled_from([36, 360, 900, 3600]))
def test_defaults_are_up_with_minimum_one_unit(raw: int, inc: int) -> None:
    assert tenths.units_from_raw(raw, inc) == formula(raw, inc, "up", True)


@given(raw=st.integers(min_value=1, max_value=10**7), inc=st.integers(min_value=1, max_value=86_400))
def test_up_bills_every_started_unit(raw: int, inc: int) -> None:
    units = tenths.units_from_raw(raw, inc, "up", False)
    assert (units - 1) * inc < raw <= units * inc


@given(parts=st.lists(st.integers(min_value=1, max_value=3_000), min_size=2, max_size=6))
def test_rounding_is_once_per_entry_not_per_source(parts: list[int]) -> None:
    once = tenths.units_from_raw(sum(parts), 360)
    assert once <= sum(tenths.units_from_raw(p, 360) for p in parts)


@given(inc=st.one_of(st.integers(max_value=0), st.integers(min_value=86_401)))
def test_bad_increments_are_invalid_arguments(inc: int) -> None:
    try:
        tenths.units_from_raw(60, inc)
    except tenths.InvalidArgument as e:
        assert e.field == "unitIncrements"
    else:
        raise AssertionError("accepted a bad increment")


def test_worked_examples() -> None:
    assert [tenths.units_from_raw(s, 360) for s in (420, 120, 0, 1020)] == [2, 1, 0, 3]
    assert tenths.units_from_raw(960, 900) == 2
    assert tenths.units_from_raw(295, 36) == 9
    assert [tenths.units_from_raw(s, 360, "nearest") for s in (420, 180, 120)] == [1, 1, 1]
    assert tenths.units_from_raw(120, 360, "nearest", False) == 0


def test_counts_must_be_whole_numbers() -> None:
    assert tenths.units_from_raw(420.0, 360) == 2  # type: ignore[arg-type]
    for bad in (420.5, "420", True, float("nan"), float("inf"), 10**30):
        try:
            tenths.units_from_raw(bad, 360)  # type: ignore[arg-type]
        except tenths.InvalidArgument as e:
            assert e.field == "rawSeconds", bad
        else:
            raise AssertionError(f"accepted {bad!r}")
