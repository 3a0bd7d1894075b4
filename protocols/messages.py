"""The typed messages of the Trunking Dispatch Protocol v1 (TDP/1).

Every message is one JSON object whose member ``t`` names its type; `Message` is the tagged union
of all of them. Three kinds exist (SPEC.md, "Message kinds"):

* **requests** carry ``id`` (unique per session) and, when they change state, an idempotency
  ``key``; each gets exactly one answer, `Ok` or `Error`, whose ``re`` is the request's ``id``;
* **answers** (`Ok`, `Error`, and `Welcome` for `Hello`);
* **notifications** carry neither and get no answer (events from the platform, heartbeats,
  location reports, floor acknowledgements).

Every message carries the sender's ``epoch`` (the platform's fencing token, SPEC.md "Epochs").
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

# ---------------------------------------------------------------------------------------------
# Shared vocabulary

TerminalKind = Literal["station", "train", "handset", "recorder", "camera", "console", "gateway"]
Presence = Literal["registered", "busy", "emergency", "unreachable", "offline", "disabled"]
PriorityClass = Literal["normal", "dispatcher", "imminent_peril", "emergency"]
CallKind = Literal["group", "private", "broadcast", "emergency", "imminent_peril"]
Duplex = Literal["half", "full"]
Direction = Literal["up", "down"]
BroadcastTarget = Literal["all_trains", "all_stations", "subsystem", "group"]
Subsystem = Literal["train_dispatch", "environment", "maintenance", "depot", "line"]
AlarmSource = Literal["equipment", "sensor", "video_analytics", "terminal"]
Severity = Literal["info", "minor", "major", "critical"]
Role = Literal["active", "standby"]
VideoQuality = Literal["thumb", "hd"]
#: where a media session's media flows: peer to peer, or through the platform's SFU (Janus)
MediaPlane = Literal["direct", "sfu"]

#: Rank of each priority class; higher wins (TS 22.179: emergency > imminent peril > dispatcher > normal).
PRIORITY_RANK: dict[str, int] = {"normal": 0, "dispatcher": 1, "imminent_peril": 2, "emergency": 3}


class _Data(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """Base of the records nested inside messages."""


class Location(_Data, kw_only=True):
    """Where a terminal is. A train is at a station (``station``) or between two (``station`` is the
    last one passed, ``next_station`` the next); staff are at a station or in an ``area``."""

    station: str | None = None
    next_station: str | None = None
    #: metres from the line's zero point along the track
    chainage_m: float | None = None
    direction: Direction | None = None
    #: a named area (depot yard, tunnel section, equipment room) when not at a station
    area: str | None = None
    #: train running number, for train radios
    train_number: str | None = None


class TerminalInfo(_Data, kw_only=True):
    """A terminal as the platform knows it (a snapshot row or a presence update)."""

    id: str
    kind: TerminalKind
    name: str = ""
    name_zh: str = ""
    presence: Presence = "offline"
    #: last status code sent by the terminal (MCData status, 0-65535)
    status: int | None = None
    location: Location | None = None
    groups: list[str] = []
    #: home station or depot of a fixed radio or camera
    station: str | None = None


class GroupInfo(_Data, kw_only=True):
    """A talk group (including dynamic regroups and patches)."""

    id: str
    name: str = ""
    name_zh: str = ""
    subsystem: Subsystem = "line"
    kind: Literal["talk", "all_call", "station", "regroup", "patch"] = "talk"
    #: for patches: the groups joined; for regroups: the terminals gathered
    members: list[str] = []


class QueueEntry(_Data, kw_only=True):
    """One waiting floor request, as shown to consoles."""

    party: str
    priority: PriorityClass
    position: int


class CallInfo(_Data, kw_only=True):
    """A call in progress."""

    id: str
    kind: CallKind
    group: str | None = None
    parties: list[str] = []
    initiator: str = ""
    duplex: Duplex = "half"
    priority: PriorityClass = "normal"
    holder: str | None = None
    holder_priority: PriorityClass | None = None
    queue: list[QueueEntry] = []
    #: unix time in milliseconds
    started_ms: int = 0


class AlertInfo(_Data, kw_only=True):
    """An emergency alert or imminent-peril alert."""

    id: str
    terminal: str
    kind: Literal["emergency", "imminent_peril"] = "emergency"
    group: str | None = None
    location: Location | None = None
    state: Literal["active", "acknowledged", "cancelled"] = "active"
    acknowledged_by: str | None = None
    raised_ms: int = 0


class AlarmInfo(_Data, kw_only=True):
    """An alarm from equipment, a sensor, video analytics or a terminal."""

    id: str
    source: AlarmSource
    origin: str
    severity: Severity = "major"
    code: str = ""
    text: str = ""
    location: Location | None = None
    state: Literal["raised", "acknowledged", "cleared"] = "raised"
    acknowledged_by: str | None = None
    raised_ms: int = 0


class LineClock(_Data, kw_only=True):
    """The line's timetable clock (SPEC.md §3.5.9): at unix time ``at_ms`` the timetable's service time (seconds
    since the line's service start) was ``service_s``, and it runs ``rate`` service seconds per wall second. A
    simulated line tells it so that desks read delays on its clock; a real line runs on the time of day and
    tells none."""

    at_ms: int
    #: finite: a bound JSON's 1e999 (read as infinity) cannot pass
    service_s: Annotated[float, msgspec.Meta(ge=-1e9, le=1e9)]
    #: service seconds per wall-clock second: 1 for real time, 10 for a simulation ten times faster
    rate: Annotated[float, msgspec.Meta(gt=0, le=10_000)] = 1.0

    def at(self, wall: float) -> float:
        """Service seconds at unix time ``wall``."""
        return self.service_s + (wall - self.at_ms / 1000) * self.rate


# ---------------------------------------------------------------------------------------------
# Message kinds


class Message(msgspec.Struct, tag_field="t", kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """Base of every TDP/1 message."""

    #: the sender's epoch: the platform's current epoch, or the highest one a client has seen
    epoch: int = 0

    kind: ClassVar[str] = "notification"


class Request(Message, kw_only=True):
    """A message that gets exactly one answer."""

    #: correlation id, unique within the session (positive)
    id: int
    #: idempotency key of a state-changing request; a repeat with the same key is answered, not re-applied
    key: str | None = None

    kind: ClassVar[str] = "request"


class Answer(Message, kw_only=True):
    """An answer to the request whose ``id`` is ``re``."""

    re: int | None = None

    kind: ClassVar[str] = "answer"


class Notification(Message, kw_only=True):
    """A message that gets no answer."""


# ----- session -------------------------------------------------------------------------------


class Hello(Request, tag="hello", kw_only=True):
    """First message of a connection: version negotiation, authentication, optional resumption."""

    versions: list[int]
    role: Literal["console", "terminal"]
    #: terminal id, or dispatcher user name
    ident: str
    #: terminal secret, or dispatcher password (never logged)
    secret: str | None = None
    #: dispatcher bearer token instead of a password
    token: str | None = None
    terminal_kind: TerminalKind | None = None
    #: resumption token from a previous `Welcome`
    resume: str | None = None
    #: the client's preferred heartbeat interval in milliseconds (the server decides)
    heartbeat_ms: int | None = None
    #: free text naming the client software, for logs
    agent: str = ""

    def __repr__(self) -> str:
        # credentials and resumption tokens must never reach a log (SPEC.md §2.6, §9): repr masks them
        return _masked_repr(self, ("secret", "token", "resume"))


class Welcome(Answer, tag="welcome", kw_only=True):
    """The answer to a successful `Hello`."""

    version: int
    session: str
    resume_token: str
    #: True when the hello's resumption token was honoured
    resumed: bool = False
    instance: str
    role: Role
    heartbeat_ms: int
    loss_threshold: int
    #: dispatcher role name (consoles)
    dispatcher_role: str | None = None
    #: groups the principal may affiliate to and talk in
    groups: list[str] = []
    permissions: list[str] = []
    #: consoles: the line's timetable clock when it is not the time of day (a simulated line); None: time of day
    line_clock: LineClock | None = None

    def __repr__(self) -> str:
        return _masked_repr(self, ("resume_token",))


class Ok(Answer, tag="ok", kw_only=True):
    """Success. ``result`` holds the request's documented result fields."""

    result: dict[str, Any] = {}
    #: True when this answers a repeat of an already-applied idempotency key
    replayed: bool = False


class Error(Answer, tag="error", kw_only=True):
    """Failure with a code from `ErrorCode` and a human-readable reason."""

    code: int
    reason: str


class Ping(Notification, tag="ping", kw_only=True):
    """Heartbeat; the peer answers `Pong` with the same ``seq``."""

    seq: int


class Pong(Notification, tag="pong", kw_only=True):
    seq: int


class Bye(Notification, tag="bye", kw_only=True):
    """Orderly end of the session (deregistration for terminals)."""

    reason: str = ""


class PlatformRole(Notification, tag="platform.role", kw_only=True):
    """An instance announces its role and epoch (on connect and whenever either changes)."""

    instance: str
    role: Role
    #: ws:// or wss:// address of the other instance of the pair, when known
    peer: str | None = None
    #: the link between the two instances is up: a standby with ``peer_up`` forwards commands to the
    #: active, so a client cut off from the active alone can keep working through the standby
    peer_up: bool = False


class Snapshot(Notification, tag="snapshot", kw_only=True):
    """The platform's view sent to a console after `Welcome` (and on request by `SnapshotRequest`)."""

    terminals: list[TerminalInfo] = []
    groups: list[GroupInfo] = []
    calls: list[CallInfo] = []
    alerts: list[AlertInfo] = []
    alarms: list[AlarmInfo] = []
    #: the receiver's own affiliations and selected talk group, as the platform holds them (part 1 only)
    affiliated: list[str] = []
    selected: str | None = None
    #: a snapshot too large for one message comes in ``parts`` messages numbered from 1; merge by id
    part: int = 1
    parts: int = 1


class SnapshotRequest(Request, tag="snapshot.get", kw_only=True):
    """Ask for a fresh `Snapshot` (sent as a notification after the `Ok`)."""


# ----- registration and presence --------------------------------------------------------------


class PresenceUpdate(Notification, tag="presence", kw_only=True):
    """A terminal registered, deregistered, became busy, unreachable, disabled, ..."""

    terminal: TerminalInfo


class StatusSet(Request, tag="status.set", kw_only=True):
    """A terminal sets its own status code (MCData pre-defined status)."""

    status: int


# ----- affiliation ----------------------------------------------------------------------------


class AffiliationSet(Request, tag="affiliation.set", kw_only=True):
    """Replace the sender's affiliations with ``groups`` (a desired set; applying it twice is harmless).

    ``selected`` names the group a console talks in; it must be one of ``groups``.
    Result: ``{"groups": [...], "late_entry": [call ids]}``.
    """

    groups: list[str]
    selected: str | None = None


class AffiliationUpdate(Notification, tag="affiliation", kw_only=True):
    """A terminal's affiliations changed (sent to consoles)."""

    terminal: str
    groups: list[str]


# ----- calls ----------------------------------------------------------------------------------


class GroupCallSetup(Request, tag="call.group.setup", kw_only=True):
    """Start a group call (result ``{"call": id}``). An emergency or imminent-peril call pre-empts."""

    group: str
    priority: PriorityClass = "normal"


class PrivateCallSetup(Request, tag="call.private.setup", kw_only=True):
    """Call one terminal or console (result ``{"call": id}``); the callee gets `PrivateCallIncoming`."""

    callee: str
    duplex: Duplex = "half"
    #: automatic commencement: the callee's terminal answers without user action
    automatic: bool = False


class PrivateCallIncoming(Notification, tag="call.private.incoming", kw_only=True):
    call: str
    caller: str
    duplex: Duplex = "half"


class PrivateCallAnswer(Request, tag="call.private.answer", kw_only=True):
    call: str
    accept: bool


class BroadcastSetup(Request, tag="call.broadcast.setup", kw_only=True):
    """One-way call from a dispatcher to all trains, all stations, a subsystem or a group."""

    target: BroadcastTarget
    subsystem: Subsystem | None = None
    group: str | None = None


class CallRelease(Request, tag="call.release", kw_only=True):
    """End a call the sender takes part in."""

    call: str


class CallForceRelease(Request, tag="call.force_release", kw_only=True):
    """A dispatcher ends any call."""

    call: str
    reason: str = ""


class CallStarted(Notification, tag="call.started", kw_only=True):
    """A call began (or, with ``late``, is already running when the receiver joined: late entry)."""

    call: CallInfo
    late: bool = False


class CallEnded(Notification, tag="call.ended", kw_only=True):
    call: str
    reason: Literal["released", "force_released", "hang_timeout", "rejected", "no_answer", "pre_empted",
                    "party_lost", "cancelled"] = "released"
    by: str | None = None


# ----- floor control (3GPP TS 24.380) ---------------------------------------------------------


class FloorRequest(Request, tag="floor.request", kw_only=True):
    """Ask to talk. Names a ``call``, or a ``group`` (starting a group call if none runs).

    Result ``{"call": id, "outcome": "granted"|"queued", "position": n, "limit_ms": n|null}``;
    a refusal is an `Error` with code CONFLICT and reason ``floor_denied: ...``.
    ``override`` (dispatchers with the ``override`` permission) revokes whoever holds the floor.
    """

    call: str | None = None
    group: str | None = None
    priority: PriorityClass = "normal"
    override: bool = False


class FloorRelease(Request, tag="floor.release", kw_only=True):
    """Stop talking, or leave the floor queue."""

    call: str


class FloorQueuePositionRequest(Request, tag="floor.queue_position", kw_only=True):
    """Ask for one's queue position (result ``{"position": n}``, 0 when not queued)."""

    call: str


class FloorGranted(Notification, tag="floor.granted", kw_only=True):
    """To the grantee: it may talk. It acknowledges with `FloorAck` (T20/C20)."""

    call: str
    holder: str
    priority: PriorityClass
    #: talk-time limit in milliseconds, or None for none
    limit_ms: int | None = None
    #: the grant came from the queue
    from_queue: bool = False


class FloorDeny(Notification, tag="floor.deny", kw_only=True):
    """To a queued requester whose request is dropped (queue cleared, call ended)."""

    call: str
    reason: str


class FloorTaken(Notification, tag="floor.taken", kw_only=True):
    """To every participant but the holder: someone talks."""

    call: str
    holder: str
    priority: PriorityClass


class FloorIdle(Notification, tag="floor.idle", kw_only=True):
    """To every participant: nobody talks."""

    call: str


class FloorRevoke(Notification, tag="floor.revoke", kw_only=True):
    """To the holder: stop talking now (pre-empted, talk-time limit, dispatcher override)."""

    call: str
    reason: Literal["pre_empted", "talk_time_limit", "override", "call_ended", "disabled"]


class FloorQueueInfo(Notification, tag="floor.queue", kw_only=True):
    """The queue of a call (to consoles) or one requester's position (to that requester)."""

    call: str
    queue: list[QueueEntry] = []
    position: int | None = None


class FloorAck(Notification, tag="floor.ack", kw_only=True):
    """The grantee's acknowledgement of `FloorGranted` or `FloorRevoke`."""

    call: str
    of: Literal["granted", "revoke"] = "granted"


class MediaActivity(Notification, tag="media.activity", kw_only=True):
    """The holder's media plane reports it is sending (arms T1) or stopped."""

    call: str
    sending: bool = True


# ----- emergency -------------------------------------------------------------------------------


class EmergencyAlert(Request, tag="emergency.alert", kw_only=True):
    """Raise an emergency (or imminent-peril) alert; result ``{"alert": id}``."""

    alert_kind: Literal["emergency", "imminent_peril"] = "emergency"
    group: str | None = None
    location: Location | None = None
    #: also start an emergency group call in ``group``
    call: bool = True


class EmergencyAlerted(Notification, tag="emergency.alerted", kw_only=True):
    """To consoles and group members: an alert is raised (``late``: it was raised before you joined)."""

    alert: AlertInfo
    late: bool = False


class EmergencyAck(Request, tag="emergency.ack", kw_only=True):
    alert: str


class EmergencyCancel(Request, tag="emergency.cancel", kw_only=True):
    alert: str
    reason: str = ""


class EmergencyState(Notification, tag="emergency.state", kw_only=True):
    """An alert was acknowledged or cancelled."""

    alert: AlertInfo


# ----- dynamic regrouping and patches ----------------------------------------------------------


class RegroupCreate(Request, tag="regroup.create", kw_only=True):
    """Gather ``terminals`` into a new temporary group (mode regroup) or join ``groups`` (mode patch).
    Result ``{"group": id}``."""

    mode: Literal["regroup", "patch"]
    name: str
    name_zh: str = ""
    terminals: list[str] = []
    groups: list[str] = []


class RegroupDissolve(Request, tag="regroup.dissolve", kw_only=True):
    group: str


class GroupUpdate(Notification, tag="group.update", kw_only=True):
    """A group was created, changed or (``removed``) dissolved."""

    group: GroupInfo
    removed: bool = False


# ----- short data ------------------------------------------------------------------------------


class TextSend(Request, tag="text.send", kw_only=True):
    """Short text to a terminal (``to``) or a group (``group``); result ``{"message": id}``."""

    text: str
    to: str | None = None
    group: str | None = None


class TextMessage(Notification, tag="text", kw_only=True):
    message: str
    sender: str
    text: str
    to: str | None = None
    group: str | None = None
    sent_ms: int = 0


class StatusSend(Request, tag="status.send", kw_only=True):
    """A pre-defined status message (code) to a terminal or a group."""

    status: int
    to: str | None = None
    group: str | None = None


class StatusMessage(Notification, tag="status", kw_only=True):
    sender: str
    status: int
    to: str | None = None
    group: str | None = None
    sent_ms: int = 0


# ----- location -------------------------------------------------------------------------------


class LocationReport(Notification, tag="location.report", kw_only=True):
    """A terminal reports where it is (trains about once a second)."""

    location: Location
    #: the terminal's own time of the fix, unix milliseconds
    fix_ms: int = 0


class LocationUpdate(Notification, tag="location", kw_only=True):
    """To consoles: a terminal's location."""

    terminal: str
    location: Location
    fix_ms: int = 0


# ----- terminal control ------------------------------------------------------------------------


class TerminalControl(Request, tag="terminal.control", kw_only=True):
    """A dispatcher disables or enables a terminal remotely, or starts or stops ambient listening."""

    terminal: str
    action: Literal["disable", "enable", "ambient_start", "ambient_stop"]


class ControlOrder(Notification, tag="control", kw_only=True):
    """To the terminal: carry out a control action."""

    action: Literal["disable", "enable", "ambient_start", "ambient_stop"]
    by: str


# ----- alarms ----------------------------------------------------------------------------------


class AlarmRaise(Request, tag="alarm.raise", kw_only=True):
    """Raise an alarm (from a terminal, or a gateway for equipment and analytics).

    Result ``{"alarm": id}``."""

    source: AlarmSource
    severity: Severity = "major"
    code: str = ""
    text: str = ""
    location: Location | None = None
    #: the equipment or camera that raised it, when not the sender itself
    origin: str | None = None


class AlarmAck(Request, tag="alarm.ack", kw_only=True):
    alarm: str


class AlarmClear(Request, tag="alarm.clear", kw_only=True):
    alarm: str


class AlarmUpdate(Notification, tag="alarm", kw_only=True):
    """To consoles: an alarm was raised, acknowledged or cleared."""

    alarm: AlarmInfo


# ----- passenger information -------------------------------------------------------------------


class PisPush(Request, tag="pis.push", kw_only=True):
    """Show text on trains' passenger screens; ``trains`` empty means every train."""

    text: str
    text_en: str = ""
    trains: list[str] = []
    duration_s: int = 60
    urgent: bool = False


class PisMessage(Notification, tag="pis.message", kw_only=True):
    """To a train radio: show this on the passenger screens."""

    message: str
    text: str
    text_en: str = ""
    duration_s: int = 60
    urgent: bool = False


# ----- video and media signalling --------------------------------------------------------------


class VideoPull(Request, tag="video.pull", kw_only=True):
    """Ask a terminal for its video; result ``{"session": id}``. The media plane then exchanges SDP."""

    source: str
    camera: str | None = None
    quality: VideoQuality = "thumb"
    #: "audio": a voice link (a talk burst's audio through the direct media plane), not a video feed
    media: Literal["video", "audio"] = "video"


class VideoPush(Request, tag="video.push", kw_only=True):
    """Send the feed of media session ``session`` (or terminal ``source``) to terminals or a group."""

    session: str | None = None
    source: str | None = None
    to: list[str] = []
    group: str | None = None


class VideoStop(Request, tag="video.stop", kw_only=True):
    session: str


class VideoQualitySet(Request, tag="video.quality", kw_only=True):
    """Switch a session between thumbnail and HD."""

    session: str
    quality: VideoQuality


class VideoPause(Request, tag="video.pause", kw_only=True):
    """Pause (or resume) relaying a session of the SFU media plane to its sink: a hidden tile (SPEC §5.14.9)."""

    session: str
    paused: bool = True


class VideoSession(Notification, tag="video.session", kw_only=True):
    """A media session changed state (to both ends)."""

    session: str
    source: str
    sink: str
    quality: VideoQuality = "thumb"
    state: Literal["requested", "negotiating", "live", "stopped", "failed"] = "requested"
    #: "audio" for voice links (echoes `VideoPull.media`)
    media: Literal["video", "audio"] = "video"
    reason: str = ""
    #: "sfu": media flows through the platform's SFU, which offers to sinks and answers sources (SPEC §5.14.9)
    plane: MediaPlane = "direct"
    #: the SFU relays nothing to the sink for now (`video.pause`)
    paused: bool = False


class MediaOffer(Notification, tag="media.offer", kw_only=True):
    """SDP offer for a media session, relayed by the platform from one end to the other."""

    session: str
    sdp: str
    sender: str = ""


class MediaAnswer(Notification, tag="media.answer", kw_only=True):
    session: str
    sdp: str
    sender: str = ""


# ---------------------------------------------------------------------------------------------

AnyMessage = (
    Hello | Welcome | Ok | Error | Ping | Pong | Bye | PlatformRole | Snapshot | SnapshotRequest
    | PresenceUpdate | StatusSet | AffiliationSet | AffiliationUpdate
    | GroupCallSetup | PrivateCallSetup | PrivateCallIncoming | PrivateCallAnswer | BroadcastSetup
    | CallRelease | CallForceRelease | CallStarted | CallEnded
    | FloorRequest | FloorRelease | FloorQueuePositionRequest | FloorGranted | FloorDeny | FloorTaken
    | FloorIdle | FloorRevoke | FloorQueueInfo | FloorAck | MediaActivity
    | EmergencyAlert | EmergencyAlerted | EmergencyAck | EmergencyCancel | EmergencyState
    | RegroupCreate | RegroupDissolve | GroupUpdate
    | TextSend | TextMessage | StatusSend | StatusMessage
    | LocationReport | LocationUpdate
    | TerminalControl | ControlOrder
    | AlarmRaise | AlarmAck | AlarmClear | AlarmUpdate
    | PisPush | PisMessage
    | VideoPull | VideoPush | VideoStop | VideoQualitySet | VideoPause | VideoSession | MediaOffer | MediaAnswer
)

#: Every concrete message class, by its ``t`` tag.
MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__struct_config__.tag: cls
    for cls in AnyMessage.__args__
}


def tag_of(cls_or_msg: type[Message] | Message) -> str:
    """The ``t`` tag of a message class or instance."""
    cls = cls_or_msg if isinstance(cls_or_msg, type) else type(cls_or_msg)
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def _masked_repr(message: msgspec.Struct, secret_fields: tuple[str, ...]) -> str:
    """``Type(field=value, ...)`` like msgspec's repr, with the values of ``secret_fields`` shown as ``'***'``."""
    parts = []
    for name in message.__struct_fields__:
        value = getattr(message, name)
        shown = "'***'" if name in secret_fields and value is not None else repr(value)
        parts.append(f"{name}={shown}")
    return f"{type(message).__name__}({', '.join(parts)})"
