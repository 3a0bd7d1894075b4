"""Records the reference platform keeps, and the `Outbound` envelope its state machine emits.

Everything a platform instance knows lives in `PlatformState` (state.py) as these records, so that the
active instance can replicate it to the standby by replaying the same inputs (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from protocols.machines.floor import FloorArbitrator
from protocols.messages import (
    CallInfo,
    Duplex,
    Location,
    MediaPlane,
    Notification,
    PriorityClass,
    TerminalInfo,
    VideoQuality,
)

#: the principal id of the platform's SFU (Janus, through the broker in janus_plane.py): the sink of publications,
#: the party that offers to subscribers and answers publishers in the SFU media plane (SPEC §5.14.9)
SFU = "sfu"


@dataclass(frozen=True)
class Outbound:
    """A notification and who gets it: the principals in ``to``, plus every console when ``consoles``.

    Both instances of a pair compute the same outbound list from the same journal entry; each delivers it
    to the sessions attached to itself."""

    message: Notification
    to: frozenset[str] = frozenset()
    consoles: bool = False
    #: only the sessions on this platform instance (a reply to one session's attach), else all
    via: str | None = None


@dataclass
class Principal:
    """Someone who can hold a session: a terminal (by id) or a dispatcher (by user name)."""

    id: str
    is_console: bool
    #: groups this principal may affiliate to and talk in
    allowed_groups: frozenset[str]
    permissions: frozenset[str] = frozenset()
    role: str | None = None
    affiliations: set[str] = field(default_factory=set)
    selected: str | None = None
    #: open sessions by the platform instance they are attached to
    sessions: dict[str, int] = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        """At least one session of this principal is attached to some instance."""
        return bool(self.sessions)


@dataclass
class TerminalRecord:
    """A terminal's registry entry; ``info`` is what consoles are told."""

    info: TerminalInfo
    disabled: bool = False
    #: unix ms of the last location report, for rate limiting
    last_fix_ms: int = 0
    reports_in_window: int = 0
    window_start: float = 0.0


@dataclass
class CallRecord:
    """A call in progress."""

    info: CallInfo
    #: floor arbitration for half-duplex calls (None for full-duplex private calls)
    floor: FloorArbitrator | None
    #: the parties that receive this call's notifications (affiliated members, private parties, consoles)
    parties: set[str] = field(default_factory=set)
    #: a private call not yet answered
    ringing: bool = False
    duplex: Duplex = "half"
    #: deadline of the hang timer (group calls) or the no-answer timer (private calls)
    deadline: float | None = None
    #: groups whose members hear this call (a patch joins several)
    groups: tuple[str, ...] = ()
    priority: PriorityClass = "normal"


@dataclass
class VideoSessionRecord:
    """A media session between a video source and a sink (console or terminal)."""

    id: str
    source: str
    sink: str
    quality: VideoQuality
    state: Literal["requested", "negotiating", "live", "stopped", "failed"] = "requested"
    media: Literal["video", "audio"] = "video"
    plane: MediaPlane = "direct"
    #: the SFU relays nothing to the sink (`video.pause`, a hidden tile)
    paused: bool = False
    #: when the session fails unless it is live by then (SPEC §5.14.1: `VIDEO_SETUP_TIMEOUT` after it was requested)
    deadline: float | None = None

    @property
    def publication(self) -> bool:
        """A source publishing into the SFU (its sink is the SFU itself)."""
        return self.sink == SFU

    @property
    def media_end(self) -> str:
        """The end that exchanges SDP (with the other end, or with the SFU in the SFU plane)."""
        return self.source if self.sink == SFU else self.sink


@dataclass(frozen=True)
class Fix:
    """A location fix as stored in the registry."""

    location: Location
    fix_ms: int
