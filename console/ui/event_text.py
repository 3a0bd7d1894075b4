"""The event log in words: one translatable sentence per event kind, filled from the event's summary.

The log keeps data, not language (`console.core.eventlog`); the desk renders each event in the language it speaks
now, naming terminals and groups as the panes do. `render` never raises: an event it cannot read (an unknown kind,
a summary missing fields) comes out as its kind and raw summary, so that nothing recorded is ever hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.vocabulary import (
    ALARM_SOURCES,
    ALERT_KINDS,
    CALL_KINDS,
    END_REASONS,
    PRIORITIES,
    SEVERITIES,
    group_name,
    local_name,
    place_name,
    terminal_name,
    word,
)

logger = logging.getLogger(__name__)

#: what each kind of event is called (the kind filter of the log pane lists these)
KIND_NAMES: dict[str, str] = {
    "call_started": QT_TRANSLATE_NOOP("EventText", "Call started"),
    "call_changed": QT_TRANSLATE_NOOP("EventText", "Call changed"),
    "call_ended": QT_TRANSLATE_NOOP("EventText", "Call ended"),
    "call_incoming": QT_TRANSLATE_NOOP("EventText", "Incoming call"),
    "floor_granted": QT_TRANSLATE_NOOP("EventText", "Floor granted"),
    "floor_taken": QT_TRANSLATE_NOOP("EventText", "Floor taken"),
    "floor_revoked": QT_TRANSLATE_NOOP("EventText", "Floor revoked"),
    "talk_burst": QT_TRANSLATE_NOOP("EventText", "Talk burst (recorded)"),
    "recording_unavailable": QT_TRANSLATE_NOOP("EventText", "Recording off"),
    "emergency_alerted": QT_TRANSLATE_NOOP("EventText", "Emergency"),
    "emergency_acknowledged": QT_TRANSLATE_NOOP("EventText", "Emergency acknowledged"),
    "emergency_cancelled": QT_TRANSLATE_NOOP("EventText", "Emergency cancelled"),
    "alarm_raised": QT_TRANSLATE_NOOP("EventText", "Alarm"),
    "alarm_acknowledged": QT_TRANSLATE_NOOP("EventText", "Alarm acknowledged"),
    "alarm_cleared": QT_TRANSLATE_NOOP("EventText", "Alarm cleared"),
    "text": QT_TRANSLATE_NOOP("EventText", "Text message"),
    "status": QT_TRANSLATE_NOOP("EventText", "Status message"),
    "presence_emergency": QT_TRANSLATE_NOOP("EventText", "Terminal in emergency"),
    "presence_disabled": QT_TRANSLATE_NOOP("EventText", "Terminal disabled"),
    "group_created": QT_TRANSLATE_NOOP("EventText", "Temporary group created"),
    "group_changed": QT_TRANSLATE_NOOP("EventText", "Temporary group changed"),
    "group_removed": QT_TRANSLATE_NOOP("EventText", "Temporary group dissolved"),
    "video_live": QT_TRANSLATE_NOOP("EventText", "Video live"),
    "video_stopped": QT_TRANSLATE_NOOP("EventText", "Video stopped"),
    "video_failed": QT_TRANSLATE_NOOP("EventText", "Video failed"),
    "platform_role": QT_TRANSLATE_NOOP("EventText", "Platform role"),
    "protocol_error": QT_TRANSLATE_NOOP("EventText", "Platform error"),
    "command": QT_TRANSLATE_NOOP("EventText", "Dispatcher command"),
    "desk_connected": QT_TRANSLATE_NOOP("EventText", "Signed in"),
    "desk_disconnected": QT_TRANSLATE_NOOP("EventText", "Signed out"),
    "desk_connect_failed": QT_TRANSLATE_NOOP("EventText", "Sign-in failed"),
    "link_ServingChanged": QT_TRANSLATE_NOOP("EventText", "Failover"),
    "link_Offline": QT_TRANSLATE_NOOP("EventText", "Platform unreachable"),
    "link_SplitBrain": QT_TRANSLATE_NOOP("EventText", "Split brain"),
    "link_CommandsFailed": QT_TRANSLATE_NOOP("EventText", "Commands unanswered"),
    "plan_proposed": QT_TRANSLATE_NOOP("EventText", "Plan proposed"),
    "plan_run": QT_TRANSLATE_NOOP("EventText", "Plan run"),
    "plan_step": QT_TRANSLATE_NOOP("EventText", "Plan step"),
    "plan_acknowledged": QT_TRANSLATE_NOOP("EventText", "Plan acknowledged"),
    "plan_escalated": QT_TRANSLATE_NOOP("EventText", "Plan escalated"),
    "plan_dismissed": QT_TRANSLATE_NOOP("EventText", "Plan dismissed"),
}

#: how a kind reads in a sentence; %n are filled by the kind's argument function below
SENTENCES: dict[str, str] = {
    "call_started": QT_TRANSLATE_NOOP("EventText", "%1 in %2, started by %3"),
    "call_started_private": QT_TRANSLATE_NOOP("EventText", "%1 started by %2"),
    "call_changed": QT_TRANSLATE_NOOP("EventText", "Call %1 is now a %2"),
    "call_ended": QT_TRANSLATE_NOOP("EventText", "%1 ended: %2"),
    "call_incoming": QT_TRANSLATE_NOOP("EventText", "%1 is calling this desk"),
    "floor_granted": QT_TRANSLATE_NOOP("EventText", "%1 got the floor (%2)"),
    "floor_taken": QT_TRANSLATE_NOOP("EventText", "%1 holds the floor (%2)"),
    "floor_revoked": QT_TRANSLATE_NOOP("EventText", "The floor was revoked: %1"),
    "talk_burst": QT_TRANSLATE_NOOP("EventText", "%1 talked in %2 for %3 s (recorded: Play)"),
    "talk_burst_private": QT_TRANSLATE_NOOP("EventText", "%1 talked in a private call for %2 s (recorded: Play)"),
    "recording_unavailable": QT_TRANSLATE_NOOP("EventText", "Nothing is recorded: the folder %1 cannot be used (%2)"),
    "emergency_alerted": QT_TRANSLATE_NOOP("EventText", "%1 raised by %2 in %3"),
    "emergency_acknowledged": QT_TRANSLATE_NOOP("EventText", "Emergency of %1 acknowledged by %2"),
    "emergency_cancelled": QT_TRANSLATE_NOOP("EventText", "Emergency of %1 cancelled"),
    "emergency_active": QT_TRANSLATE_NOOP("EventText", "Emergency of %1 is active"),
    "alarm_raised": QT_TRANSLATE_NOOP("EventText", "%1 %2 alarm from %3: %4"),
    "alarm_acknowledged": QT_TRANSLATE_NOOP("EventText", "Alarm from %1 acknowledged by %2: %3"),
    "alarm_cleared": QT_TRANSLATE_NOOP("EventText", "Alarm from %1 cleared: %2"),
    "text": QT_TRANSLATE_NOOP("EventText", "Text from %1 to %2: “%3”"),
    "status": QT_TRANSLATE_NOOP("EventText", "Status %1 from %2 to %3"),
    "presence_emergency": QT_TRANSLATE_NOOP("EventText", "%1 is in emergency"),
    "presence_disabled": QT_TRANSLATE_NOOP("EventText", "%1 was disabled"),
    "group_created": QT_TRANSLATE_NOOP("EventText", "Temporary group %1 created with %2 members"),
    "group_changed": QT_TRANSLATE_NOOP("EventText", "Temporary group %1 now has %2 members"),
    "group_removed": QT_TRANSLATE_NOOP("EventText", "Temporary group %1 dissolved"),
    "video_live": QT_TRANSLATE_NOOP("EventText", "Video from %1 is live"),
    "video_stopped": QT_TRANSLATE_NOOP("EventText", "Video from %1 stopped"),
    "video_failed": QT_TRANSLATE_NOOP("EventText", "Video from %1 failed: %2"),
    "platform_role": QT_TRANSLATE_NOOP("EventText", "Platform instance %1 is %2 (epoch %3)"),
    "protocol_error": QT_TRANSLATE_NOOP("EventText", "The platform sent something unusable: %1"),
    "command": QT_TRANSLATE_NOOP("EventText", "%1 gave the command %2: %3"),
    "desk_connected": QT_TRANSLATE_NOOP("EventText", "%1 signed in via %2 (epoch %3)"),
    "desk_disconnected": QT_TRANSLATE_NOOP("EventText", "%1 signed out"),
    "desk_connect_failed": QT_TRANSLATE_NOOP("EventText", "Sign-in of %1 failed: %2"),
    "link_ServingChanged": QT_TRANSLATE_NOOP("EventText", "Commands now go to platform instance %1 (epoch %2)"),
    "link_Offline": QT_TRANSLATE_NOOP("EventText", "No platform instance can serve: commands wait"),
    "link_SplitBrain": QT_TRANSLATE_NOOP("EventText", "Split brain: %1 both claim to be active"),
    "link_CommandsFailed": QT_TRANSLATE_NOOP("EventText", "Commands got no answer: %1"),
    "plan_proposed": QT_TRANSLATE_NOOP("EventText", "Plan “%1” proposed for: %2"),
    "plan_run": QT_TRANSLATE_NOOP("EventText", "%1 ran plan “%2”"),
    "plan_step": QT_TRANSLATE_NOOP("EventText", "Plan “%1”, step %2 (%3): %4"),
    "plan_acknowledged": QT_TRANSLATE_NOOP("EventText", "Plan “%1” acknowledged: %2"),
    "plan_escalated": QT_TRANSLATE_NOOP("EventText", "Plan “%1” escalated: nobody acknowledged it in %2 s"),
    "plan_dismissed": QT_TRANSLATE_NOOP("EventText", "%1 dismissed plan “%2”"),
}

COMMANDS: dict[str, str] = {
    "monitor": QT_TRANSLATE_NOOP("EventText", "monitor groups"),
    "select": QT_TRANSLATE_NOOP("EventText", "select talk group"),
    "ptt_press": QT_TRANSLATE_NOOP("EventText", "press PTT"),
    "ptt_override": QT_TRANSLATE_NOOP("EventText", "override the floor"),
    "ptt_release": QT_TRANSLATE_NOOP("EventText", "release PTT"),
    "call_private": QT_TRANSLATE_NOOP("EventText", "private call"),
    "answer": QT_TRANSLATE_NOOP("EventText", "answer a call"),
    "end_call": QT_TRANSLATE_NOOP("EventText", "end a call"),
    "force_release": QT_TRANSLATE_NOOP("EventText", "force release"),
    "broadcast": QT_TRANSLATE_NOOP("EventText", "broadcast"),
    "regroup": QT_TRANSLATE_NOOP("EventText", "regroup"),
    "patch": QT_TRANSLATE_NOOP("EventText", "patch groups"),
    "dissolve": QT_TRANSLATE_NOOP("EventText", "dissolve group"),
    "ack_emergency": QT_TRANSLATE_NOOP("EventText", "acknowledge emergency"),
    "cancel_emergency": QT_TRANSLATE_NOOP("EventText", "cancel emergency"),
    "ack_alarm": QT_TRANSLATE_NOOP("EventText", "acknowledge alarm"),
    "clear_alarm": QT_TRANSLATE_NOOP("EventText", "clear alarm"),
    "send_text": QT_TRANSLATE_NOOP("EventText", "send text"),
    "send_status": QT_TRANSLATE_NOOP("EventText", "send status"),
    "push_pis": QT_TRANSLATE_NOOP("EventText", "passenger screens"),
    "disable": QT_TRANSLATE_NOOP("EventText", "disable terminal"),
    "enable": QT_TRANSLATE_NOOP("EventText", "enable terminal"),
    "pull_video": QT_TRANSLATE_NOOP("EventText", "pull video"),
    "stop_video": QT_TRANSLATE_NOOP("EventText", "stop video"),
    "pause_video": QT_TRANSLATE_NOOP("EventText", "pause video"),
    "resume_video": QT_TRANSLATE_NOOP("EventText", "resume video"),
    "replay": QT_TRANSLATE_NOOP("EventText", "replay"),
    "play_recording": QT_TRANSLATE_NOOP("EventText", "play a recording"),
}

OUTCOMES: dict[str, str] = {
    "ok": QT_TRANSLATE_NOOP("EventText", "done"),
    "granted": QT_TRANSLATE_NOOP("EventText", "granted"),
    "queued": QT_TRANSLATE_NOOP("EventText", "queued"),
    "denied": QT_TRANSLATE_NOOP("EventText", "denied"),
    "failed": QT_TRANSLATE_NOOP("EventText", "failed"),
    "has_no_permission": QT_TRANSLATE_NOOP("EventText", "released"),
    "error": QT_TRANSLATE_NOOP("EventText", "refused (%1)"),
    "active": QT_TRANSLATE_NOOP("EventText", "active"),
    "skipped": QT_TRANSLATE_NOOP("EventText", "skipped"),
    "standby": QT_TRANSLATE_NOOP("EventText", "standby"),
}
_NOBODY = QT_TRANSLATE_NOOP("EventText", "everyone")
#: the request fields worth naming after a command, in this order
_SUBJECTS = ("group", "groups", "callee", "terminal", "to", "call", "alert", "alarm", "target", "subsystem", "trains",
             "status", "text", "seconds")


def _t(source: str) -> str:
    return QCoreApplication.translate("EventText", source)


def kind_name(kind: str) -> str:
    """What an event kind is called in the desk's language (the kind itself when unknown)."""
    source = KIND_NAMES.get(kind)
    return _t(source) if source is not None else kind


