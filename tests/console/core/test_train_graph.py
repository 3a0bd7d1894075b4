"""The train graph's data: bounded series, positions kept per train as reported, the timetable's planned lines,
and delays worked out against the plan (on time, held at a station, early), with the sample line's timetable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from console.core.layout import layout_from_line
from console.core.series import Series
from console.core.train_graph import LATE_S, PlanClock, TrainTracks, delay_class
from protocols import messages as wire
from testbed.line import Line
from testbed.terminals.service import ServiceClock
from testbed.terminals.train import train_location

T0 = 1_700_000_000.0


def test_a_series_keeps_its_newest_samples_as_one_contiguous_view() -> None:
    series = Series(4)
    assert len(series) == 0 and series.last() is None and series.times.size == 0
    for n in range(10):
        series.append(float(n), n * 10.0)
        kept = list(range(max(0, n - 3), n + 1))
        assert list(series.times) == [float(k) for k in kept]
        assert list(series.values) == [k * 10.0 for k in kept]
    assert series.last() == (9.0, 90.0) and series.version == 10
    times, values = series.since(7.5)
    assert list(times) == [8.0, 9.0] and list(values) == [80.0, 90.0]
    with pytest.raises(ValueError):
        series.times[0] = 1.0  # a read-only view of the ring
    series.append(10.0, math.nan)
    assert series.last_value() is None


def _tracks(line: Line, offset: float = 3520.0) -> tuple[TrainTracks, ServiceClock]:
    service = ServiceClock(start=T0, speed=1.0, offset=offset)
    return TrainTracks(layout_from_line(line), clock=lambda: T0, plan_clock=PlanClock.of(service)), service


def _report(tracks: TrainTracks, line: Line, number: str, location: wire.Location, when: float) -> None:
    tracks.take(wire.LocationUpdate(terminal=line.trains[number].radio, location=location,
                                    fix_ms=round(when * 1000)))


def test_positions_are_kept_per_train_at_their_fix_time_and_a_train_on_time_is_not_late(line: Line) -> None:
    tracks, service = _tracks(line)
    radio = line.trains["1905"].radio
    sent = []
    for step in range(0, 600, 10):
        when = T0 + step
        location = train_location(line.timetable, "1905", service.at(when))
        _report(tracks, line, "1905", location, when)
        sent.append((when, location.chainage_m))
        assert tracks.tracks[radio].delay == pytest.approx(0.0, abs=0.5), step
    track = tracks.tracks[radio]
    assert track.number == "1905"
    assert np.allclose(track.positions.times, [w for w, _ in sent])
    assert np.allclose(track.positions.values, [c for _, c in sent])
    tracks.take(wire.LocationUpdate(terminal="ST-S01-1", location=wire.Location(station="S01", chainage_m=1200.0)))
    assert set(tracks.tracks) == {radio}  # a station radio is no train


def test_a_train_held_at_a_station_runs_late_by_the_time_it_overstays(line: Line) -> None:
    tracks, service = _tracks(line)
    number = "1907"
    # find a moment when the plan has the train standing at a station, and hold it there
    t = next(T0 + s for s in range(0, 2000, 5)
             if train_location(line.timetable, number, service.at(T0 + s)).next_station is None)
    held = train_location(line.timetable, number, service.at(t))
    delays = []
    for extra in range(0, 400, 20):
        _report(tracks, line, number, held, t + extra)
        delays.append(tracks.tracks[line.trains[number].radio].delay)
    assert delays[0] == pytest.approx(0.0, abs=0.5)
    final = delays[-1]
    assert final is not None and final > 300  # it should have left long ago (dwell 30-45 s)
    assert delays == sorted(delays, key=lambda d: d or 0.0), "the delay grows while it stands"
    assert delay_class(final) == "very_late" and delay_class(LATE_S + 1) == "late" and delay_class(5.0) == "on_time"
    assert delay_class(None) == "unknown"


def test_a_train_ahead_of_its_plan_is_early(line: Line) -> None:
    tracks, service = _tracks(line)
    radio = line.trains["1903"].radio
    ahead = train_location(line.timetable, "1903", service.at(T0 + 40))  # where it should be 40 s from now
    _report(tracks, line, "1903", ahead, T0)
    delay = tracks.tracks[radio].delay
    assert delay is not None and -60 < delay < -20  # early (a stop within the 40 s shortens the figure)


def test_a_train_off_the_line_breaks_its_line_and_has_no_delay(line: Line) -> None:
    tracks, service = _tracks(line)
    radio = line.trains["1901"].radio
    _report(tracks, line, "1901", train_location(line.timetable, "1901", service.at(T0)), T0)
    tracks.take(wire.LocationUpdate(terminal=radio, location=wire.Location(area="D1", train_number="1901"),
                                    fix_ms=round((T0 + 1) * 1000)))
    tracks.take(wire.LocationUpdate(terminal=radio, location=wire.Location(area="D1", train_number="1901"),
                                    fix_ms=round((T0 + 2) * 1000)))
    track = tracks.tracks[radio]
    assert len(track.positions) == 2 and math.isnan(track.positions.values[-1]) and track.off_line
    assert track.delay is None


def test_planned_lines_cover_the_window_in_wall_time_and_follow_the_plan_clock(line: Line) -> None:
    tracks, service = _tracks(line)
    times, chainages = tracks.planned("1905", T0 - 1800, T0 + 1800)
    assert times.size >= 10 and times.size == chainages.size
    assert times[0] <= T0 - 1800 and times[-1] >= T0 + 1800  # it reaches both edges
    assert np.all(np.diff(times) >= 0)
    stations = {s.chainage_m for s in line.stations}
    assert set(np.round(chainages, 1)) <= stations  # planned points are arrivals and departures at stations
    for when in (T0 - 1000, T0 + 700):  # between its points, the plan is where the timetable says
        expected = train_location(line.timetable, "1905", service.at(when)).chainage_m
        assert np.interp(when, times, chainages) == pytest.approx(expected, abs=1.0)
    assert tracks.planned("1919", T0, T0 + 60)[0].size == 0  # a spare is not timetabled
    assert set(tracks.timetabled()) == set(line.timetable.departures)

    # a plan clock running 30 s behind: a train where the old plan had it is now 30 s early
    radio = line.trains["1905"].radio
    _report(tracks, line, "1905", train_location(line.timetable, "1905", service.at(T0)), T0)
    tracks.plan_clock = PlanClock(start=T0, speed=1.0, offset=3520.0 - 30)
    assert tracks.tracks[radio].delay == pytest.approx(-30.0, abs=1.0)


def test_the_default_plan_clock_is_the_time_of_day(line: Line) -> None:
    tracks = TrainTracks(layout_from_line(line), clock=lambda: T0)
    clock = tracks.plan_clock
    assert clock is not None and clock.speed == 1.0
    local = __import__("time").localtime(T0)
    seconds_of_day = local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec
    assert clock.at(T0) == pytest.approx(seconds_of_day - line.timetable.service_start_s, abs=1.0)
    with pytest.raises(ValueError):
        PlanClock(start=T0, speed=0)


def test_a_position_that_makes_no_sense_breaks_the_line_and_nothing_else(line: Line) -> None:
    tracks, service = _tracks(line)
    radio = line.trains["1903"].radio
    _report(tracks, line, "1903", train_location(line.timetable, "1903", service.at(T0)), T0)
    tracks.take(wire.LocationUpdate(terminal=radio, location=wire.Location(chainage_m=math.inf, train_number="1903")))
    tracks.take(wire.LocationUpdate(terminal="NOT-A-TRAIN", location=wire.Location(chainage_m=5.0)))
    track = tracks.tracks[radio]
    assert len(track.positions) == 2 and math.isnan(track.positions.values[-1]) and track.delay is None
    assert set(tracks.tracks) == {radio}
    _report(tracks, line, "1903", train_location(line.timetable, "1903", service.at(T0 + 5)), T0 + 5)
    assert len(track.positions) == 3 and track.delay == pytest.approx(0.0, abs=0.5)
