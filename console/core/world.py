"""The desk's model of the platform's world, fed by TDP/1 notifications (SPEC.md §5).

`World.apply` takes one notification (or `apply_many` a batch), updates terminals, groups, calls and their
floors, alerts, alarms, messages, video sessions and platform links, and tells its observers what changed
(`console.core.changes`). Every update is O(1) in the number of terminals (a location update is one dict
lookup and one assignment), so a line of thousands of terminals reporting hundreds of times a second costs
little; the derived queries the panes need (`stations`, `trains`, `staff`, `monitored_groups`) walk small
indexes on demand. The records are the protocol's own structs: observers read them, never change them.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from console.core.changes import (
    AffiliationChanged,
    AlarmChanged,
    AlertChanged,
    CallChanged,
    CallEnded,
    Change,
    FloorChanged,
    GroupsChanged,
    IncomingCall,
    LinkChanged,
    MessageReceived,
    PisSent,
    ProtocolProblem,
    SessionChanged,
    SnapshotApplied,
    TerminalChanged,
    VideoChanged,
)
from console.core.layout import LineLayout, Place
from console.core.views import (
    GroupActivity,
    InstanceLink,
    PisRecord,
    StationView,
    TrainView,
    group_activity,
    train_view,
)
from protocols import messages as wire

logger = logging.getLogger(__name__)

Observer = Callable[[list[Change]], None]
_STAFF_KINDS = ("handset", "recorder")
_SNAPSHOT_CATEGORIES = ("terminals", "groups", "calls", "alerts", "alarms")
#: changes that are events rather than states: each occurrence counts
_EVENTS = (ProtocolProblem, MessageReceived, PisSent)


@dataclass
class _SnapshotInProgress:
    """Ids listed so far by the parts of one snapshot, per category."""

    parts: int
    received: set[int]
    seen: dict[str, set[str]]


class World:
    """Terminals, groups, calls, alerts, alarms, messages, video and links as this desk knows them."""

    def __init__(self, layout: LineLayout | None = None, *, keep_messages: int = 500,
                 clock: Callable[[], float] = time.time,
                 schedule: Callable[[Callable[[], None]], None] | None = None) -> None:
        """``schedule``, when given, defers telling the observers (e.g. ``loop.call_soon``): everything
        applied before the scheduled call runs reaches them as one coalesced batch."""
        self.layout = layout or LineLayout()
        self.clock = clock
        self._schedule = schedule
        self._undelivered: list[Change] = []
        self._delivery_pending = False
        self.terminals: dict[str, wire.TerminalInfo] = {}
        self.groups: dict[str, wire.GroupInfo] = {}
        self.calls: dict[str, wire.CallInfo] = {}
        #: unix time (seconds) at which the floor holder's talk time runs out, when known (our own grants)
        self.talk_deadlines: dict[str, float] = {}
        self.alerts: dict[str, wire.AlertInfo] = {}
        self.alarms: dict[str, wire.AlarmInfo] = {}
        #: private calls ringing at this desk, by call id
        self.incoming: dict[str, wire.PrivateCallIncoming] = {}
        self.texts: collections.deque[wire.TextMessage] = collections.deque(maxlen=keep_messages)
        self.statuses: collections.deque[wire.StatusMessage] = collections.deque(maxlen=keep_messages)
        self.pis_sent: collections.deque[PisRecord] = collections.deque(maxlen=keep_messages)
        self.video: dict[str, wire.VideoSession] = {}
        #: voice links: media sessions of media "audio" (talk bursts over the direct plane)
        self.voice_links: dict[str, wire.VideoSession] = {}
        self.links: dict[str, InstanceLink] = {}
        #: ids of the alarms this desk raised itself (quality warnings): kept across snapshots
        self._local_alarms: set[str] = set()
        #: who we are and what we may do (from the welcome)
        self.me = ""
        self.dispatcher_role: str | None = None
        self.allowed_groups: tuple[str, ...] = ()
        self.permissions: frozenset[str] = frozenset()
        #: the desk's own affiliations (monitored groups) and the group PTT talks in
        self.affiliations: tuple[str, ...] = ()
        self.selected: str | None = None

        self._observers: list[Observer] = []
        self._out: list[Change] = []
        self._by_kind: dict[str, set[str]] = collections.defaultdict(set)
        self._by_home: dict[str, set[str]] = collections.defaultdict(set)
        self._by_group: dict[str, set[str]] = collections.defaultdict(set)
        self._call_of_group: dict[str, str] = {}
        self._snapshot: _SnapshotInProgress | None = None
        self._handlers: dict[type[wire.Message], Callable[[Any], None]] = {
            wire.Snapshot: self._on_snapshot,
            wire.PresenceUpdate: self._on_presence,
            wire.AffiliationUpdate: self._on_affiliation,
            wire.LocationUpdate: self._on_location,
            wire.CallStarted: self._on_call_started,
            wire.CallEnded: self._on_call_ended,
            wire.PrivateCallIncoming: self._on_incoming,
            wire.FloorGranted: self._on_floor_granted,
            wire.FloorTaken: self._on_floor_taken,
            wire.FloorIdle: self._on_floor_idle,
            wire.FloorQueueInfo: self._on_floor_queue,
            wire.EmergencyAlerted: self._on_alert,
            wire.EmergencyState: self._on_alert,
            wire.AlarmUpdate: self._on_alarm,
            wire.GroupUpdate: self._on_group_update,
            wire.TextMessage: self._on_text,
            wire.StatusMessage: self._on_status,
            wire.VideoSession: self._on_video,
            wire.PlatformRole: self._on_platform_role,
        }

    # ----- observers --------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with the changes of every batch applied from now on; returns the unsubscriber."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    def _emit(self) -> list[Change]:
        raw, self._out = self._out, []
        changes = _coalesce(raw)
        if not changes:
            return changes
        if self._schedule is None:
            self._tell(changes)
        else:
            self._undelivered += raw
            if not self._delivery_pending:
                self._delivery_pending = True
                self._schedule(self._deliver)
        return changes

    def _deliver(self) -> None:
        """The scheduled delivery: every change since the last one, coalesced."""
        raw, self._undelivered = self._undelivered, []
        self._delivery_pending = False
        self._tell(_coalesce(raw))

    def _tell(self, changes: list[Change]) -> None:
        for observer in list(self._observers):
            try:
                observer(changes)
            except Exception:
                logger.exception("world observer %r failed", observer)

    # ----- inputs -----------------------------------------------------------------------------

    def apply(self, message: wire.Message) -> list[Change]:
        """Apply one notification from the platform; the changes it made (also sent to the observers)."""
        self._apply_one(message)
        return self._emit()

    def apply_many(self, messages: Iterable[wire.Message]) -> list[Change]:
        """Apply a batch; observers hear once, with terminal changes merged into one `TerminalChanged`."""
        for message in messages:
            self._apply_one(message)
        return self._emit()

    def _apply_one(self, message: wire.Message) -> None:
        handler = self._handlers.get(type(message))
        if handler is None:
            return  # not about the world (heartbeats, media SDP, floor acks, ...)
        try:
            handler(message)
        except Exception as exc:  # a message that decodes yet makes no sense must not stop the desk
            logger.exception("could not apply %s", wire.tag_of(message))
            self.problem(f"could not apply {wire.tag_of(message)}: {exc!r}")

    def problem(self, text: str) -> None:
        """Report something wrong the platform sent (the desk logs it as a protocol_error)."""
        self._out.append(ProtocolProblem(text))

    def flush(self) -> list[Change]:
        """Hand the changes made by the desk's own updates (`set_session`, `update_link`, ...) to observers."""
        return self._emit()

    # ----- updates made by the desk itself ------------------------------------------------------

    def set_session(self, welcome: wire.Welcome, me: str) -> list[Change]:
        """We (re)attached: remember who we are, our role's groups and permissions."""
        self.me = me
        self.dispatcher_role = welcome.dispatcher_role
        self.allowed_groups = tuple(welcome.groups)
        self.permissions = frozenset(welcome.permissions)
        self._out.append(SessionChanged())
        return self._emit()

    def set_affiliations(self, groups: Sequence[str], selected: str | None) -> list[Change]:
        """The platform confirmed our affiliations (monitored groups) and selected group."""
        self.affiliations = tuple(sorted(groups))
        self.selected = selected
        self._out.append(AffiliationChanged())
        return self._emit()

    def update_link(self, instance: str, **fields: Any) -> list[Change]:
        """Update what the link layer knows of one platform instance (state, heartbeat age, rtt, url...)."""
        link = self.links.get(instance) or InstanceLink(instance)
        for name, value in fields.items():
            if not hasattr(link, name):
                raise AttributeError(f"InstanceLink has no field {name!r}")
            setattr(link, name, value)
        self.links[instance] = link
        self._out.append(LinkChanged(instance))
        return self._emit()

    def forget_link(self, name: str) -> list[Change]:
        """Drop a link entry (one named by URL until the instance told its name)."""
        if self.links.pop(name, None) is not None:
            self._out.append(LinkChanged(name))
        return self._emit()

    def set_local_alarm(self, alarm: wire.AlarmInfo) -> list[Change]:
        """Raise, update or (state ``cleared``) drop an alarm the desk raised itself (`console.core.quality`)."""
        if alarm.state == "cleared":
            self._local_alarms.discard(alarm.id)
            self.alarms.pop(alarm.id, None)
        else:
            self._local_alarms.add(alarm.id)
            self.alarms[alarm.id] = alarm
        self._out.append(AlarmChanged(alarm.id))
        return self._emit()

    def is_local_alarm(self, alarm_id: str) -> bool:
        return alarm_id in self._local_alarms

    def record_pis(self, record: PisRecord) -> list[Change]:
        """We pushed a PIS message (consoles get no copy of `pis.message`: the desk records its own)."""
        self.pis_sent.append(record)
        self._out.append(PisSent(record.message_id))
        return self._emit()

    # ----- snapshot -----------------------------------------------------------------------------

    def _on_snapshot(self, snap: wire.Snapshot) -> None:
        if not 1 <= snap.part <= snap.parts:
            self.problem(f"snapshot part {snap.part} of {snap.parts}")
            return
        pending = self._snapshot
        if snap.part == 1 or pending is None or pending.parts != snap.parts or snap.part in pending.received:
            if pending is not None and pending.received != set(range(1, pending.parts + 1)):
                self.problem(f"snapshot of {pending.parts} parts abandoned after parts {sorted(pending.received)}")
            pending = _SnapshotInProgress(snap.parts, set(), {c: set() for c in _SNAPSHOT_CATEGORIES})
            self._snapshot = pending
        pending.received.add(snap.part)
        seen = pending.seen
        for info in snap.terminals:
            self._put_terminal(info)
            seen["terminals"].add(info.id)
        if snap.terminals:
            self._out.append(TerminalChanged(frozenset(t.id for t in snap.terminals)))
        for group in snap.groups:
            self.groups[group.id] = group
            seen["groups"].add(group.id)
        if snap.groups:
            self._out.append(GroupsChanged(frozenset(g.id for g in snap.groups)))
        for call in snap.calls:
            self._put_call(call)
            seen["calls"].add(call.id)
        for alert in snap.alerts:
            self.alerts[alert.id] = alert
            self._out.append(AlertChanged(alert.id))
            seen["alerts"].add(alert.id)
        for alarm in snap.alarms:
            self.alarms[alarm.id] = alarm
            self._out.append(AlarmChanged(alarm.id))
            seen["alarms"].add(alarm.id)
        if snap.part != snap.parts:
            return
        self._snapshot = None
        complete = pending.received == set(range(1, snap.parts + 1))
        if complete:
            self._drop_unlisted(seen)
        else:
            self.problem(f"snapshot of {snap.parts} parts ended without parts "
                         f"{sorted(set(range(1, snap.parts + 1)) - pending.received)}: nothing dropped")
        self._out.append(SnapshotApplied(complete))

    def _drop_unlisted(self, seen: dict[str, set[str]]) -> None:
        """The snapshot replaces our view: what none of its parts listed is gone."""
        gone = [t for t in self.terminals if t not in seen["terminals"]]
        for terminal_id in gone:
            self._unindex(self.terminals.pop(terminal_id))
        if gone:
            self._out.append(TerminalChanged(frozenset(gone)))
        gone_groups = [g for g in self.groups if g not in seen["groups"]]
        for group_id in gone_groups:
            del self.groups[group_id]
        if gone_groups:
            self._out.append(GroupsChanged(frozenset(gone_groups)))
        for call_id in [c for c in self.calls if c not in seen["calls"]]:
            self._end_call(call_id, "snapshot")
        for alert_id in [a for a in self.alerts if a not in seen["alerts"]]:
            del self.alerts[alert_id]
            self._out.append(AlertChanged(alert_id))
        for alarm_id in [a for a in self.alarms if a not in seen["alarms"] and a not in self._local_alarms]:
            del self.alarms[alarm_id]
            self._out.append(AlarmChanged(alarm_id))

    # ----- terminals ----------------------------------------------------------------------------

    def _put_terminal(self, info: wire.TerminalInfo) -> None:
        old = self.terminals.get(info.id)
        if old is not None:
            self._unindex(old)
        self.terminals[info.id] = info
        self._by_kind[info.kind].add(info.id)
        if info.station is not None:
            self._by_home[info.station].add(info.id)
        for group in info.groups:
            self._by_group[group].add(info.id)

    def _unindex(self, info: wire.TerminalInfo) -> None:
        self._by_kind[info.kind].discard(info.id)
        if info.station is not None:
            self._by_home[info.station].discard(info.id)
        for group in info.groups:
            self._by_group[group].discard(info.id)

    def _on_presence(self, message: wire.PresenceUpdate) -> None:
        info = message.terminal
        old = self.terminals.get(info.id)
        if old is not None and info.location is None:
            info.location = old.location  # a presence update without a fix keeps the last one
        self._put_terminal(info)
        self._out.append(TerminalChanged(frozenset((info.id,))))

    def _on_affiliation(self, message: wire.AffiliationUpdate) -> None:
        info = self.terminals.get(message.terminal)
        if info is None:
            logger.debug("affiliation of unknown terminal %s", message.terminal)
            return
        for group in info.groups:
            self._by_group[group].discard(info.id)
        info.groups = list(message.groups)
        for group in info.groups:
            self._by_group[group].add(info.id)
        self._out.append(TerminalChanged(frozenset((info.id,))))

    def _on_location(self, message: wire.LocationUpdate) -> None:
        info = self.terminals.get(message.terminal)
        if info is None:
            logger.debug("location of unknown terminal %s", message.terminal)
            return
        info.location = message.location
        self._out.append(TerminalChanged(frozenset((info.id,))))

    # ----- calls and floors ---------------------------------------------------------------------

    def _put_call(self, call: wire.CallInfo) -> None:
        old = self.calls.get(call.id)
        if old is not None and old.group is not None and self._call_of_group.get(old.group) == call.id:
            del self._call_of_group[old.group]
        self.calls[call.id] = call
        if call.group is not None and call.kind != "broadcast":
            self._call_of_group[call.group] = call.id
        self.incoming.pop(call.id, None)
        self._out.append(CallChanged(call.id))

    def _end_call(self, call_id: str, reason: str) -> None:
        call = self.calls.pop(call_id, None)
        self.talk_deadlines.pop(call_id, None)
        if self.incoming.pop(call_id, None) is not None:
            self._out.append(IncomingCall(call_id))
        if call is None:
            return
        if call.group is not None and self._call_of_group.get(call.group) == call_id:
            del self._call_of_group[call.group]
        self._out.append(CallEnded(call_id, reason))

    def _on_call_started(self, message: wire.CallStarted) -> None:
        old = self.calls.get(message.call.id)
        if old is not None and message.call.holder is None and old.holder is not None and message.late:
            message.call.holder, message.call.holder_priority = old.holder, old.holder_priority
        self._put_call(message.call)

    def _on_call_ended(self, message: wire.CallEnded) -> None:
        self._end_call(message.call, message.reason)

    def _on_incoming(self, message: wire.PrivateCallIncoming) -> None:
        self.incoming[message.call] = message
        self._out.append(IncomingCall(message.call))

    def _floor_of(self, call_id: str) -> wire.CallInfo | None:
        call = self.calls.get(call_id)
        if call is None:
            logger.debug("floor news of unknown call %s", call_id)
        return call

    def _on_floor_granted(self, message: wire.FloorGranted) -> None:
        call = self._floor_of(message.call)
        if call is None:
            return
        call.holder, call.holder_priority = message.holder, message.priority
        call.queue = [q for q in call.queue if q.party != message.holder]
        if message.limit_ms is None:
            self.talk_deadlines.pop(call.id, None)
        else:
            self.talk_deadlines[call.id] = self.clock() + message.limit_ms / 1000
        self._out.append(FloorChanged(call.id))

    def _on_floor_taken(self, message: wire.FloorTaken) -> None:
        call = self._floor_of(message.call)
        if call is None:
            return
        call.holder, call.holder_priority = message.holder, message.priority
        self.talk_deadlines.pop(call.id, None)
        self._out.append(FloorChanged(call.id))

    def _on_floor_idle(self, message: wire.FloorIdle) -> None:
        call = self._floor_of(message.call)
        if call is None:
            return
        call.holder = call.holder_priority = None
        self.talk_deadlines.pop(call.id, None)
        self._out.append(FloorChanged(call.id))

    def _on_floor_queue(self, message: wire.FloorQueueInfo) -> None:
        if message.position is not None:
            return  # our own position: the desk's floor participant follows it
        call = self._floor_of(message.call)
        if call is None:
            return
        call.queue = list(message.queue)
        self._out.append(FloorChanged(call.id))

    # ----- alerts, alarms, groups, messages, video, links ----------------------------------------

    def _on_alert(self, message: wire.EmergencyAlerted | wire.EmergencyState) -> None:
        alert = message.alert
        if alert.state == "cancelled":
            self.alerts.pop(alert.id, None)
        else:
            self.alerts[alert.id] = alert
        self._out.append(AlertChanged(alert.id))

    def _on_alarm(self, message: wire.AlarmUpdate) -> None:
        alarm = message.alarm
        if alarm.state == "cleared":
            self.alarms.pop(alarm.id, None)
        else:
            self.alarms[alarm.id] = alarm
        self._out.append(AlarmChanged(alarm.id))

    def _on_group_update(self, message: wire.GroupUpdate) -> None:
        group = message.group
        if message.removed:
            self.groups.pop(group.id, None)
            if group.id in self.affiliations:  # the platform ended our affiliation with it
                self.affiliations = tuple(g for g in self.affiliations if g != group.id)
                if self.selected == group.id:
                    self.selected = None
                self._out.append(AffiliationChanged())
        else:
            self.groups[group.id] = group
        self._out.append(GroupsChanged(frozenset((group.id,))))

    def _on_text(self, message: wire.TextMessage) -> None:
        self.texts.append(message)
        self._out.append(MessageReceived("text", message.sender, message.message))

    def _on_status(self, message: wire.StatusMessage) -> None:
        self.statuses.append(message)
        self._out.append(MessageReceived("status", message.sender))

    def _on_video(self, message: wire.VideoSession) -> None:
        # voice links (media "audio") are media sessions too, but not video feeds: kept apart
        sessions = self.voice_links if message.media == "audio" else self.video
        if message.state in ("stopped", "failed"):
            sessions.pop(message.session, None)
        else:
            sessions[message.session] = message
        self._out.append(VideoChanged(message.session))

    def _on_platform_role(self, message: wire.PlatformRole) -> None:
        link = self.links.get(message.instance) or InstanceLink(message.instance)
        link.role, link.epoch, link.peer_up = message.role, message.epoch, message.peer_up
        link.peer_url = message.peer
        self.links[message.instance] = link
        self._out.append(LinkChanged(message.instance))

    # ----- derived queries for the panes --------------------------------------------------------

    def of_kind(self, kind: str) -> list[wire.TerminalInfo]:
        """Terminals of one kind, by id."""
        return [self.terminals[t] for t in sorted(self._by_kind.get(kind, ()))]

    def call_of_group(self, group: str) -> wire.CallInfo | None:
        """The group call running in ``group`` (broadcasts aside), if any."""
        call_id = self._call_of_group.get(group)
        return self.calls.get(call_id) if call_id is not None else None

    def stations(self) -> list[StationView]:
        """Stations in line order with their fixed radios, cameras and the staff there now."""
        places = list(self.layout.stations)
        if not places:  # no line data: the stations the fixed radios name
            codes = sorted({t.station for t in self.of_kind("station") if t.station is not None})
            places = [Place(code, "station") for code in codes]
        staff_at: dict[str, list[wire.TerminalInfo]] = collections.defaultdict(list)
        for info in self.staff():
            where = info.location.station if info.location is not None else None
            if where is None and (info.location is None or info.location.area is None):
                where = info.station
            if where is not None:
                staff_at[where].append(info)
        views = []
        for place in places:
            home = [self.terminals[t] for t in sorted(self._by_home.get(place.code, ()))]
            radios = tuple(t for t in home if t.kind == "station")
            cameras = tuple(t for t in home if t.kind == "camera")
            views.append(StationView(place, radios, cameras, tuple(staff_at.get(place.code, ()))))
        return views

    def trains(self) -> list[TrainView]:
        """Train radios with their position on the line, in chainage order (unplaced ones last)."""
        views = []
        for info in self.of_kind("train"):
            plan = self.layout.train_of_radio(info.id)
            cameras = tuple(self.terminals[c] for c in (plan.cameras if plan else ()) if c in self.terminals)
            views.append(train_view(info, plan, cameras))
        return sorted(views, key=lambda v: (v.chainage_m is None, v.chainage_m or 0.0, v.radio.id))

    def staff(self, *, group: str | None = None, station: str | None = None,
              presence: str | Iterable[str] | None = None,
              kinds: Sequence[str] = _STAFF_KINDS) -> list[wire.TerminalInfo]:
        """Handsets and recorders (or ``kinds``), optionally affiliated to ``group``, at or homed at
        ``station``, in ``presence``."""
        ids: set[str] = set()
        for kind in kinds:
            ids |= self._by_kind.get(kind, set())
        if group is not None:
            ids &= self._by_group.get(group, set())
        wanted = {presence} if isinstance(presence, str) else set(presence) if presence is not None else None
        found = []
        for terminal_id in sorted(ids):
            info = self.terminals[terminal_id]
            if wanted is not None and info.presence not in wanted:
                continue
            if station is not None and station != info.station and (
                    info.location is None or info.location.station != station):
                continue
            found.append(info)
        return found

    def monitored_groups(self) -> list[GroupActivity]:
        """The groups this desk monitors with what is going on in them (call, floor, queue, emergency)."""
        emergencies = {a.group for a in self.alerts.values() if a.group is not None}
        views = []
        for group_id in self.affiliations:
            group = self.groups.get(group_id) or wire.GroupInfo(id=group_id)
            views.append(group_activity(group, self.call_of_group(group_id), selected=group_id == self.selected,
                                        alerted=group_id in emergencies,
                                        talk_deadline=self._deadline_of(group_id)))
        return views

    def _deadline_of(self, group_id: str) -> float | None:
        call_id = self._call_of_group.get(group_id)
        return self.talk_deadlines.get(call_id) if call_id is not None else None


