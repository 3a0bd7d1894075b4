"""Where the timetable puts a train: the service time `move` sets a simulated train to."""

from __future__ import annotations

import pytest

from console.headless.trains import service_time_at
from testbed.line import Line, default_line_path, load_line


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


@pytest.mark.parametrize("direction", [None, "up", "down"])
def test_a_train_is_put_between_two_stations_in_the_middle_of_that_run(line: Line, direction: str | None) -> None:
    timetable = line.timetable
    t = service_time_at(timetable, "1905", between=["S04", "S03"], direction=direction)  # type: ignore[arg-type]
    assert t is not None
    position = timetable.position("1905", t)
    assert not position.at_station and {position.station, position.next_station} == {"S03", "S04"}
    assert direction is None or position.direction == direction
    for edge in (t - 20, t + 20):  # well inside the run, not at its ends
        around = timetable.position("1905", edge)
        assert {around.station, around.next_station} == {"S03", "S04"}


def test_a_train_is_put_at_a_station(line: Line) -> None:
    t = service_time_at(line.timetable, "1902", station="S05")
    assert t is not None
    position = line.timetable.position("1902", t)
    assert position.at_station and position.station == "S05"


def test_a_spare_or_a_place_off_its_run_is_none(line: Line) -> None:
    assert service_time_at(line.timetable, "1919", station="S05") is None
    assert service_time_at(line.timetable, "1905", between=["S01", "S10"]) is None
