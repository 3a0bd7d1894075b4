"""The line's model: stations, depots, trains, terminals, talk groups, dispatcher roles and accounts, and the
compact timetable with positions along it. Read from YAML by `testbed.line.reading`."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

from protocols.messages import Direction, Subsystem, TerminalKind

FORMAT_VERSION: Final = 1
#: What a dispatcher role may be allowed to do beyond talking in its groups.
PERMISSIONS: Final = frozenset({"override", "force_release", "broadcast", "regroup", "terminal_control",
                                "pis_push", "emergency_ack", "video"})
GroupKind = Literal["talk", "all_call", "station"]
#: Demo-only plain texts behind the hashes in resources/lines/sample-line.yaml (documented, never real).
SAMPLE_PASSWORD: Final = "demo"
SAMPLE_TERMINAL_SECRET: Final = "demo-terminal"
SAMPLE_OVERRIDE_SECRETS: Final = {"HS-040": "demo-police"}
#: A chainage this close to a station's (metres) counts as at the station.
STATION_TOLERANCE_M: Final = 100.0


class LineError(ValueError):
    """A problem in a line file at file:line:col. The one `load_line` raises lists all in ``errors``."""

    def __init__(self, file: str, line: int, column: int, message: str,
                 errors: list[LineError] | None = None) -> None:
        self.file, self.line, self.column, self.message = file, line, column, message
        self.errors: list[LineError] = errors if errors is not None else [self]
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{e.file}:{e.line}:{e.column}: {e.message}" for e in self.errors)


# ----- the line -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    """A passenger station; ``tunnel`` marks an underground station (docs/line-format.md)."""

    code: str
    name: str
    name_zh: str
    chainage_m: float
    tunnel: bool = False
    radios: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Depot:
    """A depot or stabling yard, joined to the line near ``station`` at ``connection_chainage_m``."""

    code: str
    name: str
    name_zh: str
    station: str
    connection_chainage_m: float
    radios: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControlCentre:
    """The operations control centre (OCC) where the dispatch consoles sit."""

    code: str
    name: str
    name_zh: str
    radios: tuple[str, ...] = ()


@dataclass(frozen=True)
class Train:
    """A train by running number, with its cab radio and on-board cameras (terminal ids)."""

    number: str
    radio: str
    cameras: tuple[str, ...] = ()
    depot: str | None = None


@dataclass(frozen=True)
class Terminal:
    """Any terminal of the line; ``station`` is the home station, depot or OCC of fixed ones and of staff."""

    id: str
    kind: TerminalKind
    name: str
    name_zh: str
    station: str | None = None
    train: str | None = None
    secret_hash: str = ""
    #: kind of staff carrying a handset or recorder (station_staff, maintenance, police, ...)
    staff: str | None = None
    #: where a camera looks (cab, saloon, platform, concourse, ...)
    position: str | None = None


@dataclass(frozen=True)
class Group:
    """A talk group: ``members`` are its default members' terminal ids, ``selectors`` as the file says."""

    id: str
    name: str
    name_zh: str
    subsystem: Subsystem
    kind: GroupKind
    members: tuple[str, ...]
    selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatcherRole:
    """What a dispatcher of this role may use: talk groups (ids) and permissions (see `PERMISSIONS`)."""

    name: str
    groups: tuple[str, ...]
    permissions: frozenset[str]


@dataclass(frozen=True)
class Dispatcher:
    """A dispatcher account; ``password_hash`` comes from `hash_password`."""

    user: str
    role: str
    display_name: str
    password_hash: str


@dataclass(frozen=True)
class TimetablePosition:
    """Where the timetable puts a train: at ``station``, or past it and heading for ``next_station``."""

    station: str
    next_station: str | None
    chainage_m: float
    direction: Direction
    at_station: bool


@dataclass(frozen=True)
class Departure:
    """A train's first departure: from terminus ``origin`` at ``first_s`` seconds after service start."""

    train: str
    origin: str
    first_s: float
    direction: Direction


