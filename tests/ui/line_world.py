"""A core `World` of the sample line for pane tests: the layout from the line file, a snapshot of every terminal
as the platform lists it, and trains placed where the timetable puts them (real notifications, no network)."""

from __future__ import annotations

from collections.abc import Iterable

from console.core.layout import layout_from_line
from console.core.world import World
from protocols import messages as wire
from testbed.line import Line, default_line_path, load_line
from testbed.terminals.train import train_location

_LINE: Line | None = None


def sample_line() -> Line:
    global _LINE  # noqa: PLW0603 - parsed once per test session
    if _LINE is None:
        _LINE = load_line(default_line_path())
    return _LINE


def terminal_info(terminal_id: str, presence: wire.Presence = "registered") -> wire.TerminalInfo:
    """The terminal as the platform's snapshot lists it (testbed.platform.state does the same)."""
    line = sample_line()
    terminal = line.terminals[terminal_id]
    return wire.TerminalInfo(id=terminal.id, kind=terminal.kind, name=terminal.name, name_zh=terminal.name_zh,
                             presence=presence, station=terminal.station, groups=list(line.groups_of(terminal.id)))


def line_world(*, offline: Iterable[str] = (), service_s: float | None = None) -> World:
    """A World of the whole sample line after its snapshot: every terminal registered except ``offline``; with
    ``service_s``, every train where the timetable puts it that many seconds after service start."""
    line = sample_line()
    world = World(layout_from_line(line))
    quiet = set(offline)
    infos = [terminal_info(t, "offline" if t in quiet else "registered") for t in line.terminals]
    groups = [wire.GroupInfo(id=g.id, name=g.name, name_zh=g.name_zh, subsystem=g.subsystem, kind=g.kind,
                             members=list(g.members)) for g in line.groups.values()]
    world.apply(wire.Snapshot(terminals=infos, groups=groups))
    if service_s is not None:
        world.apply_many(train_updates(service_s))
    return world


def train_updates(service_s: float) -> list[wire.LocationUpdate]:
    """Location updates of every train at service time ``service_s`` (spares report their depot)."""
    line = sample_line()
    return [wire.LocationUpdate(terminal=train.radio, location=train_location(line.timetable, train.number, service_s,
                                                                            depot=train.depot))
            for train in line.trains.values()]


def location(terminal: str, **fields: object) -> wire.LocationUpdate:
    return wire.LocationUpdate(terminal=terminal, location=wire.Location(**fields))  # type: ignore[arg-type]


def presence(terminal_id: str, value: wire.Presence) -> wire.PresenceUpdate:
    return wire.PresenceUpdate(terminal=terminal_info(terminal_id, value))


class RecordingDesk:
    """Answers the panes' commands like `console.core.desk.Desk` and remembers them, in order; the commands
    named in ``refuse`` fail as the platform would refuse them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.asked: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.refuse: dict[str, tuple[int, str]] = {}

    async def _answer(self, name: str, result: object, *args: object, **kwargs: object) -> object:
        from console.core.desk import CommandFailed

        self.asked.append((name, args, kwargs))
        if name in self.refuse:
            raise CommandFailed(*self.refuse[name])
        return result

    async def call_private(self, terminal: str, duplex: str = "half") -> object:
        return await self._answer("call_private", "C42", terminal, duplex)

    async def pull_video(self, source: str, quality: str = "thumb", *, camera: str | None = None) -> object:
        return await self._answer("pull_video", "V7", source, camera=camera)

    async def push_pis(self, text: str, text_en: str = "", trains: Iterable[str] = (), *, duration_s: int = 60,
                       urgent: bool = False) -> object:
        from console.core.desk import PisPushed

        numbers = tuple(trains)
        return await self._answer("push_pis", PisPushed("P1", len(numbers) or 20), text, text_en, numbers,
                                  duration_s=duration_s, urgent=urgent)

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> object:
        from console.core.desk import MessageSent

        return await self._answer("send_text", MessageSent("M1", 1), text, to=to, group=group)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.asked]