def severity_of(event: Any) -> str:
    """How the log pane colours an event: emergency, error, alarm, command-refused or plain."""
    kind = event.kind
    if kind in ("emergency_alerted", "presence_emergency"):
        return "emergency"
    if kind in ("protocol_error", "desk_connect_failed", "recording_unavailable", "link_SplitBrain", "link_Offline",
                "link_CommandsFailed"):
        return "error"
    if kind in ("alarm_raised", "plan_proposed"):
        return "alarm"
    if kind == "plan_escalated":
        return "emergency"
    if kind == "plan_step" and isinstance(event.summary, dict) and event.summary.get("outcome") in (
            "refused", "failed"):
        return "refused"
    if kind == "command" and isinstance(event.summary, dict) and event.summary.get("outcome") in (
            "error", "denied", "failed"):
        return "refused"
    return "plain"


def render(event: Any, world: Any = None) -> str:
    """The event as one sentence in the desk's language; never raises."""
    try:
        return _render(event, world)
    except Exception:  # a summary we cannot read must still show
        logger.debug("cannot render event %s %s", getattr(event, "id", "?"), getattr(event, "kind", "?"),
                     exc_info=True)
        return f"{getattr(event, 'kind', '?')}: {getattr(event, 'summary', '')!r}"


def _render(event: Any, world: Any) -> str:
    s: dict[str, Any] = event.summary if isinstance(event.summary, dict) else {}
    kind = event.kind

    def who(terminal: Any) -> str:
        if not terminal:
            return ""
        return terminal_name(world, str(terminal)) if world is not None else str(terminal)

    def where(origin: Any) -> str:
        """An alarm's origin: a terminal or a place of the line, by name."""
        if world is not None and origin and str(origin) not in world.terminals:
            return place_name(world, str(origin))
        return who(origin)

    def group(group_id: Any) -> str:
        if not group_id:
            return ""
        return group_name(world, str(group_id)) if world is not None else str(group_id)

    arguments: dict[str, Callable[[], tuple[str, list[str]]]] = {
        "call_started": lambda: (("call_started", [word(CALL_KINDS, s["call_kind"]), group(s["group"]),
                                                   who(s.get("initiator")) or event.actor])
                                 if s.get("group") else
                                 ("call_started_private", [word(CALL_KINDS, s["call_kind"]),
                                                           who(s.get("initiator")) or event.actor])),
        "call_changed": lambda: ("call_changed", [event.call or "", word(CALL_KINDS, s["call_kind"])]),
        "call_ended": lambda: ("call_ended", [word(CALL_KINDS, s.get("call_kind")) or kind_name("call_ended"),
                                              word(END_REASONS, s.get("reason"))]),
        "call_incoming": lambda: ("call_incoming", [who(s["caller"])]),
        "floor_granted": lambda: ("floor_granted", [who(s["holder"]), word(PRIORITIES, s.get("priority"))]),
        "floor_taken": lambda: ("floor_taken", [who(s["holder"]), word(PRIORITIES, s.get("priority"))]),
        "floor_revoked": lambda: ("floor_revoked", [str(s.get("reason", ""))]),
        "talk_burst": lambda: (("talk_burst", [who(s.get("talker")) or event.actor, group(s["group"]),
                                               f"{float(s.get('seconds', 0)):.1f}"])
                               if s.get("group") else
                               ("talk_burst_private", [who(s.get("talker")) or event.actor,
                                                       f"{float(s.get('seconds', 0)):.1f}"])),
        "recording_unavailable": lambda: ("recording_unavailable", [str(s.get("folder", "")),
                                                                    str(s.get("reason", ""))]),
        "emergency_alerted": lambda: ("emergency_alerted", [word(ALERT_KINDS, s.get("alert_kind", "emergency")),
                                                            who(event.terminal or event.actor),
                                                            group(s.get("group")) or "—"]),
        "emergency_acknowledged": lambda: ("emergency_acknowledged", [who(event.terminal),
                                                                      str(s.get("acknowledged_by") or event.actor)]),
        "emergency_cancelled": lambda: ("emergency_cancelled", [who(event.terminal)]),
        "emergency_active": lambda: ("emergency_active", [who(event.terminal)]),
        "alarm_raised": lambda: ("alarm_raised", [word(SEVERITIES, s.get("severity")),
                                                  word(ALARM_SOURCES, s.get("source")), where(s.get("origin")),
                                                  _alarm_text(s)]),
        "alarm_acknowledged": lambda: ("alarm_acknowledged", [where(s.get("origin")), event.actor, _alarm_text(s)]),
        "alarm_cleared": lambda: ("alarm_cleared", [where(s.get("origin")), _alarm_text(s)]),
        "text": lambda: ("text", [who(s["sender"]), who(s.get("to")) or group(s.get("group")) or _t(_NOBODY),
                                  str(s["text"])]),
        "status": lambda: ("status", [str(s["status"]), who(s["sender"]),
                                      who(s.get("to")) or group(s.get("group")) or _t(_NOBODY)]),
        "presence_emergency": lambda: ("presence_emergency", [who(event.terminal)]),
        "presence_disabled": lambda: ("presence_disabled", [who(event.terminal)]),
        "group_created": lambda: ("group_created", [_group_label(s, event), str(len(s.get("members") or []))]),
        "group_changed": lambda: ("group_changed", [_group_label(s, event), str(len(s.get("members") or []))]),
        "group_removed": lambda: ("group_removed", [_group_label(s, event)]),
        "video_live": lambda: ("video_live", [who(s.get("source"))]),
        "video_stopped": lambda: ("video_stopped", [who(s.get("source"))]),
        "video_failed": lambda: ("video_failed", [who(s.get("source")), str(s.get("reason", ""))]),
        "platform_role": lambda: ("platform_role", [str(s["instance"]), _outcome(str(s["role"])), str(s["epoch"])]),
        "protocol_error": lambda: ("protocol_error", [str(s.get("text", ""))]),
        "command": lambda: ("command", [event.actor, _command_name(s), _command_outcome(s)]),
        "desk_connected": lambda: ("desk_connected", [event.actor, str(s.get("serving") or "?"),
                                                      str(s.get("epoch", "?"))]),
        "desk_disconnected": lambda: ("desk_disconnected", [event.actor]),
        "desk_connect_failed": lambda: ("desk_connect_failed", [event.actor, str(s.get("reason", ""))]),
        "link_ServingChanged": lambda: ("link_ServingChanged", [str(s.get("instance", "?")), str(s.get("epoch", "?"))]),
        "link_Offline": lambda: ("link_Offline", []),
        "link_SplitBrain": lambda: ("link_SplitBrain", [", ".join(map(str, (event.data or {}).get("instances", ())))
                                                        or "?"]),
        "link_CommandsFailed": lambda: ("link_CommandsFailed", [str(s.get("reason", ""))]),
        "plan_proposed": lambda: ("plan_proposed", [_plan(s), str(s.get("why", ""))]),
        "plan_run": lambda: ("plan_run", [event.actor, _plan(s)]),
        "plan_step": lambda: ("plan_step", [_plan(s), str(s.get("step", "?")), str(s.get("step_kind", "")),
                                            _step_outcome(s)]),
        "plan_acknowledged": lambda: ("plan_acknowledged", [_plan(s), str(s.get("by", ""))]),
        "plan_escalated": lambda: ("plan_escalated", [_plan(s), f"{float(s.get('after_s') or 0):.0f}"]),
        "plan_dismissed": lambda: ("plan_dismissed", [event.actor, _plan(s)]),
    }
    maker = arguments.get(kind)
    if maker is None:
        detail = ", ".join(f"{k}={v}" for k, v in s.items() if isinstance(v, str | int | float) and v != "")
        return f"{kind_name(kind)}: {detail}" if detail else kind_name(kind)
    sentence, values = maker()
    text = _t(SENTENCES[sentence])
    for number in range(len(values), 0, -1):  # %10 before %1
        text = text.replace(f"%{number}", values[number - 1])
    return text


