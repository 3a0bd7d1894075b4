"""What changed in the desk's world: small frozen events that `World` hands to its observers.

Observers (the Qt bridge, test mode, headless reports) get a list of these after every batch of
notifications and look up the new state in the `World` itself: an event names what changed, not how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Change:
    """Base of every world change."""


@dataclass(frozen=True)
class TerminalChanged(Change):
    """Terminals were added, changed (presence, status, location, affiliations) or dropped."""

    ids: frozenset[str]


@dataclass(frozen=True)
class GroupsChanged(Change):
    """Groups were created, changed or dissolved (regroups, patches, snapshots)."""

    ids: frozenset[str]


@dataclass(frozen=True)
class CallChanged(Change):
    """A call started, or its kind, priority or parties changed (upgrade, late entry, snapshot)."""

    call_id: str


@dataclass(frozen=True)
class CallEnded(Change):
    """A call ended; ``reason`` as the platform gave it (``snapshot`` when a snapshot no longer lists it)."""

    call_id: str
    reason: str


@dataclass(frozen=True)
class FloorChanged(Change):
    """The floor holder, its priority, the queue or the talk-time deadline of a call changed."""

    call_id: str


@dataclass(frozen=True)
class IncomingCall(Change):
    """A private call rings at this desk (or stopped ringing: look in `World.incoming`)."""

    call_id: str


@dataclass(frozen=True)
class AlertChanged(Change):
    """An emergency alert was raised, acknowledged or cancelled (cancelled ones leave `World.alerts`)."""

    alert_id: str


@dataclass(frozen=True)
class AlarmChanged(Change):
    """An alarm was raised, acknowledged or cleared (cleared ones leave `World.alarms`)."""

    alarm_id: str


@dataclass(frozen=True)
class MessageReceived(Change):
    """A text or status message was sent (to this desk, a group, or copied to consoles)."""

    kind: Literal["text", "status"]
    sender: str
    #: the text message id; None for status messages, which have none
    message_id: str | None = None


@dataclass(frozen=True)
class PisSent(Change):
    """This desk pushed a message to trains' passenger screens."""

    message_id: str


@dataclass(frozen=True)
class LinkChanged(Change):
    """A platform instance's role, epoch or link state changed."""

    instance: str


@dataclass(frozen=True)
class VideoChanged(Change):
    """A media session changed state or quality (stopped and failed ones leave `World.video`)."""

    session: str


@dataclass(frozen=True)
class AffiliationChanged(Change):
    """The desk's own monitored groups or selected group changed."""


@dataclass(frozen=True)
class SessionChanged(Change):
    """The desk (re)attached: who we are, our role, groups and permissions."""


@dataclass(frozen=True)
class SnapshotApplied(Change):
    """The last part of a snapshot was merged: the world now mirrors the platform's view."""

    complete: bool = True


@dataclass(frozen=True)
class ProtocolProblem(Change):
    """The platform sent something the desk could not use; the desk logged it and carried on."""

    text: str


__all__ = [
    "AffiliationChanged",
    "AlarmChanged",
    "AlertChanged",
    "CallChanged",
    "CallEnded",
    "Change",
    "FloorChanged",
    "GroupsChanged",
    "IncomingCall",
    "LinkChanged",
    "MessageReceived",
    "PisSent",
    "ProtocolProblem",
    "SessionChanged",
    "SnapshotApplied",
    "TerminalChanged",
    "VideoChanged",
]
