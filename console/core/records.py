"""Which notifications from the platform go into the event log, and as what.

`record_notification` runs before the world applies the message, so that it can tell news from repeats
(a call that is new or only updated, a presence that just turned to emergency, an alarm whose state
moved). Location reports and floor idles are not recorded: they are many and say little afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.core.eventlog import EventLog
from console.core.world import World
from protocols import messages as wire

#: actor of events the platform itself caused
PLATFORM = "platform"


def record_notification(log: EventLog, world: World, message: wire.Message) -> None:
    """Log what matters of one notification, judged against the world as it was before it."""
    recorder = _RECORDERS.get(type(message))
    if recorder is not None:
        recorder(log, world, message)


def record_problem(log: EventLog, text: str, *, actor: str = PLATFORM, **data: Any) -> None:
    """Log input from the platform the desk could not use (it carried on without it)."""
    log.record("protocol_error", actor=actor, summary={"text": text}, data=data or None)


def _call_started(log: EventLog, world: World, m: wire.CallStarted) -> None:
    call = m.call
    old = world.calls.get(call.id)
    if old is not None and (old.kind, old.priority, old.parties) == (call.kind, call.priority, call.parties):
        return  # a late-entry repeat of what we know
    kind = "call_started" if old is None else "call_changed"
    log.record(kind, actor=call.initiator or PLATFORM, call=call.id, group=call.group,
               terminal=call.initiator or None,
               summary={"call_kind": call.kind, "priority": call.priority, "group": call.group,
                        "initiator": call.initiator, "late": m.late},
               data=call)


def _call_ended(log: EventLog, world: World, m: wire.CallEnded) -> None:
    call = world.calls.get(m.call)
    log.record("call_ended", actor=m.by or PLATFORM, call=m.call, group=call.group if call else None,
               summary={"reason": m.reason, "by": m.by, "call_kind": call.kind if call else None}, data=m)


def _incoming(log: EventLog, world: World, m: wire.PrivateCallIncoming) -> None:
    if m.call not in world.incoming:
        log.record("call_incoming", actor=m.caller, call=m.call, terminal=m.caller,
                   summary={"caller": m.caller, "duplex": m.duplex}, data=m)


def _floor(log: EventLog, world: World, m: wire.FloorGranted | wire.FloorTaken) -> None:
    call = world.calls.get(m.call)
    if call is not None and call.holder == m.holder and call.holder_priority == m.priority:
        return  # a repeat (T20 re-sends floor.granted until acknowledged)
    kind = "floor_granted" if isinstance(m, wire.FloorGranted) else "floor_taken"
    summary: dict[str, Any] = {"holder": m.holder, "priority": m.priority}
    if isinstance(m, wire.FloorGranted):
        summary["limit_ms"] = m.limit_ms
    log.record(kind, actor=m.holder, call=m.call, group=call.group if call else None,
               terminal=m.holder if m.holder in world.terminals else None, summary=summary, data=m)


def _revoke(log: EventLog, world: World, m: wire.FloorRevoke) -> None:
    call = world.calls.get(m.call)
    log.record("floor_revoked", actor=PLATFORM, call=m.call, group=call.group if call else None,
               summary={"reason": m.reason}, data=m)


def _alerted(log: EventLog, world: World, m: wire.EmergencyAlerted) -> None:
    alert = m.alert
    if alert.id in world.alerts:
        return
    log.record("emergency_alerted", actor=alert.terminal, terminal=alert.terminal, group=alert.group,
               alert=alert.id, summary={"alert_kind": alert.kind, "group": alert.group, "late": m.late,
                                        "station": alert.location.station if alert.location else None},
               data=alert)


def _alert_state(log: EventLog, world: World, m: wire.EmergencyState) -> None:
    alert = m.alert
    old = world.alerts.get(alert.id)
    if old is not None and old.state == alert.state:
        return
    kind = "emergency_cancelled" if alert.state == "cancelled" else f"emergency_{alert.state}"
    actor = alert.acknowledged_by if alert.state == "acknowledged" and alert.acknowledged_by else PLATFORM
    log.record(kind, actor=actor, terminal=alert.terminal, group=alert.group, alert=alert.id,
               summary={"state": alert.state, "acknowledged_by": alert.acknowledged_by}, data=alert)


def _alarm(log: EventLog, world: World, m: wire.AlarmUpdate) -> None:
    alarm = m.alarm
    old = world.alarms.get(alarm.id)
    if old is not None and old.state == alarm.state:
        return
    kind = f"alarm_{alarm.state}"  # alarm_raised, alarm_acknowledged, alarm_cleared
    actor = alarm.acknowledged_by if alarm.state == "acknowledged" and alarm.acknowledged_by else alarm.origin
    log.record(kind, actor=actor, alarm=alarm.id,
               terminal=alarm.origin if alarm.origin in world.terminals else None,
               summary={"severity": alarm.severity, "source": alarm.source, "code": alarm.code,
                        "text": alarm.text, "origin": alarm.origin, "state": alarm.state},
               data=alarm)


def _text(log: EventLog, world: World, m: wire.TextMessage) -> None:
    log.record("text", actor=m.sender, terminal=_party(world, m.sender, m.to), group=m.group,
               summary={"sender": m.sender, "to": m.to, "group": m.group, "text": m.text, "message": m.message},
               data=m)


def _status(log: EventLog, world: World, m: wire.StatusMessage) -> None:
    log.record("status", actor=m.sender, terminal=_party(world, m.sender, m.to), group=m.group,
               summary={"sender": m.sender, "to": m.to, "group": m.group, "status": m.status}, data=m)


def _party(world: World, sender: str, to: str | None) -> str | None:
    """The terminal a message concerns: its sender if a terminal sent it, else the terminal addressed."""
    if sender in world.terminals:
        return sender
    return to if to is not None and to in world.terminals else None


def _presence(log: EventLog, world: World, m: wire.PresenceUpdate) -> None:
    info = m.terminal
    old = world.terminals.get(info.id)
    was = old.presence if old is not None else None
    if info.presence in ("emergency", "disabled") and was != info.presence:
        log.record(f"presence_{info.presence}", actor=info.id, terminal=info.id,
                   summary={"presence": info.presence, "was": was, "kind": info.kind}, data=info)


def _group(log: EventLog, world: World, m: wire.GroupUpdate) -> None:
    group = m.group
    if group.kind not in ("regroup", "patch"):
        return
    kind = "group_removed" if m.removed else "group_created" if group.id not in world.groups else "group_changed"
    log.record(kind, actor=PLATFORM, group=group.id,
               summary={"group_kind": group.kind, "name": group.name, "name_zh": group.name_zh,
                        "members": list(group.members)}, data=group)


def _video(log: EventLog, world: World, m: wire.VideoSession) -> None:
    old = world.video.get(m.session)
    if old is not None and old.state == m.state:
        return
    if m.state in ("live", "stopped", "failed"):
        log.record(f"video_{m.state}", actor=PLATFORM, terminal=m.source,
                   summary={"session": m.session, "source": m.source, "sink": m.sink, "quality": m.quality,
                            "reason": m.reason}, data=m)


def _role(log: EventLog, world: World, m: wire.PlatformRole) -> None:
    old = world.links.get(m.instance)
    if old is not None and (old.role, old.epoch) == (m.role, m.epoch):
        return
    log.record("platform_role", actor=m.instance,
               summary={"instance": m.instance, "role": m.role, "epoch": m.epoch, "peer_up": m.peer_up}, data=m)


_RECORDERS: dict[type[wire.Message], Callable[[EventLog, World, Any], None]] = {
    wire.CallStarted: _call_started,
    wire.CallEnded: _call_ended,
    wire.PrivateCallIncoming: _incoming,
    wire.FloorGranted: _floor,
    wire.FloorTaken: _floor,
    wire.FloorRevoke: _revoke,
    wire.EmergencyAlerted: _alerted,
    wire.EmergencyState: _alert_state,
    wire.AlarmUpdate: _alarm,
    wire.TextMessage: _text,
    wire.StatusMessage: _status,
    wire.PresenceUpdate: _presence,
    wire.GroupUpdate: _group,
    wire.VideoSession: _video,
    wire.PlatformRole: _role,
}

__all__ = ["PLATFORM", "record_notification", "record_problem"]
