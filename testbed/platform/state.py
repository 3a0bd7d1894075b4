"""The reference platform's whole state and the rules that change it: a state machine without I/O.

Inputs are sessions attaching and detaching, requests, notifications and timer expiries, each with the
time ``now`` (unix seconds) passed in; outputs are the answer and a list of `Outbound` notifications.
Given the same inputs in the same order, two instances reach the same state: this is what lets the active
instance replicate to the standby by shipping its inputs (docs/architecture.md, "The dual-live pair").
Ids are counters, never random, for the same reason.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from protocols.constants import MAX_LOCATION_REPORTS_PER_SECOND, ErrorCode
from protocols.machines.idempotency import IdempotencyCache
from protocols.messages import (
    AffiliationSet,
    AffiliationUpdate,
    AlarmAck,
    AlarmClear,
    AlarmInfo,
    AlarmRaise,
    AlarmUpdate,
    AlertInfo,
    ControlOrder,
    Error,
    GroupInfo,
    Hello,
    LocationReport,
    LocationUpdate,
    MediaPlane,
    Message,
    Notification,
    Ok,
    PisMessage,
    PisPush,
    PresenceUpdate,
    Request,
    Snapshot,
    SnapshotRequest,
    StatusMessage,
    StatusSend,
    StatusSet,
    TerminalControl,
    TerminalInfo,
    TextMessage,
    TextSend,
)
from testbed.line import Line, verify_password
from testbed.platform.calls import CallBook
from testbed.platform.model import SFU, Outbound, Principal, TerminalRecord
from testbed.platform.video import VideoDesk

log = logging.getLogger(__name__)

#: payload bytes per snapshot part, leaving room under the 64 KiB message limit
SNAPSHOT_PART_BYTES = 48 * 1024

_encoder = msgspec.json.Encoder()

Result = tuple[Ok | Error, list[Outbound]]


def error(request: Request, code: ErrorCode, reason: str) -> Ok | Error:
    """An error answer to ``request``."""
    return Error(re=request.id, code=int(code), reason=reason)


def ok(request: Request, **result: Any) -> Ok | Error:
    """A success answer to ``request`` with the given result fields."""
    return Ok(re=request.id, result=result)


class PlatformState:
    """Registry, presence, affiliations, calls, floor, emergencies, alarms, messages, video sessions."""

    def __init__(self, line: Line, *, media_plane: MediaPlane = "direct") -> None:
        self.line = line
        self.principals: dict[str, Principal] = {}
        self.terminals: dict[str, TerminalRecord] = {}
        self.groups: dict[str, GroupInfo] = {}
        self.alerts: dict[str, AlertInfo] = {}
        self.alarms: dict[str, AlarmInfo] = {}
        self.idempotency = IdempotencyCache()
        #: resumption tokens handed out in welcomes, replicated so that the other instance honours them
        self.resume_tokens: dict[str, str] = {}
        #: principals whose instance was lost, and when they count as gone if they have not come back
        self.pending_detach: dict[str, float] = {}
        self._console_ids: frozenset[str] | None = None
        self._counters: dict[str, int] = {}
        #: digests of (stored hash, secret) pairs already verified: one PBKDF2 run per distinct secret
        self._verified: set[str] = set()
        for terminal in line.terminals.values():
            self.terminals[terminal.id] = TerminalRecord(
                info=TerminalInfo(
                    id=terminal.id,
                    kind=terminal.kind,
                    name=terminal.name,
                    name_zh=terminal.name_zh,
                    presence="offline",
                    station=terminal.station,
                )
            )
        for group in line.groups.values():
            self.groups[group.id] = GroupInfo(
                id=group.id,
                name=group.name,
                name_zh=group.name_zh,
                subsystem=group.subsystem,
                kind=group.kind,
                members=list(group.members),
            )
        self.calls = CallBook(self)
        self.video = VideoDesk(self, media_plane)
        self._handlers: dict[type[Request], Callable[[Principal, Any, float], Result]] = {
            SnapshotRequest: self._snapshot_get,
            StatusSet: self._status_set,
            AffiliationSet: self._affiliation_set,
            TextSend: self._text_send,
            StatusSend: self._status_send,
            TerminalControl: self._terminal_control,
            AlarmRaise: self._alarm_raise,
            AlarmAck: self._alarm_ack,
            AlarmClear: self._alarm_clear,
            PisPush: self._pis_push,
            **self.calls.handlers(),
            **self.video.handlers(),
        }

    # ----- ids ------------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        """A fresh id such as ``C-17``; deterministic so that replicas agree."""
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{n}"

    # ----- sessions -------------------------------------------------------------------------

    def authenticate(self, hello: Hello) -> str | Error:
        """Check a hello's credentials: the principal id it names, or the error to answer with.

        Changes no state (so a standby can check a hello without diverging from the active)."""
        denied = Error(re=hello.id, code=int(ErrorCode.UNAUTHORIZED), reason="unknown identity or wrong secret")
        secret = hello.secret if hello.secret is not None else hello.token
        if secret is None:
            return Error(re=hello.id, code=int(ErrorCode.UNAUTHORIZED), reason="no secret or token given")
        if hello.role == "terminal":
            terminal = self.line.terminals.get(hello.ident)
            if terminal is None or not self._check_secret(secret, terminal.secret_hash):
                return denied
            if hello.terminal_kind is not None and hello.terminal_kind != terminal.kind:
                return Error(re=hello.id, code=int(ErrorCode.FORBIDDEN),
                             reason=f"{hello.ident} is a {terminal.kind}, not a {hello.terminal_kind}")
            return terminal.id
        dispatcher = self.line.dispatchers.get(hello.ident)
        if dispatcher is None or not self._check_secret(secret, dispatcher.password_hash):
            return denied
        return dispatcher.user

    def profile(self, principal_id: str) -> Principal:
        """The principal's record, or the one `admit` would create (not stored)."""
        existing = self.principals.get(principal_id)
        if existing is not None:
            return existing
        dispatcher = self.line.dispatchers.get(principal_id)
        if dispatcher is not None:
            role = self.line.roles[dispatcher.role]
            return Principal(id=dispatcher.user, is_console=True, allowed_groups=frozenset(role.groups),
                             permissions=frozenset(role.permissions), role=role.name)
        allowed = frozenset(self.line.groups_of(principal_id)) | frozenset(self._regroups_of(principal_id))
        return Principal(id=principal_id, is_console=False, allowed_groups=allowed, affiliations=set(allowed))

    def admit(self, principal_id: str) -> Principal:
        """The principal's record, created from the line on first use."""
        principal = self.principals.get(principal_id)
        if principal is None:
            principal = self.profile(principal_id)
            self.principals[principal_id] = principal
        return principal

    def _check_secret(self, secret: str, stored: str) -> bool:
        # PBKDF2 is deliberately slow; remember verified (hash, secret) pairs as digests so that a line's
        # terminals sharing one secret, and reconnect storms after a failover, cost one derivation.
        digest = hashlib.sha256(f"{stored}\0{secret}".encode()).hexdigest()
        if digest in self._verified:
            return True
        if verify_password(secret, stored):
            self._verified.add(digest)
            return True
        return False

    def attach(self, principal_id: str, now: float, *, via: str = "A", token: str | None = None) -> list[Outbound]:
        """A session of this principal opened (or resumed) on instance ``via``.

        Its first session makes it present; every session gets the snapshot (consoles) and late entry."""
        principal = self.admit(principal_id)
        first = not principal.connected
        principal.sessions[via] = principal.sessions.get(via, 0) + 1
        if principal.is_console:  # only consoles change the set (terminals come and go by thousands)
            self._console_ids = None
        self.pending_detach.pop(principal_id, None)
        if token is not None:
            self.resume_tokens[token] = principal_id
        out: list[Outbound] = []
        record = self.terminals.get(principal_id)
        if record is not None:
            if first:
                record.info.groups = sorted(principal.affiliations)
                presence = "disabled" if record.disabled else self._presence_of(principal_id)
                out += self.set_presence(principal_id, presence)
        else:
            out += [Outbound(part, frozenset({principal_id}), via=via) for part in self.snapshot(principal)]
        out += [Outbound(o.message, o.to, o.consoles, via)
                for o in self.calls.late_entry(principal, principal.affiliations, now)]
        return out + self.video.follow_talkers(now)

    def detach(self, principal_id: str, now: float, *, via: str = "A", orderly: bool) -> list[Outbound]:
        """A session of this principal on instance ``via`` closed: ``orderly`` after bye, otherwise lost.

        Only its last session closing makes it absent."""
        principal = self.principals.get(principal_id)
        if principal is None or principal.sessions.get(via, 0) <= 0:
            return []
        principal.sessions[via] -= 1
        if principal.sessions[via] == 0:
            del principal.sessions[via]
        if principal.is_console:
            self._console_ids = None
        if principal.connected:
            return []
        return self._absent(principal, now, orderly=orderly)

    def set_sessions(self, principal_id: str, now: float, *, via: str, count: int, token: str | None = None,
                     orderly: bool = False) -> list[Outbound]:
        """The principal has ``count`` sessions on instance ``via`` (an absolute figure, so that an instance
        that reconnects or takes over can state what it holds without counting anything twice)."""
        principal = self.admit(principal_id)
        current = principal.sessions.get(via, 0)
        out: list[Outbound] = []
        if token is not None:
            self.resume_tokens[token] = principal_id
        for _ in range(current, count):
            out += self.attach(principal_id, now, via=via)
        for _ in range(count, current):
            out += self.detach(principal_id, now, via=via, orderly=orderly)
        return out

    def instance_lost(self, instance: str, now: float, *, grace: float) -> list[Outbound]:
        """Instance ``instance`` is gone: its sessions are dropped. Principals left with none become absent
        after ``grace`` seconds unless they come back (reconnecting to the new active) before."""
        self._console_ids = None
        for principal in self.principals.values():
            if principal.sessions.pop(instance, 0) and not principal.connected:
                self.pending_detach[principal.id] = now + grace
        return []

    def _absent(self, principal: Principal, now: float, *, orderly: bool) -> list[Outbound]:
        principal_id = principal.id
        self.pending_detach.pop(principal_id, None)
        out = self.calls.party_lost(principal_id, now)
        out += self.video.party_lost(principal_id, now)
        out += self.video.follow_talkers(now)
        if orderly:
            # bye ends the affiliations (SPEC.md 5.1.7); the next registration starts from the defaults
            principal.affiliations = set(principal.allowed_groups) if not principal.is_console else set()
            principal.selected = None
        if principal_id in self.terminals:
            record = self.terminals[principal_id]
            presence = "disabled" if record.disabled else ("offline" if orderly else "unreachable")
            out += self.set_presence(principal_id, presence)
        return out

    # ----- requests -------------------------------------------------------------------------

    def apply(self, principal_id: str, request: Request, now: float) -> Result:
        """Carry out one request; exactly one answer, plus the notifications it causes."""
        principal = self.principals.get(principal_id)
        if principal is None:
            return error(request, ErrorCode.UNAUTHORIZED, "no session"), []
        if request.key is not None:
            seen = self.idempotency.lookup(principal_id, request)
            if seen is not None:
                return seen, []
        handler = self._handlers.get(type(request))
        if handler is None:
            answer: Ok | Error = error(request, ErrorCode.BAD_MESSAGE, f"{type(request).__name__} is not a request "
                                       "a platform serves")
            out: list[Outbound] = []
        else:
            record = self.terminals.get(principal_id)
            if record is not None and record.disabled:
                answer, out = error(request, ErrorCode.FORBIDDEN, "terminal is disabled"), []
            else:
                answer, out = handler(principal, request, now)
                out += self.video.follow_talkers(now)  # the SFU plane: a console that talks is relayed (SPEC §5.14.9)
        if request.key is not None and isinstance(answer, Ok):
            # Only successes are remembered: an error changed nothing, so a retry may be carried out.
            self.idempotency.store(principal_id, request, answer)
        return answer, out

    def notify(self, principal_id: str, message: Notification, now: float) -> list[Outbound]:
        """Handle a notification from a principal (location report, floor ack, media activity)."""
        principal = self.principals.get(principal_id)
        if principal is None:
            return self.video.from_sfu(message, now) if principal_id == SFU else []
        if isinstance(message, LocationReport):
            return self._location_report(principal, message, now)
        out = self.calls.notification(principal, message, now) + self.video.notification(principal, message, now)
        return out + self.video.follow_talkers(now)

    # ----- timers ---------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The earliest deadline of any call, floor, media session being set up, or principal awaited back after a
        failover."""
        deadlines = [d for d in (self.calls.get_timer(), min(self.pending_detach.values(), default=None),
                                 self.video.get_timer()) if d is not None]
        return min(deadlines) if deadlines else None

    def media_plane(self, up: bool, reason: str, now: float) -> list[Outbound]:
        """The SFU of the media plane went away or came back (the broker's report, journaled like any input)."""
        return self.video.media_plane(up, reason, now)

    def handle_timer(self, now: float) -> list[Outbound]:
        out = self.calls.handle_timer(now) + self.video.handle_timer(now)
        for principal_id, deadline in sorted(self.pending_detach.items(), key=lambda item: item[1]):
            if deadline <= now:
                principal = self.principals[principal_id]
                out += [] if principal.connected else self._absent(principal, now, orderly=False)
                self.pending_detach.pop(principal_id, None)
        return out + self.video.follow_talkers(now)

    # ----- helpers used by the desks ----------------------------------------------------------

    def console_ids(self) -> frozenset[str]:
        """Dispatchers with a session (cached: asked for on every notification meant for consoles)."""
        if self._console_ids is None:
            self._console_ids = frozenset(p.id for p in self.principals.values() if p.is_console and p.connected)
        return self._console_ids

    def group_members(self, group_id: str) -> set[str]:
        """Principals affiliated to a group (terminals and consoles), following patches."""
        group = self.groups.get(group_id)
        if group is None:
            return set()
        ids = {group_id}
        if group.kind == "patch":
            ids |= set(group.members)
        return {p.id for p in self.principals.values() if p.affiliations & ids}

    def set_presence(self, terminal_id: str, presence: str) -> list[Outbound]:
        record = self.terminals.get(terminal_id)
        if record is None or record.info.presence == presence:
            return []
        record.info.presence = presence  # type: ignore[assignment]
        return [Outbound(PresenceUpdate(terminal=record.info), consoles=True)]

    def _presence_of(self, terminal_id: str) -> str:
        if any(a.terminal == terminal_id and a.state != "cancelled" for a in self.alerts.values()):
            return "emergency"
        if self.calls.in_private_call(terminal_id):
            return "busy"
        return "registered"

    def refresh_presence(self, terminal_id: str) -> list[Outbound]:
        """Recompute a connected terminal's presence after its calls or alerts changed."""
        principal = self.principals.get(terminal_id)
        record = self.terminals.get(terminal_id)
        if principal is None or record is None or not principal.connected or record.disabled:
            return []
        return self.set_presence(terminal_id, self._presence_of(terminal_id))

    def _regroups_of(self, terminal_id: str) -> set[str]:
        return {g.id for g in self.groups.values() if g.kind == "regroup" and terminal_id in g.members}

    def snapshot(self, principal: Principal) -> list[Snapshot]:
        """The principal's view, in parts that each fit in a message (SPEC.md 5.1.9).

        Items are packed greedily by their encoded size, so a line of any size (and an all-call group with
        thousands of members) goes out in as many parts as it needs."""
        items: list[tuple[str, Any]] = [("groups", g) for g in self.groups.values() if principal.is_console]
        items += [("calls", c) for c in self.calls.infos()]
        items += [("alerts", a) for a in self.alerts.values() if a.state != "cancelled"]
        items += [("alarms", a) for a in self.alarms.values() if a.state != "cleared"]
        items += [("terminals", r.info) for r in self.terminals.values()]
        parts: list[dict[str, Any]] = [{}]
        size = 0
        for field_name, item in items:
            length = len(_encoder.encode(item)) + 1
            if size + length > SNAPSHOT_PART_BYTES and parts[-1]:
                parts.append({})
                size = 0
            parts[-1].setdefault(field_name, []).append(item)
            size += length
        parts[0]["affiliated"] = sorted(principal.affiliations)
        parts[0]["selected"] = principal.selected
        return [Snapshot(**fields, part=n, parts=len(parts)) for n, fields in enumerate(parts, 1)]

    def _require(self, principal: Principal, request: Request, permission: str) -> Ok | Error | None:
        if not principal.is_console:
            return error(request, ErrorCode.FORBIDDEN, f"{type(request).__name__} is for dispatchers")
        if permission not in principal.permissions:
            return error(request, ErrorCode.FORBIDDEN, f"role {principal.role} lacks permission {permission!r}")
        return None

    # ----- handlers: registry, affiliation, short data, control, alarms, PIS ------------------

    def _snapshot_get(self, principal: Principal, request: SnapshotRequest, now: float) -> Result:
        return ok(request), [Outbound(part, frozenset({principal.id})) for part in self.snapshot(principal)]

    def _status_set(self, principal: Principal, request: StatusSet, now: float) -> Result:
        record = self.terminals.get(principal.id)
        if record is None:
            return error(request, ErrorCode.FORBIDDEN, "only terminals have a status"), []
        record.info.status = request.status
        return ok(request), [Outbound(PresenceUpdate(terminal=record.info), consoles=True)]

    def _affiliation_set(self, principal: Principal, request: AffiliationSet, now: float) -> Result:
        wanted = set(request.groups)
        unknown = sorted(g for g in wanted if g not in self.groups)
        if unknown:
            return error(request, ErrorCode.NOT_FOUND, f"unknown groups: {', '.join(unknown)}"), []
        refused = sorted(g for g in wanted if g not in principal.allowed_groups and not self._open_to(principal, g))
        if refused:
            return error(request, ErrorCode.FORBIDDEN, f"not allowed in groups: {', '.join(refused)}"), []
        if request.selected is not None and request.selected not in wanted:
            return error(request, ErrorCode.BAD_MESSAGE, "selected group must be one of the groups"), []
        added = wanted - principal.affiliations
        removed = principal.affiliations - wanted
        principal.affiliations = wanted
        principal.selected = request.selected
        out = self.calls.affiliation_changed(principal, added, removed, now)
        late = self.calls.calls_in(added)
        record = self.terminals.get(principal.id)
        if record is not None:
            record.info.groups = sorted(wanted)
            out.append(Outbound(AffiliationUpdate(terminal=principal.id, groups=sorted(wanted)), consoles=True))
        return ok(request, groups=sorted(wanted), late_entry=late), out

    def _open_to(self, principal: Principal, group_id: str) -> bool:
        """Regroups and patches are open to the terminals gathered into them and to dispatchers."""
        group = self.groups[group_id]
        if group.kind == "regroup":
            return principal.is_console or principal.id in group.members
        if group.kind == "patch":
            return principal.is_console or bool(set(group.members) & principal.allowed_groups)
        return False

    def _recipients(self, principal: Principal, request: TextSend | StatusSend) -> set[str] | Ok | Error:
        if (request.to is None) == (request.group is None):
            return error(request, ErrorCode.BAD_MESSAGE, "give exactly one of 'to' and 'group'")
        if request.to is not None:
            if request.to not in self.terminals and request.to not in self.line.dispatchers:
                return error(request, ErrorCode.NOT_FOUND, f"unknown terminal {request.to}")
            return {request.to}
        assert request.group is not None
        if request.group not in self.groups:
            return error(request, ErrorCode.NOT_FOUND, f"unknown group {request.group}")
        allowed = request.group in principal.allowed_groups or self._open_to(principal, request.group)
        if principal.is_console and not allowed:
            return error(request, ErrorCode.FORBIDDEN, f"not allowed in group {request.group}")
        return self.group_members(request.group) - {principal.id}

    def _text_send(self, principal: Principal, request: TextSend, now: float) -> Result:
        to = self._recipients(principal, request)
        if not isinstance(to, set):
            return to, []
        message_id = self.next_id("M")
        text = TextMessage(message=message_id, sender=principal.id, text=request.text, to=request.to,
                           group=request.group, sent_ms=int(now * 1000))
        return ok(request, message=message_id, recipients=len(to)), [Outbound(text, frozenset(to), consoles=True)]

    def _status_send(self, principal: Principal, request: StatusSend, now: float) -> Result:
        to = self._recipients(principal, request)
        if not isinstance(to, set):
            return to, []
        status = StatusMessage(sender=principal.id, status=request.status, to=request.to, group=request.group,
                               sent_ms=int(now * 1000))
        return ok(request, recipients=len(to)), [Outbound(status, frozenset(to), consoles=True)]

    def _location_report(self, principal: Principal, report: LocationReport, now: float) -> list[Outbound]:
        record = self.terminals.get(principal.id)
        if record is None:
            return []
        if now - record.window_start >= 1.0:
            record.window_start, record.reports_in_window = now, 0
        record.reports_in_window += 1
        if record.reports_in_window > MAX_LOCATION_REPORTS_PER_SECOND:
            return []
        record.info.location = report.location
        record.last_fix_ms = report.fix_ms or int(now * 1000)
        update = LocationUpdate(terminal=principal.id, location=report.location, fix_ms=record.last_fix_ms)
        return [Outbound(update, consoles=True)]

    def _terminal_control(self, principal: Principal, request: TerminalControl, now: float) -> Result:
        refused = self._require(principal, request, "terminal_control")
        if refused is not None:
            return refused, []
        record = self.terminals.get(request.terminal)
        if record is None:
            return error(request, ErrorCode.NOT_FOUND, f"unknown terminal {request.terminal}"), []
        out = [Outbound(ControlOrder(action=request.action, by=principal.id), frozenset({request.terminal}))]
        if request.action == "disable":
            record.disabled = True
            out += self.calls.party_lost(request.terminal, now, reason="disabled")
            out += self.set_presence(request.terminal, "disabled")
        elif request.action == "enable":
            record.disabled = False
            target = self.principals.get(request.terminal)
            connected = target is not None and target.connected
            out += self.set_presence(request.terminal, self._presence_of(request.terminal) if connected else "offline")
        elif request.action in ("ambient_start", "ambient_stop"):
            target = self.principals.get(request.terminal)
            if target is None or not target.connected:
                return error(request, ErrorCode.CONFLICT, f"{request.terminal} is not reachable"), []
        return ok(request), out

    def _alarm_raise(self, principal: Principal, request: AlarmRaise, now: float) -> Result:
        alarm = AlarmInfo(
            id=self.next_id("AL"),
            source=request.source,
            origin=request.origin or principal.id,
            severity=request.severity,
            code=request.code,
            text=request.text,
            location=request.location or self._location_of(principal.id),
            raised_ms=int(now * 1000),
        )
        self.alarms[alarm.id] = alarm
        return ok(request, alarm=alarm.id), [Outbound(AlarmUpdate(alarm=alarm), consoles=True)]

    def _location_of(self, terminal_id: str) -> Any:
        record = self.terminals.get(terminal_id)
        return record.info.location if record is not None else None

    def _alarm_ack(self, principal: Principal, request: AlarmAck, now: float) -> Result:
        if not principal.is_console:
            return error(request, ErrorCode.FORBIDDEN, "alarms are acknowledged by dispatchers"), []
        alarm = self.alarms.get(request.alarm)
        if alarm is None:
            return error(request, ErrorCode.NOT_FOUND, f"unknown alarm {request.alarm}"), []
        if alarm.state == "raised":
            alarm.state, alarm.acknowledged_by = "acknowledged", principal.id
        return ok(request, state=alarm.state), [Outbound(AlarmUpdate(alarm=alarm), consoles=True)]

    def _alarm_clear(self, principal: Principal, request: AlarmClear, now: float) -> Result:
        alarm = self.alarms.get(request.alarm)
        if alarm is None:
            return error(request, ErrorCode.NOT_FOUND, f"unknown alarm {request.alarm}"), []
        if not principal.is_console and alarm.origin != principal.id:
            return error(request, ErrorCode.FORBIDDEN, "only the origin or a dispatcher clears an alarm"), []
        alarm.state = "cleared"
        return ok(request, state=alarm.state), [Outbound(AlarmUpdate(alarm=alarm), consoles=True)]

    def _pis_push(self, principal: Principal, request: PisPush, now: float) -> Result:
        refused = self._require(principal, request, "pis_push")
        if refused is not None:
            return refused, []
        trains = self.line.trains
        numbers = request.trains or sorted(trains)
        unknown = [n for n in numbers if n not in trains]
        if unknown:
            return error(request, ErrorCode.NOT_FOUND, f"unknown trains: {', '.join(unknown)}"), []
        message_id = self.next_id("PIS")
        pis = PisMessage(message=message_id, text=request.text, text_en=request.text_en,
                         duration_s=request.duration_s, urgent=request.urgent)
        radios = frozenset(trains[n].radio for n in numbers)
        return ok(request, message=message_id, trains=len(radios)), [Outbound(pis, radios)]


def is_request(message: Message) -> bool:
    return isinstance(message, Request)