def _plan(s: dict[str, Any]) -> str:
    return local_name(str(s.get("name") or ""), str(s.get("name_zh") or "")) or str(s.get("plan", "?"))


def _step_outcome(s: dict[str, Any]) -> str:
    outcome = str(s.get("outcome", ""))
    text = _outcome("error").replace("%1", str(s.get("reason", ""))) if outcome == "refused" else _outcome(outcome)
    reason = s.get("reason")
    return f"{text}: {reason}" if reason and outcome != "refused" else text


def _alarm_text(s: dict[str, Any]) -> str:
    return " — ".join(str(p) for p in (s.get("code"), s.get("text")) if p)


def _group_label(s: dict[str, Any], event: Any) -> str:
    return local_name(str(s.get("name") or ""), str(s.get("name_zh") or "")) or event.group or ""


def _outcome(value: str) -> str:
    source = OUTCOMES.get(value)
    return _t(source) if source is not None else value


def _command_name(s: dict[str, Any]) -> str:
    command = str(s.get("command", "?"))
    source = COMMANDS.get(command)
    name = _t(source) if source is not None else command
    details = []
    for key in _SUBJECTS:
        value = s.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        details.append(f"“{value}”" if key == "text" else str(value))
    return f"{name} ({'; '.join(details)})" if details else name


def _command_outcome(s: dict[str, Any]) -> str:
    outcome = str(s.get("outcome", ""))
    if outcome == "error":
        return _outcome("error").replace("%1", f"{s.get('code', '')} {s.get('reason', '')}".strip())
    return _outcome(outcome)


__all__ = ["COMMANDS", "KIND_NAMES", "OUTCOMES", "SENTENCES", "kind_name", "render", "severity_of"]
