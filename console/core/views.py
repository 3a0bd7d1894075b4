"""What the desk's panes show, derived from the world: stations, trains on the line, monitored groups,
platform instance links, PIS messages sent. Plain records, built on demand by `World`'s queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from console.core.layout import Place, TrainPlan
from protocols import messages as wire

LinkState = Literal["connecting", "up", "down", "unknown"]


@dataclass(frozen=True)
class StationView:
    """A station with its fixed radios, its cameras and the staff there now."""

    place: Place
    radios: tuple[wire.TerminalInfo, ...]
    cameras: tuple[wire.TerminalInfo, ...]
    staff: tuple[wire.TerminalInfo, ...]


@dataclass(frozen=True)
class TrainView:
    """A train radio and where its train is: at ``station``, or between ``station`` and ``next_station``."""

    radio: wire.TerminalInfo
    number: str | None
    station: str | None
    next_station: str | None
    chainage_m: float | None
    direction: wire.Direction | None
    #: a named area (a depot yard) when the train is off the line
    area: str | None
    cameras: tuple[wire.TerminalInfo, ...] = ()

    @property
    def at_station(self) -> bool:
        """True when the train stands at (or runs through) ``station`` rather than between two."""
        return self.station is not None and self.next_station is None

    @property
    def between(self) -> tuple[str, str] | None:
        """The two stations the train runs between (last passed, next), or None."""
        if self.station is not None and self.next_station is not None:
            return self.station, self.next_station
        return None


@dataclass(frozen=True)
class GroupActivity:
    """A monitored group and what is going on in it."""

    group: wire.GroupInfo
    selected: bool
    call: wire.CallInfo | None
    #: an emergency or imminent-peril call runs, or an alert is active in the group
    emergency: bool
    #: unix time when the holder's talk time runs out, when known
    talk_deadline: float | None = None

    @property
    def holder(self) -> str | None:
        return self.call.holder if self.call is not None else None

    @property
    def holder_priority(self) -> wire.PriorityClass | None:
        return self.call.holder_priority if self.call is not None else None

    @property
    def queue(self) -> list[wire.QueueEntry]:
        return list(self.call.queue) if self.call is not None else []


@dataclass
class InstanceLink:
    """One platform instance as this desk sees it: its role and epoch (from `platform.role`) and the state
    of our link to it (from the link layer)."""

    instance: str
    url: str | None = None
    role: wire.Role | None = None
    epoch: int = 0
    #: the instance's link to its peer is up (a standby with it forwards our commands to the active)
    peer_up: bool = False
    peer_url: str | None = None
    state: LinkState = "unknown"
    #: seconds since the last message from this instance, when the link layer measures it
    heartbeat_age: float | None = None
    #: round-trip time of heartbeats, seconds
    rtt: float | None = None
    #: this desk's commands go to this instance now
    serving: bool = False


@dataclass(frozen=True)
class PisRecord:
    """A passenger-information message this desk pushed."""

    message_id: str
    text: str
    text_en: str
    #: train numbers addressed (empty: every train)
    trains: tuple[str, ...]
    #: number of train radios the platform addressed
    radios: int
    sent: float
    urgent: bool = False
    duration_s: int = 60


def train_view(info: wire.TerminalInfo, plan: TrainPlan | None,
               cameras: tuple[wire.TerminalInfo, ...]) -> TrainView:
    """The position of one train radio as the line diagram draws it."""
    loc = info.location or wire.Location()
    number = loc.train_number or (plan.number if plan is not None else None)
    return TrainView(info, number, loc.station, loc.next_station, loc.chainage_m, loc.direction, loc.area, cameras)


def group_activity(group: wire.GroupInfo, call: wire.CallInfo | None, *, selected: bool, alerted: bool,
                   talk_deadline: float | None) -> GroupActivity:
    """A monitored group's row: its call, floor and whether an emergency runs there."""
    emergency = alerted or (call is not None and call.kind in ("emergency", "imminent_peril"))
    return GroupActivity(group, selected, call, emergency, talk_deadline)


__all__ = ["GroupActivity", "InstanceLink", "LinkState", "PisRecord", "StationView", "TrainView",
           "group_activity", "train_view"]
