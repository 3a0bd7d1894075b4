"""Where to put a simulated train: the service time at which the timetable has it at a station or between
two, so that a scenario can move a train there and let it run on (or hold it) from that point."""

from __future__ import annotations

from collections.abc import Sequence

from protocols.messages import Direction
from testbed.line import Timetable

#: seconds between two looks at the timetable while searching
_STEP = 1.0


def service_time_at(timetable: Timetable, train: str, *, station: str | None = None,
                    between: Sequence[str] | None = None, direction: Direction | None = None) -> float | None:
    """The middle of the first stretch of service time (from the train's first departure, over one round
    trip) during which ``train`` stands at ``station`` or runs between the two stations ``between`` (in
    ``direction`` when given); None when the timetable never puts it there."""
    departure = timetable.departures.get(train)
    if departure is None:
        return None
    cycle = 2 * (timetable.trip_s + timetable.turnaround_s)
    t, end = departure.first_s, departure.first_s + cycle
    first: float | None = None
    while t <= end:
        position = timetable.position(train, t)
        if between is not None:
            here = not position.at_station and {position.station, position.next_station} == set(between)
        else:
            here = position.at_station and position.station == station
        here = here and (direction is None or position.direction == direction)
        if here and first is None:
            first = t
        elif not here and first is not None:
            return (first + t - _STEP) / 2
        t += _STEP
    return first


__all__ = ["service_time_at"]
