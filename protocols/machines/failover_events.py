"""What the console's failover machine hands its owner, and the views it gives of its links (SPEC.md §4.5-4.6, §7).

Kept apart from `FailoverMachine` (failover.py), like the session machines' events in session_events.py, so
that drivers, the desk and tests can name the events and views without the machine's decision logic. Plain
frozen data: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocols.messages import AffiliationSet, PriorityClass, Request, Role

LinkState = Literal["down", "connecting", "up"]


@dataclass(frozen=True)
class FloorIntent:
    """The user still wants the floor of ``call`` (PTT held): it is re-requested after every switch."""

    call: str
    priority: PriorityClass = "dispatcher"
    override: bool = False


@dataclass(frozen=True)
class LinkView:
    """What the console knows of one instance (for status bars and tests)."""

    #: the link's name as given to the machine (the driver uses the instance's URL)
    name: str
    state: LinkState
    #: the name the instance gives itself in welcome and platform.role
    instance: str | None
    #: role and epoch of the last announcement accepted from it
    role: Role | None
    epoch: int | None
    peer_up: bool
    #: when something was last heard from it
    heard_at: float | None
    #: connections welcomed on this link so far (a new one after every reconnect or re-attach)
    generation: int
    #: connection attempts since the link was last up
    attempts: int


# ----- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailoverEvent:
    """Base of every failover event."""


@dataclass(frozen=True)
class Connect(FailoverEvent):
    """Open a connection to ``instance`` and say hello with ``resume``; report `link_up` or `connect_failed`."""

    instance: str
    #: resumption token to put in the hello, None for a fresh session
    resume: str | None = None
    #: the link is up: keep it until the new connection is welcomed, then close it (a re-attach)
    replaces: bool = False
    #: attempts on this link since it was last up, this one included (0: first connection, or a re-attach)
    attempt: int = 0


@dataclass(frozen=True)
class ServingChanged(FailoverEvent):
    """Commands now go to ``instance`` (through it to the active when ``via_standby``)."""

    instance: str
    epoch: int
    via_standby: bool
    #: the instance that served before (across an offline gap), None at first
    previous: str | None
    #: last message from the lost serving instance, and when its loss was detected (None: nothing was lost)
    lost_at: float | None
    detected_at: float | None
    #: when the switch was made
    now: float


@dataclass(frozen=True)
class Offline(FailoverEvent):
    """No instance can serve: commands are held until one can (or until they time out)."""

    previous: str | None
    lost_at: float | None
    detected_at: float | None
    now: float


@dataclass(frozen=True)
class Restore(FailoverEvent):
    """Carry out the client's duty on the (re-)attached serving link, in this order (§4.6)."""

    instance: str
    #: unanswered commands with their original keys, in the order they were issued
    replay: tuple[Request, ...]
    #: the desired affiliation set to re-send (without a key: give it a fresh one), None if never set
    affiliation: AffiliationSet | None
    #: floors to re-request, each with a new key
    floors: tuple[FloorIntent, ...]


@dataclass(frozen=True)
class Resend(FailoverEvent):
    """Send these commands again (same keys) on the serving link: a refusal asked to retry later."""

    instance: str
    requests: tuple[Request, ...]


@dataclass(frozen=True)
class SplitBrain(FailoverEvent):
    """Two instances announce active at the same epoch: no command may be sent until it is resolved (§4.5)."""

    instances: tuple[str, ...]
    epoch: int


@dataclass(frozen=True)
class SplitBrainCleared(FailoverEvent):
    """One of the two actives stepped down, or a higher epoch appeared: commands may flow again."""

    epoch: int


@dataclass(frozen=True)
class StaleAnnouncement(FailoverEvent):
    """An instance announced a role at an epoch below the highest seen; it was ignored (a deposed active)."""

    instance: str
    epoch: int
    highest_epoch: int


@dataclass(frozen=True)
class CommandsFailed(FailoverEvent):
    """These commands got no answer in time: 504 past their deadline, 503 when no instance could serve."""

    keys: tuple[str, ...]
    code: int
    reason: str


__all__ = [
    "CommandsFailed", "Connect", "FailoverEvent", "FloorIntent", "LinkState", "LinkView", "Offline", "Resend",
    "Restore", "ServingChanged", "SplitBrain", "SplitBrainCleared", "StaleAnnouncement",
]