def _coalesce(changes: list[Change]) -> list[Change]:
    """Merge every `TerminalChanged` of a batch into one (placed first); keep the last of repeated state
    changes (a call changed twice is one `CallChanged`) and every event (messages, problems)."""
    if len(changes) <= 1:
        return changes
    last = {c: i for i, c in enumerate(changes) if not isinstance(c, (TerminalChanged, *_EVENTS))}
    terminal_ids: set[str] = set()
    merged: list[Change] = []
    for i, change in enumerate(changes):
        if isinstance(change, TerminalChanged):
            terminal_ids |= change.ids
        elif isinstance(change, _EVENTS) or last[change] == i:
            merged.append(change)
    return [TerminalChanged(frozenset(terminal_ids)), *merged] if terminal_ids else merged


#: the code of the alarm the platform raises while its SFU (Janus) is unreachable (SPEC §5.14.9)
MEDIA_PLANE_DOWN = "media_plane_down"


def media_plane_down(world: World) -> wire.AlarmInfo | None:
    """The platform's "media plane down" alarm while it is raised (not cleared): the SFU's media has stopped and
    the platform is reconnecting; the desk says so in the status bar and keeps its SFU sessions for the return."""
    return next((a for a in world.alarms.values() if a.code == MEDIA_PLANE_DOWN and a.state != "cleared"), None)


__all__ = ["MEDIA_PLANE_DOWN", "Observer", "World", "media_plane_down"]
