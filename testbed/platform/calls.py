"""Calls on the reference platform: group, private, broadcast and emergency calls, floor, regroups.

Part of `PlatformState` (no I/O, time passed in). Each half-duplex call owns a `FloorArbitrator`; the
arbitrator's events become floor notifications to the call's parties here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from protocols.constants import GROUP_CALL_HANG, PRIVATE_CALL_RING, ErrorCode
from protocols.machines import floor as fl
from protocols.messages import (
    PRIORITY_RANK,
    AlertInfo,
    BroadcastSetup,
    CallEnded,
    CallForceRelease,
    CallInfo,
    CallRelease,
    CallStarted,
    EmergencyAck,
    EmergencyAlert,
    EmergencyAlerted,
    EmergencyCancel,
    EmergencyState,
    FloorAck,
    FloorDeny,
    FloorGranted,
    FloorIdle,
    FloorQueueInfo,
    FloorQueuePositionRequest,
    FloorRelease,
    FloorRequest,
    FloorRevoke,
    FloorTaken,
    GroupCallSetup,
    GroupInfo,
    GroupUpdate,
    MediaActivity,
    Notification,
    PriorityClass,
    PrivateCallAnswer,
    PrivateCallIncoming,
    PrivateCallSetup,
    RegroupCreate,
    RegroupDissolve,
    Request,
)
from testbed.platform.model import CallRecord, Outbound, Principal

if TYPE_CHECKING:
    from testbed.platform.state import PlatformState, Result

log = logging.getLogger(__name__)



def _error(request: Request, code: ErrorCode, reason: str) -> Any:
    from protocols.messages import Error

    return Error(re=request.id, code=int(code), reason=reason)


def _ok(request: Request, **result: Any) -> Any:
    from protocols.messages import Ok

    return Ok(re=request.id, result=result)


class CallBook:
    """Every call in progress, by id, and the group calls by group."""

    def __init__(self, state: PlatformState, *, hang: float = GROUP_CALL_HANG,
                 floor_timers: fl.FloorTimers | None = None) -> None:
        self.state = state
        self.hang = hang
        self.floor_timers = floor_timers or fl.FloorTimers()
        self.calls: dict[str, CallRecord] = {}
        self.by_group: dict[str, str] = {}

    def handlers(self) -> dict[type[Request], Callable[[Principal, Any, float], Result]]:
        return {
            GroupCallSetup: self._group_setup,
            BroadcastSetup: self._broadcast_setup,
            PrivateCallSetup: self._private_setup,
            PrivateCallAnswer: self._private_answer,
            CallRelease: self._release,
            CallForceRelease: self._force_release,
            FloorRequest: self._floor_request,
            FloorRelease: self._floor_release,
            FloorQueuePositionRequest: self._queue_position,
            EmergencyAlert: self._emergency_alert,
            EmergencyAck: self._emergency_ack,
            EmergencyCancel: self._emergency_cancel,
            RegroupCreate: self._regroup_create,
            RegroupDissolve: self._regroup_dissolve,
        }

    # ----- queries --------------------------------------------------------------------------

    def infos(self) -> list[CallInfo]:
        return [self._info(c) for c in self.calls.values() if not c.ringing]

    def calls_in(self, groups: Iterable[str]) -> list[str]:
        wanted = set(groups)
        return [c.info.id for c in self.calls.values() if set(c.groups) & wanted and not c.ringing]

    def in_private_call(self, party: str) -> bool:
        return any(c.info.kind == "private" and party in c.parties for c in self.calls.values())

    def _info(self, call: CallRecord) -> CallInfo:
        info = call.info
        if call.floor is not None:
            info.holder = call.floor.holder
            info.holder_priority = call.floor.holder_priority
            info.queue = list(call.floor.queue)
        info.parties = sorted(call.parties)
        info.priority = call.priority
        return info

    # ----- creating and ending calls ----------------------------------------------------------

    def _participants(self, group_id: str) -> set[str]:
        return self.state.group_members(group_id)

    def _start_group_call(self, initiator: str, group_id: str, kind: str, priority: PriorityClass,
                          now: float, *, fixed_holder: str | None = None,
                          parties: set[str] | None = None) -> tuple[CallRecord, list[Outbound]]:
        call_id = self.state.next_id("C")
        members = parties if parties is not None else self._participants(group_id)
        members.add(initiator)
        group = self.state.groups.get(group_id)
        groups = (group_id, *group.members) if group is not None and group.kind == "patch" else (group_id,)
        info = CallInfo(id=call_id, kind=kind, group=group_id, initiator=initiator,  # type: ignore[arg-type]
                        priority=priority, started_ms=int(now * 1000))
        call = CallRecord(info=info, floor=fl.FloorArbitrator(call_id, timers=self.floor_timers,
                                                              fixed_holder=fixed_holder),
                          parties=members, groups=groups, priority=priority)
        self.calls[call_id] = call
        self.by_group[group_id] = call_id
        call.deadline = now + self.hang
        started = CallStarted(call=self._info(call))
        log.info("call %s started in %s by %s (%s, %s)", call_id, group_id, initiator, kind, priority)
        return call, [Outbound(started, frozenset(members), consoles=True)]

    def end_call(self, call: CallRecord, reason: str, now: float, by: str | None = None) -> list[Outbound]:
        """End a call: revoke the floor, deny the queue, tell every party and console."""
        out: list[Outbound] = []
        if call.floor is not None:
            call.floor.end(now)
            out += self._floor_out(call, now)
        self.calls.pop(call.info.id, None)
        if call.info.group is not None and self.by_group.get(call.info.group) == call.info.id:
            del self.by_group[call.info.group]
        ended = CallEnded(call=call.info.id, reason=reason, by=by)  # type: ignore[arg-type]
        out.append(Outbound(ended, frozenset(call.parties), consoles=True))
        log.info("call %s ended: %s (by %s)", call.info.id, reason, by)
        if call.info.kind == "private":
            for party in call.parties:
                out += self.state.refresh_presence(party)
        return out

    # ----- floor ------------------------------------------------------------------------------

    def _floor_out(self, call: CallRecord, now: float) -> list[Outbound]:
        """Turn the arbitrator's pending events into notifications."""
        assert call.floor is not None
        cid = call.info.id
        out: list[Outbound] = []
        consoles = frozenset(p for p in call.parties if self._is_console(p))
        for event in call.floor.events():
            if isinstance(event, fl.Granted):
                limit = None if event.limit is None else int(event.limit * 1000)
                out.append(Outbound(FloorGranted(call=cid, holder=event.party, priority=event.priority,
                                                 limit_ms=limit, from_queue=event.from_queue),
                                    frozenset({event.party})))
            elif isinstance(event, fl.Taken):
                others = frozenset(call.parties - {event.holder})
                out.append(Outbound(FloorTaken(call=cid, holder=event.holder, priority=event.priority), others))
            elif isinstance(event, fl.Idle):
                out.append(Outbound(FloorIdle(call=cid), frozenset(call.parties)))
            elif isinstance(event, fl.Revoked):
                out.append(Outbound(FloorRevoke(call=cid, reason=event.reason), frozenset({event.party})))
            elif isinstance(event, fl.Denied):
                out.append(Outbound(FloorDeny(call=cid, reason=event.reason), frozenset({event.party})))
            elif isinstance(event, fl.QueuePosition):
                out.append(Outbound(FloorQueueInfo(call=cid, position=event.position), frozenset({event.party})))
            elif isinstance(event, fl.QueueChanged):
                out.append(Outbound(FloorQueueInfo(call=cid, queue=list(event.queue)), consoles))
            elif isinstance(event, fl.GrantLost):
                log.warning("call %s: grant to %s not acknowledged; floor moves on", cid, event.party)
        self._arm_hang(call, now)
        return out

    def _arm_hang(self, call: CallRecord, now: float) -> None:
        if call.info.kind == "private" or call.floor is None:
            return
        idle = call.floor.state == "idle" and not call.floor.queue
        if idle and call.deadline is None:
            call.deadline = now + self.hang
        elif not idle:
            call.deadline = None

    def _is_console(self, party: str) -> bool:
        principal = self.state.principals.get(party)
        return principal is not None and principal.is_console

    def _entitled(self, principal: Principal, call: CallRecord, asked: PriorityClass) -> PriorityClass:
        """The highest class the principal may claim in this call, capped by what it asked for."""
        if principal.is_console:
            best: PriorityClass = "dispatcher"
            if call.priority in ("emergency", "imminent_peril") and asked == call.priority:
                best = call.priority
        else:
            best = "normal"
            for alert in self.state.alerts.values():
                if alert.terminal == principal.id and alert.state != "cancelled":
                    best = alert.kind
        return asked if PRIORITY_RANK[asked] <= PRIORITY_RANK[best] else best

    def _floor_request(self, principal: Principal, request: FloorRequest, now: float) -> Result:
        out: list[Outbound] = []
        if request.call is not None:
            call = self.calls.get(request.call)
            if call is None:
                return _error(request, ErrorCode.NOT_FOUND, f"no call {request.call}"), []
        elif request.group is not None:
            refused = self._check_group(principal, request, request.group)
            if refused is not None:
                return refused, []
            existing = self.by_group.get(request.group)
            if existing is not None:
                call = self.calls[existing]
            else:
                call, out = self._start_group_call(principal.id, request.group, "group", "normal", now)
        else:
            return _error(request, ErrorCode.BAD_MESSAGE, "give 'call' or 'group'"), []
        if principal.id not in call.parties:
            if call.info.kind == "private" or not (set(call.groups) & principal.affiliations):
                return _error(request, ErrorCode.FORBIDDEN, f"not a party of call {call.info.id}"), out
            call.parties.add(principal.id)
        if call.floor is None:
            return _error(request, ErrorCode.CONFLICT, "floor_denied: full_duplex"), out
        if request.override and "override" not in principal.permissions:
            return _error(request, ErrorCode.FORBIDDEN, "override needs the 'override' permission"), out
        priority = self._entitled(principal, call, request.priority)
        decision = call.floor.request(principal.id, priority, now, override=request.override)
        out += self._floor_out(call, now)
        if decision.outcome == "denied":
            return _error(request, ErrorCode.CONFLICT, f"floor_denied: {decision.reason}"), out
        limit = None if decision.limit is None else int(decision.limit * 1000)
        return _ok(request, call=call.info.id, outcome=decision.outcome, position=decision.position,
                   limit_ms=limit), out

    def _floor_release(self, principal: Principal, request: FloorRelease, now: float) -> Result:
        call = self.calls.get(request.call)
        if call is None or call.floor is None:
            # Releasing a floor of an ended call is not an error worth a retry: the floor is free.
            return _ok(request, released=False), []
        released = call.floor.release(principal.id, now)
        return _ok(request, released=released), self._floor_out(call, now)

    def _queue_position(self, principal: Principal, request: FloorQueuePositionRequest, now: float) -> Result:
        call = self.calls.get(request.call)
        if call is None or call.floor is None:
            return _error(request, ErrorCode.NOT_FOUND, f"no call {request.call}"), []
        position = next((q.position for q in call.floor.queue if q.party == principal.id), 0)
        return _ok(request, position=position), []

    def notification(self, principal: Principal, message: Notification, now: float) -> list[Outbound]:
        if isinstance(message, FloorAck | MediaActivity):
            call = self.calls.get(message.call)
            if call is None or call.floor is None:
                return []
            if isinstance(message, FloorAck):
                if message.of == "granted":
                    call.floor.ack(principal.id, now)
            else:
                call.floor.media_activity(principal.id, message.sending, now)
            return self._floor_out(call, now)
        return []

    # ----- group, broadcast ---------------------------------------------------------------------

    def _check_group(self, principal: Principal, request: Request, group_id: str) -> Any:
        if group_id not in self.state.groups:
            return _error(request, ErrorCode.NOT_FOUND, f"unknown group {group_id}")
        if group_id not in principal.affiliations and group_id not in principal.allowed_groups:
            return _error(request, ErrorCode.FORBIDDEN, f"not allowed in group {group_id}")
        return None

    def _group_setup(self, principal: Principal, request: GroupCallSetup, now: float) -> Result:
        refused = self._check_group(principal, request, request.group)
        if refused is not None:
            return refused, []
        alerting = any(a.terminal == principal.id and a.state == "active" for a in self.state.alerts.values())
        if request.priority in ("emergency", "imminent_peril") and not principal.is_console and not alerting:
            return _error(request, ErrorCode.FORBIDDEN, "raise an emergency alert to start an emergency call"), []
        existing = self.by_group.get(request.group)
        if existing is not None:
            call = self.calls[existing]
            out = self._upgrade(call, request.priority)
            return _ok(request, call=call.info.id, existing=True), out
        kind = request.priority if request.priority in ("emergency", "imminent_peril") else "group"
        call, out = self._start_group_call(principal.id, request.group, kind, request.priority, now)
        return _ok(request, call=call.info.id, existing=False), out

    def _upgrade(self, call: CallRecord, priority: PriorityClass) -> list[Outbound]:
        if PRIORITY_RANK[priority] <= PRIORITY_RANK[call.priority] or priority == "dispatcher":
            return []
        call.priority = priority
        call.info.kind = priority  # type: ignore[assignment]
        return [Outbound(CallStarted(call=self._info(call)), frozenset(call.parties), consoles=True)]

    def _broadcast_setup(self, principal: Principal, request: BroadcastSetup, now: float) -> Result:
        refused = self.state._require(principal, request, "broadcast")
        if refused is not None:
            return refused, []
        line = self.state.line
        if request.target == "all_trains":
            parties = {t.radio for t in line.trains.values()}
            group_id = self._all_call_group()
        elif request.target == "all_stations":
            parties = {t.id for t in line.terminals.values() if t.kind == "station"}
            group_id = self._all_call_group()
        elif request.target == "subsystem":
            if request.subsystem is None:
                return _error(request, ErrorCode.BAD_MESSAGE, "target subsystem needs 'subsystem'"), []
            groups = [g.id for g in self.state.groups.values() if g.subsystem == request.subsystem]
            if not groups:
                return _error(request, ErrorCode.NOT_FOUND, f"no groups in subsystem {request.subsystem}"), []
            parties = set().union(*(self._participants(g) for g in groups))
            group_id = groups[0]
        else:
            if request.group is None:
                return _error(request, ErrorCode.BAD_MESSAGE, "target group needs 'group'"), []
            refused = self._check_group(principal, request, request.group)
            if refused is not None:
                return refused, []
            parties = self._participants(request.group)
            group_id = request.group
        parties = {p for p in parties if p in self.state.principals and self.state.principals[p].connected} | {
            c for c in self.state.console_ids()}
        call, out = self._start_group_call(principal.id, group_id, "broadcast", "dispatcher", now,
                                           fixed_holder=principal.id, parties=parties)
        self.by_group.pop(group_id, None)  # a broadcast does not take over the group's own calls
        assert call.floor is not None
        call.floor.request(principal.id, "dispatcher", now)
        out += self._floor_out(call, now)
        return _ok(request, call=call.info.id, parties=len(call.parties)), out

    def _all_call_group(self) -> str:
        for group in self.state.groups.values():
            if group.kind == "all_call":
                return group.id
        return next(iter(self.state.groups))

    # ----- private calls --------------------------------------------------------------------------

    def _private_setup(self, principal: Principal, request: PrivateCallSetup, now: float) -> Result:
        callee = self.state.principals.get(request.callee)
        if request.callee not in self.state.terminals and request.callee not in self.state.line.dispatchers:
            return _error(request, ErrorCode.NOT_FOUND, f"unknown terminal {request.callee}"), []
        if request.callee == principal.id:
            return _error(request, ErrorCode.BAD_MESSAGE, "cannot call oneself"), []
        if callee is None or not callee.connected:
            return _error(request, ErrorCode.CONFLICT, f"{request.callee} is not reachable"), []
        if self.in_private_call(request.callee):
            return _error(request, ErrorCode.CONFLICT, f"{request.callee} is busy"), []
        record = self.state.terminals.get(request.callee)
        if record is not None and record.disabled:
            return _error(request, ErrorCode.CONFLICT, f"{request.callee} is disabled"), []
        call_id = self.state.next_id("C")
        priority: PriorityClass = "dispatcher" if principal.is_console else "normal"
        info = CallInfo(id=call_id, kind="private", initiator=principal.id, duplex=request.duplex,
                        priority=priority, started_ms=int(now * 1000))
        floor = None
        if request.duplex == "half":
            floor = fl.FloorArbitrator(call_id, timers=self.floor_timers)
        call = CallRecord(info=info, floor=floor, parties={principal.id, request.callee}, ringing=True,
                          duplex=request.duplex, priority=priority)
        self.calls[call_id] = call
        incoming = PrivateCallIncoming(call=call_id, caller=principal.id, duplex=request.duplex)
        out = [Outbound(incoming, frozenset({request.callee}))]
        if request.automatic:
            out += self._connect_private(call, now)
        else:
            call.deadline = now + PRIVATE_CALL_RING
        return _ok(request, call=call_id), out

    def _connect_private(self, call: CallRecord, now: float) -> list[Outbound]:
        call.ringing = False
        call.deadline = None
        out = [Outbound(CallStarted(call=self._info(call)), frozenset(call.parties), consoles=True)]
        for party in call.parties:
            out += self.state.refresh_presence(party)
        return out

    def _private_answer(self, principal: Principal, request: PrivateCallAnswer, now: float) -> Result:
        call = self.calls.get(request.call)
        if call is None or call.info.kind != "private" or principal.id not in call.parties:
            return _error(request, ErrorCode.NOT_FOUND, f"no incoming call {request.call}"), []
        if principal.id == call.info.initiator:
            return _error(request, ErrorCode.CONFLICT, "the caller cannot answer its own call"), []
        if not call.ringing:
            return _ok(request, state="connected"), []
        if request.accept:
            return _ok(request, state="connected"), self._connect_private(call, now)
        return _ok(request, state="rejected"), self.end_call(call, "rejected", now, by=principal.id)

    def _release(self, principal: Principal, request: CallRelease, now: float) -> Result:
        call = self.calls.get(request.call)
        if call is None:
            return _ok(request, released=False), []
        if principal.id not in call.parties and not principal.is_console:
            return _error(request, ErrorCode.FORBIDDEN, f"not a party of call {request.call}"), []
        if call.info.kind != "private" and not principal.is_console and principal.id != call.info.initiator:
            return _error(request, ErrorCode.FORBIDDEN, "only the initiator or a dispatcher ends a group call"), []
        if call.ringing:
            reason = "cancelled" if principal.id == call.info.initiator else "rejected"
        else:
            reason = "released"
        return _ok(request, released=True), self.end_call(call, reason, now, by=principal.id)

    def _force_release(self, principal: Principal, request: CallForceRelease, now: float) -> Result:
        refused = self.state._require(principal, request, "force_release")
        if refused is not None:
            return refused, []
        call = self.calls.get(request.call)
        if call is None:
            return _error(request, ErrorCode.NOT_FOUND, f"no call {request.call}"), []
        return _ok(request, released=True), self.end_call(call, "force_released", now, by=principal.id)

    # ----- emergencies -----------------------------------------------------------------------------

    def _emergency_alert(self, principal: Principal, request: EmergencyAlert, now: float) -> Result:
        group_id = request.group or principal.selected or self._home_group(principal)
        if group_id is None or group_id not in self.state.groups:
            return _error(request, ErrorCode.NOT_FOUND, f"no group for the emergency ({group_id})"), []
        existing = next((a for a in self.state.alerts.values()
                         if a.terminal == principal.id and a.state != "cancelled"), None)
        if existing is not None:
            alert = existing
            out: list[Outbound] = []
        else:
            record = self.state.terminals.get(principal.id)
            location = request.location or (record.info.location if record else None)
            alert = AlertInfo(id=self.state.next_id("E"), terminal=principal.id, kind=request.alert_kind,
                              group=group_id, location=location, raised_ms=int(now * 1000))
            self.state.alerts[alert.id] = alert
            members = frozenset(self._participants(group_id))
            out = [Outbound(EmergencyAlerted(alert=alert), members, consoles=True)]
            out += self.state.refresh_presence(principal.id)
            log.warning("emergency %s raised by %s in %s", alert.id, principal.id, group_id)
        result: dict[str, Any] = {"alert": alert.id}
        if request.call:
            call_id = self.by_group.get(group_id)
            if call_id is None:
                call, started = self._start_group_call(principal.id, group_id, alert.kind, alert.kind, now)
                out += started
            else:
                call = self.calls[call_id]
                out += self._upgrade(call, alert.kind)
            call.parties.add(principal.id)
            assert call.floor is not None
            decision = call.floor.request(principal.id, alert.kind, now)
            out += self._floor_out(call, now)
            result |= {"call": call.info.id, "outcome": decision.outcome, "position": decision.position}
        return _ok(request, **result), out

    def _home_group(self, principal: Principal) -> str | None:
        for group_id in sorted(principal.affiliations):
            group = self.state.groups.get(group_id)
            if group is not None and group.kind in ("talk", "station"):
                return group_id
        return next(iter(sorted(principal.affiliations)), None)

    def _emergency_ack(self, principal: Principal, request: EmergencyAck, now: float) -> Result:
        refused = self.state._require(principal, request, "emergency_ack")
        if refused is not None:
            return refused, []
        alert = self.state.alerts.get(request.alert)
        if alert is None:
            return _error(request, ErrorCode.NOT_FOUND, f"unknown alert {request.alert}"), []
        if alert.state == "cancelled":
            return _error(request, ErrorCode.CONFLICT, f"alert {alert.id} was cancelled"), []
        alert.state, alert.acknowledged_by = "acknowledged", principal.id
        log.info("emergency %s acknowledged by %s", alert.id, principal.id)
        return _ok(request, state=alert.state), [
            Outbound(EmergencyState(alert=alert), frozenset({alert.terminal}), consoles=True)]

    def _emergency_cancel(self, principal: Principal, request: EmergencyCancel, now: float) -> Result:
        alert = self.state.alerts.get(request.alert)
        if alert is None:
            return _error(request, ErrorCode.NOT_FOUND, f"unknown alert {request.alert}"), []
        if principal.id != alert.terminal and not principal.is_console:
            return _error(request, ErrorCode.FORBIDDEN, "only the originator or a dispatcher cancels"), []
        alert.state = "cancelled"
        out = [Outbound(EmergencyState(alert=alert), frozenset({alert.terminal}), consoles=True)]
        out += self.state.refresh_presence(alert.terminal)
        call_id = self.by_group.get(alert.group or "")
        if call_id is not None:
            call = self.calls[call_id]
            still = any(a.group == alert.group and a.state != "cancelled" for a in self.state.alerts.values())
            if not still and call.priority in ("emergency", "imminent_peril"):
                call.priority, call.info.kind = "normal", "group"
                out.append(Outbound(CallStarted(call=self._info(call)), frozenset(call.parties), consoles=True))
        return _ok(request, state=alert.state), out

    # ----- regroups and patches ---------------------------------------------------------------

    def _regroup_create(self, principal: Principal, request: RegroupCreate, now: float) -> Result:
        refused = self.state._require(principal, request, "regroup")
        if refused is not None:
            return refused, []
        if request.mode == "regroup":
            unknown = [t for t in request.terminals if t not in self.state.terminals]
            if unknown or not request.terminals:
                return _error(request, ErrorCode.NOT_FOUND if unknown else ErrorCode.BAD_MESSAGE,
                              f"unknown terminals: {', '.join(unknown)}" if unknown else "no terminals"), []
            members = list(dict.fromkeys(request.terminals))
            group = GroupInfo(id=self.state.next_id("RG"), name=request.name, name_zh=request.name_zh,
                              kind="regroup", members=members)
        else:
            unknown = [g for g in request.groups if g not in self.state.groups]
            if unknown or len(request.groups) < 2:
                return _error(request, ErrorCode.NOT_FOUND if unknown else ErrorCode.BAD_MESSAGE,
                              f"unknown groups: {', '.join(unknown)}" if unknown else "a patch joins 2+ groups"), []
            members = list(dict.fromkeys(request.groups))
            group = GroupInfo(id=self.state.next_id("PT"), name=request.name, name_zh=request.name_zh,
                              kind="patch", members=members)
        self.state.groups[group.id] = group
        out: list[Outbound] = []
        targets: set[str] = set()
        if group.kind == "regroup":
            for terminal_id in members:
                target = self.state.principals.get(terminal_id)
                if target is not None:
                    target.affiliations.add(group.id)
                    target.allowed_groups = target.allowed_groups | {group.id}
                targets.add(terminal_id)
        principal.affiliations.add(group.id)
        out.append(Outbound(GroupUpdate(group=group), frozenset(targets), consoles=True))
        return _ok(request, group=group.id), out

    def _regroup_dissolve(self, principal: Principal, request: RegroupDissolve, now: float) -> Result:
        refused = self.state._require(principal, request, "regroup")
        if refused is not None:
            return refused, []
        group = self.state.groups.get(request.group)
        if group is None or group.kind not in ("regroup", "patch"):
            return _error(request, ErrorCode.NOT_FOUND, f"no regroup or patch {request.group}"), []
        out: list[Outbound] = []
        call_id = self.by_group.get(group.id)
        if call_id is not None:
            out += self.end_call(self.calls[call_id], "released", now, by=principal.id)
        del self.state.groups[group.id]
        for p in self.state.principals.values():
            p.affiliations.discard(group.id)
            if group.id in p.allowed_groups:
                p.allowed_groups = p.allowed_groups - {group.id}
        targets = frozenset(group.members) if group.kind == "regroup" else frozenset()
        out.append(Outbound(GroupUpdate(group=group, removed=True), targets, consoles=True))
        return _ok(request, group=group.id), out

    # ----- membership changes -------------------------------------------------------------------

    def late_entry(self, principal: Principal, groups: Iterable[str], now: float) -> list[Outbound]:
        """Tell a principal about calls and alerts already running in groups it (re)joined."""
        out: list[Outbound] = []
        wanted = set(groups)
        me = frozenset({principal.id})
        for call in list(self.calls.values()):
            if call.ringing:
                if principal.id in call.parties and principal.id != call.info.initiator:
                    out.append(Outbound(PrivateCallIncoming(call=call.info.id, caller=call.info.initiator,
                                                            duplex=call.duplex), me))
                continue
            if not (set(call.groups) & wanted) and principal.id not in call.parties:
                continue
            call.parties.add(principal.id)
            out.append(Outbound(CallStarted(call=self._info(call), late=True), me))
            if call.floor is not None and call.floor.holder is not None and call.floor.holder != principal.id:
                out.append(Outbound(FloorTaken(call=call.info.id, holder=call.floor.holder,
                                               priority=call.floor.holder_priority or "normal"), me))
        for alert in self.state.alerts.values():
            if alert.state != "cancelled" and alert.group in wanted and alert.terminal != principal.id:
                out.append(Outbound(EmergencyAlerted(alert=alert, late=True), me))
        return out

    def affiliation_changed(self, principal: Principal, added: set[str], removed: set[str],
                            now: float) -> list[Outbound]:
        out = self.late_entry(principal, added, now) if added else []
        for call in list(self.calls.values()):
            left = removed & set(call.groups) and not (set(call.groups) & principal.affiliations)
            if left and principal.id in call.parties and principal.id != call.info.initiator:
                call.parties.discard(principal.id)
                if call.floor is not None:
                    call.floor.remove_party(principal.id, now)
                    out += self._floor_out(call, now)
        return out

    def party_lost(self, party: str, now: float, reason: str = "party_lost") -> list[Outbound]:
        """A principal disconnected or was disabled: free its floor; end its private calls."""
        out: list[Outbound] = []
        for call in list(self.calls.values()):
            if party not in call.parties:
                continue
            if call.info.kind == "private":
                out += self.end_call(call, "party_lost", now, by=party)
            elif call.floor is not None:
                call.floor.remove_party(party, now)
                out += self._floor_out(call, now)
        return out

    # ----- timers -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        best: float | None = None
        for call in self.calls.values():
            for deadline in (call.deadline, call.floor.get_timer() if call.floor is not None else None):
                if deadline is not None and (best is None or deadline < best):
                    best = deadline
        return best

    def handle_timer(self, now: float) -> list[Outbound]:
        out: list[Outbound] = []
        for call in list(self.calls.values()):
            if call.floor is not None:
                timer = call.floor.get_timer()
                if timer is not None and timer <= now:
                    call.floor.handle_timer(now)
                    out += self._floor_out(call, now)
            if call.deadline is not None and call.deadline <= now:
                if call.ringing:
                    out += self.end_call(call, "no_answer", now)
                elif call.floor is not None and call.floor.state == "idle" and not call.floor.queue:
                    out += self.end_call(call, "hang_timeout", now)
                else:
                    call.deadline = None
        return out
