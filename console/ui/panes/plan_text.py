"""Emergency plans in words, in the desk's language: what happened and where, what each step will do (or did),
each step's state, and how the proposal stands (escalation countdown, acknowledged, escalated).

The core keeps plans as data (console/core/plans.py); these functions render them for the plans pane, naming
terminals, groups and stations as the other panes do. Plan files may give a step its own label (``label``,
``label_zh``), which replaces the description made here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.vocabulary import (
    ALERT_KINDS,
    DUPLEX_SHORT,
    chinese,
    duration_text,
    group_name,
    local_name,
    party_name,
    place_name,
    terminal_label,
    word,
)

_C = "PlanText"

STEP_STATES: dict[str, str] = {
    "pending": QT_TRANSLATE_NOOP("PlanText", "To do"),
    "running": QT_TRANSLATE_NOOP("PlanText", "Running…"),
    "done": QT_TRANSLATE_NOOP("PlanText", "Done"),
    "failed": QT_TRANSLATE_NOOP("PlanText", "Failed"),
    "skipped": QT_TRANSLATE_NOOP("PlanText", "Skipped"),
}
PROPOSAL_STATES: dict[str, str] = {
    "open": QT_TRANSLATE_NOOP("PlanText", "Proposed"),
    "done": QT_TRANSLATE_NOOP("PlanText", "Done"),
    "dismissed": QT_TRANSLATE_NOOP("PlanText", "Dismissed"),
}
EVENT_KINDS: dict[str, str] = {
    "emergency": QT_TRANSLATE_NOOP("PlanText", "emergency"),
    "alarm": QT_TRANSLATE_NOOP("PlanText", "alarm"),
    "train_stopped": QT_TRANSLATE_NOOP("PlanText", "train stopped"),
}
PLACE_KINDS: dict[str, str] = {
    "station": QT_TRANSLATE_NOOP("PlanText", "at a station"),
    "section": QT_TRANSLATE_NOOP("PlanText", "between stations"),
    "train": QT_TRANSLATE_NOOP("PlanText", "on a train"),
    "any": QT_TRANSLATE_NOOP("PlanText", "anywhere"),
}


def plan_word(table: dict[str, str], value: str | None) -> str:
    """``value`` through one of this module's tables (context ``PlanText``), in the desk's language."""
    return word(table, value, _C)


def _t(source: str) -> str:
    return QCoreApplication.translate(_C, source)


def _fill(template: str, *values: str) -> str:
    text = _t(template)
    for number in range(len(values), 0, -1):  # %10 before %1
        text = text.replace(f"%{number}", values[number - 1])
    return text


def plan_name(plan: Any) -> str:
    return local_name(plan.name, plan.name_zh) or plan.id


def place_text(world: Any, place: Any) -> str:
    """Where an event is: a train (and where it runs), a station, between two stations, an area."""
    if place.section is not None:
        where = _fill(QT_TRANSLATE_NOOP("PlanText", "between %1 and %2"), place_name(world, place.section[0]),
                      place_name(world, place.section[1]))
    elif place.station is not None:
        where = place_name(world, place.station)
    else:
        where = place_name(world, place.area) if place.area else ""
    if place.train:
        train = _fill(QT_TRANSLATE_NOOP("PlanText", "train %1"), place.train)
        return f"{train} · {where}" if where else train
    return where or "—"


def event_text(world: Any, event: Any) -> str:
    """What happened, where."""
    where = place_text(world, event.place)
    if event.kind == "alarm":
        what = " — ".join(p for p in (event.code, event.text) if p) or "?"
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Alarm %1 from %2, %3"), what,
                     terminal_label(world, event.terminal) if event.terminal else "?", where)
    if event.kind == "emergency":
        return _fill(QT_TRANSLATE_NOOP("PlanText", "%1 from %2, %3"), word(ALERT_KINDS, event.alert_kind),
                     terminal_label(world, event.terminal), where)
    return _fill(QT_TRANSLATE_NOOP("PlanText", "Train stood still for %1, %2"), duration_text(event.stopped_s),
                 where)


def trigger_text(trigger: Any) -> str:
    """Why a plan matched, from its trigger: the event kind, places, codes and thresholds it asks for."""
    parts = [plan_word(EVENT_KINDS, trigger.event)]
    parts += [plan_word(PLACE_KINDS, p) for p in trigger.places if p != "any"]
    if trigger.stations:
        parts.append(", ".join(trigger.stations))
    if trigger.codes:
        parts.append(", ".join(trigger.codes))
    if trigger.event == "train_stopped":
        parts.append(_fill(QT_TRANSLATE_NOOP("PlanText", "over %1"), duration_text(trigger.stopped_for)))
    return _fill(QT_TRANSLATE_NOOP("PlanText", "Matched: %1"), " · ".join(parts))


def _names(world: Any, groups: Any = (), parties: Any = ()) -> str:
    return ", ".join([group_name(world, g) for g in groups] + [party_name(world, p) for p in parties]) or "—"


def step_text(world: Any, run: Any) -> str:
    """What a step does, with its resolved targets (or the plan's own label for it)."""
    step = run.step
    label: str = (step.label_zh or step.label) if chinese() else (step.label or step.label_zh)
    if label:
        return label
    resolved = run.resolved
    kind = step.kind
    if kind == "notify":
        return _tell(world, resolved)
    if kind == "call_station":
        if not resolved.parties:
            return _fill(QT_TRANSLATE_NOOP("PlanText", "Call the station"))
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Call %1 (%2)"), terminal_label(world, resolved.parties[0]),
                     word(DUPLEX_SHORT, resolved.details.get("duplex", "half")))
    if kind == "cameras":
        where = [place_name(world, code) for code in resolved.stations]
        if any(camera for _, camera in resolved.feeds):
            where.insert(0, _fill(QT_TRANSLATE_NOOP("PlanText", "the train's own")))
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Put %1 cameras on the wall: %2"), str(len(resolved.feeds)),
                     ", ".join(where) or "—")
    if kind == "pis":
        trains = ", ".join(resolved.trains)
        whom = _t(QT_TRANSLATE_NOOP("PlanText", "every train")) if resolved.details.get("all") else \
            _fill(QT_TRANSLATE_NOOP("PlanText", "trains %1"), trains) if trains else "—"
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Passenger screens of %1: “%2”"), whom, resolved.text)
    after = duration_text(resolved.after or 0)
    text = _fill(QT_TRANSLATE_NOOP("PlanText", "Unacknowledged after %1: %2"), after, _tell(world, resolved))
    if resolved.broadcast is not None:
        target, group = resolved.broadcast
        whom = group_name(world, group) if group else _t(BROADCASTS.get(target, target))
        text += _fill(QT_TRANSLATE_NOOP("PlanText", "; broadcast call to %1"), whom)
    return text


