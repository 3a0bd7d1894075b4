"""The fixed shape of a line as the desk draws it: stations in chainage order, depots, trains and their cameras.

The platform's terminal entries say little about the line (a camera does not say which train it rides);
the desk gets the rest from the line data. `layout_from_line` reads any object shaped like
`testbed.line.Line` (structural typing: console/core does not import the testbed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

PlaceKind = Literal["station", "depot", "control_centre"]


@dataclass(frozen=True)
class Place:
    """A station, depot or control centre with its fixed radios and cameras (terminal ids)."""

    code: str
    kind: PlaceKind
    name: str = ""
    name_zh: str = ""
    #: stations: chainage of the platform; depots: where the depot joins the line
    chainage_m: float | None = None
    tunnel: bool = False
    radios: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainPlan:
    """A train by running number: its cab radio and on-board cameras (terminal ids)."""

    number: str
    radio: str
    cameras: tuple[str, ...] = ()
    depot: str | None = None


@dataclass(frozen=True)
class LineLayout:
    """Places (stations first, in chainage order) and trains of one line."""

    name: str = ""
    name_zh: str = ""
    places: tuple[Place, ...] = ()
    trains: tuple[TrainPlan, ...] = ()
    #: the line's timetable (`testbed.line.Timetable` or alike: `console.core.train_graph.TimetableLike`), if known
    timetable: Any = field(default=None, compare=False, repr=False)
    _by_code: dict[str, Place] = field(default_factory=dict, init=False, repr=False, compare=False)
    _train_of_radio: dict[str, TrainPlan] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code.update((p.code, p) for p in self.places)
        self._train_of_radio.update((t.radio, t) for t in self.trains)

    @property
    def stations(self) -> tuple[Place, ...]:
        """Passenger stations in increasing chainage (the order of the line diagram)."""
        found = [p for p in self.places if p.kind == "station"]
        return tuple(sorted(found, key=lambda p: p.chainage_m if p.chainage_m is not None else 0.0))

    @property
    def depots(self) -> tuple[Place, ...]:
        """Depots and stabling yards in the order of their connection chainage."""
        found = [p for p in self.places if p.kind == "depot"]
        return tuple(sorted(found, key=lambda p: p.chainage_m if p.chainage_m is not None else 0.0))

    def tunnel_sections(self) -> tuple[tuple[float, float], ...]:
        """(start, end) chainages of the stretches in tunnel: every run of consecutive underground stations,
        from the first one's platform to the last one's (a lone underground station gives start == end)."""
        sections: list[tuple[float, float]] = []
        start: float | None = None
        end = 0.0
        for station in self.stations:
            if station.chainage_m is None:
                continue
            if station.tunnel:
                start = station.chainage_m if start is None else start
                end = station.chainage_m
            elif start is not None:
                sections.append((start, end))
                start = None
        if start is not None:
            sections.append((start, end))
        return tuple(sections)

    def place(self, code: str) -> Place | None:
        return self._by_code.get(code)

    def train_of_radio(self, radio: str) -> TrainPlan | None:
        """The train whose cab radio is ``radio``."""
        return self._train_of_radio.get(radio)


# ----- reading a line object --------------------------------------------------------------------


class _StationLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def chainage_m(self) -> float: ...
    @property
    def tunnel(self) -> bool: ...
    @property
    def radios(self) -> Sequence[str]: ...
    @property
    def cameras(self) -> Sequence[str]: ...


class _DepotLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def connection_chainage_m(self) -> float: ...
    @property
    def radios(self) -> Sequence[str]: ...
    @property
    def cameras(self) -> Sequence[str]: ...


class _CentreLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def radios(self) -> Sequence[str]: ...


class _TrainLike(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def radio(self) -> str: ...
    @property
    def cameras(self) -> Sequence[str]: ...
    @property
    def depot(self) -> str | None: ...


class LineLike(Protocol):
    """What `layout_from_line` reads from a line (`testbed.line.Line` has all of it)."""

    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def stations(self) -> Sequence[_StationLike]: ...
    @property
    def depots(self) -> Sequence[_DepotLike]: ...
    @property
    def control_centre(self) -> _CentreLike | None: ...
    @property
    def trains(self) -> Mapping[str, _TrainLike]: ...


def layout_from_line(line: LineLike) -> LineLayout:
    """The desk's layout of a loaded line file."""
    places: list[Place] = [
        Place(s.code, "station", s.name, s.name_zh, s.chainage_m, s.tunnel, tuple(s.radios), tuple(s.cameras))
        for s in line.stations
    ]
    places += [Place(d.code, "depot", d.name, d.name_zh, d.connection_chainage_m, False, tuple(d.radios),
                     tuple(d.cameras)) for d in line.depots]
    centre = line.control_centre
    if centre is not None:
        places.append(Place(centre.code, "control_centre", centre.name, centre.name_zh, None, False,
                            tuple(centre.radios)))
    trains = _trains(line.trains.values())
    return LineLayout(line.name, line.name_zh, tuple(places), trains, getattr(line, "timetable", None))


def _trains(trains: Iterable[_TrainLike]) -> tuple[TrainPlan, ...]:
    return tuple(TrainPlan(t.number, t.radio, tuple(t.cameras), t.depot) for t in trains)


__all__ = ["LineLayout", "LineLike", "Place", "PlaceKind", "TrainPlan", "layout_from_line"]