@dataclass(frozen=True)
class Timetable:
    """Trains shuttle between the termini: run, dwell, turn round, repeat, from their first departure.

    "up" is the direction of increasing chainage. Times are seconds since service start.
    """

    stations: tuple[Station, ...]
    #: run time of each section, ``run_s[i]`` between ``stations[i]`` and ``stations[i + 1]``
    run_s: tuple[float, ...]
    #: dwell time at each station (not used at the termini, where ``turnaround_s`` applies)
    dwell_s: tuple[float, ...]
    turnaround_s: float
    departures: dict[str, Departure]
    #: clock times of service start and end, seconds after midnight
    service_start_s: int = 6 * 3600
    service_end_s: int = 23 * 3600

    @property
    def trip_s(self) -> float:
        """Time from leaving one terminus to arriving at the other."""
        return self._trip("up")[1][-1]

    def position(self, train_number: str, t: float) -> TimetablePosition:
        """Where ``train_number`` should be ``t`` seconds after service start (KeyError: not timetabled).

        Before its first departure a train waits at its origin; the pattern then repeats without end.
        """
        departure = self.departures[train_number]
        direction = departure.direction
        elapsed = t - departure.first_s
        if elapsed < 0:
            return self._at(departure.origin, direction)
        trip = self.trip_s
        legs, phase = divmod(elapsed, trip + self.turnaround_s)
        if int(legs) % 2:
            direction = _reverse(direction)
        order, arrive, depart = self._trip(direction)
        if phase >= trip:  # turning round at the far terminus: already the next trip's direction
            return self._at(self.stations[order[-1]].code, _reverse(direction))
        for j in range(len(order) - 1):
            here, there = self.stations[order[j]], self.stations[order[j + 1]]
            if phase < depart[j]:
                return self._at(here.code, direction)
            if phase < arrive[j + 1]:
                share = (phase - depart[j]) / (arrive[j + 1] - depart[j])
                chainage = here.chainage_m + share * (there.chainage_m - here.chainage_m)
                return TimetablePosition(here.code, there.code, chainage, direction, at_station=False)
        raise AssertionError("phase beyond the trip")  # pragma: no cover

    def planned(self, train_number: str, until: float | None = None) -> list[tuple[float, float]]:
        """(time, chainage) at every planned arrival and departure up to ``until`` (default: service end)."""
        departure = self.departures[train_number]
        end = self.service_end_s - self.service_start_s if until is None else until
        points: list[tuple[float, float]] = []
        start, direction = departure.first_s, departure.direction
        while start <= end:
            order, arrive, depart = self._trip(direction)
            for j, index in enumerate(order):
                chainage = self.stations[index].chainage_m
                points.append((start + arrive[j], chainage))
                if depart[j] > arrive[j]:
                    points.append((start + depart[j], chainage))
            start += arrive[-1] + self.turnaround_s
            direction = _reverse(direction)
        return [p for p in points if p[0] <= end]

    def _at(self, code: str, direction: Direction) -> TimetablePosition:
        station = next(s for s in self.stations if s.code == code)
        return TimetablePosition(code, None, station.chainage_m, direction, at_station=True)

    def _trip(self, direction: Direction) -> tuple[list[int], list[float], list[float]]:
        """Station indices in running order with arrival and departure times from the trip's start."""
        n = len(self.stations)
        order = list(range(n)) if direction == "up" else list(range(n - 1, -1, -1))
        arrive, depart = [0.0], [0.0]
        for j in range(1, n):
            arrive.append(depart[-1] + self.run_s[min(order[j - 1], order[j])])
            depart.append(arrive[-1] + (self.dwell_s[order[j]] if j < n - 1 else 0.0))
        return order, arrive, depart


def _reverse(direction: Direction) -> Direction:
    return "down" if direction == "up" else "up"


@dataclass(frozen=True)
class Line:
    """A whole metro line as loaded from its file; collections are keyed by id in file order."""

    name: str
    name_zh: str
    description: str
    stations: tuple[Station, ...]
    depots: tuple[Depot, ...]
    control_centre: ControlCentre | None
    trains: dict[str, Train]
    terminals: dict[str, Terminal]
    groups: dict[str, Group]
    roles: dict[str, DispatcherRole]
    dispatchers: dict[str, Dispatcher]
    timetable: Timetable

    def station(self, code: str) -> Station:
        """The station with this code (KeyError if none)."""
        for station in self.stations:
            if station.code == code:
                return station
        raise KeyError(code)

    def terminal(self, terminal_id: str) -> Terminal:
        return self.terminals[terminal_id]

    def group(self, group_id: str) -> Group:
        return self.groups[group_id]

    def groups_of(self, terminal_id: str) -> tuple[str, ...]:
        """Ids of the groups the terminal is a default member of."""
        return tuple(g.id for g in self.groups.values() if terminal_id in g.members)

    def neighbours(self, code: str) -> tuple[Station | None, Station | None]:
        """The stations before (lower chainage) and after this one; None past a terminus."""
        index = self.stations.index(self.station(code))
        before = self.stations[index - 1] if index > 0 else None
        after = self.stations[index + 1] if index + 1 < len(self.stations) else None
        return before, after

    def stations_between(self, chainage_m: float,
                         tolerance_m: float = STATION_TOLERANCE_M) -> tuple[Station, Station | None]:
        """(station, None) within ``tolerance_m`` of a station, else the two stations around the chainage
        in increasing chainage. ValueError outside the line."""
        for station in self.stations:
            if abs(station.chainage_m - chainage_m) <= tolerance_m:
                return station, None
        for before, after in pairwise(self.stations):
            if before.chainage_m < chainage_m < after.chainage_m:
                return before, after
        raise ValueError(f"chainage {chainage_m:.0f} m is outside line {self.name}")

    def in_tunnel(self, chainage_m: float) -> bool:
        """True at an underground station, or between two."""
        here, there = self.stations_between(chainage_m)
        return here.tunnel and (there is None or there.tunnel)