BROADCASTS: dict[str, str] = {
    "all_trains": QT_TRANSLATE_NOOP("PlanText", "all trains"),
    "all_stations": QT_TRANSLATE_NOOP("PlanText", "all stations"),
}


def _tell(world: Any, resolved: Any) -> str:
    whom = _names(world, resolved.groups, resolved.parties)
    parts = []
    if resolved.text:
        parts.append(_fill(QT_TRANSLATE_NOOP("PlanText", "tell %1: “%2”"), whom, resolved.text))
    if resolved.status is not None:
        parts.append(_fill(QT_TRANSLATE_NOOP("PlanText", "status %1 to %2"), str(resolved.status), whom))
    text = "; ".join(parts) or whom
    return text[:1].upper() + text[1:] if not chinese() else text


def state_text(run: Any) -> str:
    """A step's state, with the reason when it failed or was skipped."""
    state = plan_word(STEP_STATES, run.state)
    if run.state in ("failed", "skipped") and run.reason:
        return f"{state}: {reason_text(run.reason)}"
    return state


def reason_text(reason: str) -> str:
    """Reasons the desk itself gives, in the desk's language (the platform's own reasons stay as it gave them)."""
    known = {"dismissed": QT_TRANSLATE_NOOP("PlanText", "dismissed"),
             "no train is there now": QT_TRANSLATE_NOOP("PlanText", "no train is there now"),
             "the event is not on a train": QT_TRANSLATE_NOOP("PlanText", "the event is not on a train"),
             "no camera there": QT_TRANSLATE_NOOP("PlanText", "no camera there"),
             "the event is not at or near a station": QT_TRANSLATE_NOOP("PlanText", "not at or near a station")}
    if reason in known:
        return _t(known[reason])
    if reason.startswith("acknowledged: "):
        return _t(QT_TRANSLATE_NOOP("PlanText", "acknowledged"))
    if reason.startswith("skipped by "):
        return _fill(QT_TRANSLATE_NOOP("PlanText", "skipped by %1"), reason.removeprefix("skipped by "))
    return reason


def acknowledgement_text(proposal: Any) -> str:
    """Who or what acknowledged the proposal (its escalation is off)."""
    who = proposal.ack_who
    if proposal.ack_kind == "dispatcher":
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Acknowledged by %1"), who or "—")
    if proposal.ack_kind == "moved":
        return _t(QT_TRANSLATE_NOOP("PlanText", "Acknowledged: the train moved on"))
    if who:
        return _fill(QT_TRANSLATE_NOOP("PlanText", "Acknowledged at the platform by %1"), who)
    return _t(QT_TRANSLATE_NOOP("PlanText", "Acknowledged: the alarm or alert is over"))


def escalation_text(proposal: Any, now: float) -> tuple[str, str]:
    """The escalation line and its state (``emergency``, ``alarm``, ``granted`` or ``""``): the countdown while it
    runs, escalated, acknowledged, or nothing for a plan without escalation."""
    left = proposal.escalation_left(now)
    if left is not None:
        text = _fill(QT_TRANSLATE_NOOP("PlanText", "Escalates in %1 unless acknowledged"), duration_text(left + 0.999))
        return text, "emergency" if left < 15 else "alarm"
    if proposal.escalated:
        return _t(QT_TRANSLATE_NOOP("PlanText", "Escalated: nobody acknowledged in time")), "emergency"
    if proposal.escalation is None:
        return "", ""
    if proposal.acknowledged is not None:
        return acknowledgement_text(proposal), "granted"
    return _t(QT_TRANSLATE_NOOP("PlanText", "No escalation")), ""


__all__ = [
    "PROPOSAL_STATES",
    "STEP_STATES",
    "acknowledgement_text",
    "escalation_text",
    "event_text",
    "place_text",
    "plan_name",
    "plan_word",
    "reason_text",
    "state_text",
    "step_text",
    "trigger_text",
]
