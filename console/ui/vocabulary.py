"""The platform's words in the dispatcher's language: call kinds, severities, alarm sources, states, and the names
of terminals, groups and places (Chinese names when the desk speaks Chinese, else English ones).

Protocol values stay in the core; the panes show them through these tables (context ``Vocabulary`` in the
translation file). A value no table knows is shown as the platform sent it, never hidden.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale

from console.ui.i18n import QT_TRANSLATE_NOOP

_C = "Vocabulary"

CALL_KINDS: dict[str, str] = {
    "group": QT_TRANSLATE_NOOP("Vocabulary", "Group call"),
    "private": QT_TRANSLATE_NOOP("Vocabulary", "Private call"),
    "broadcast": QT_TRANSLATE_NOOP("Vocabulary", "Broadcast"),
    "emergency": QT_TRANSLATE_NOOP("Vocabulary", "Emergency call"),
    "imminent_peril": QT_TRANSLATE_NOOP("Vocabulary", "Imminent peril call"),
}
ALERT_KINDS: dict[str, str] = {
    "emergency": QT_TRANSLATE_NOOP("Vocabulary", "Emergency"),
    "imminent_peril": QT_TRANSLATE_NOOP("Vocabulary", "Imminent peril"),
}
ALERT_STATES: dict[str, str] = {
    "active": QT_TRANSLATE_NOOP("Vocabulary", "Unacknowledged"),
    "acknowledged": QT_TRANSLATE_NOOP("Vocabulary", "Acknowledged"),
    "cancelled": QT_TRANSLATE_NOOP("Vocabulary", "Cancelled"),
}
ALARM_STATES: dict[str, str] = {
    "raised": QT_TRANSLATE_NOOP("Vocabulary", "Raised"),
    "acknowledged": QT_TRANSLATE_NOOP("Vocabulary", "Acknowledged"),
    "cleared": QT_TRANSLATE_NOOP("Vocabulary", "Cleared"),
}
SEVERITIES: dict[str, str] = {
    "critical": QT_TRANSLATE_NOOP("Vocabulary", "Critical"),
    "major": QT_TRANSLATE_NOOP("Vocabulary", "Major"),
    "minor": QT_TRANSLATE_NOOP("Vocabulary", "Minor"),
    "info": QT_TRANSLATE_NOOP("Vocabulary", "Info"),
}
ALARM_SOURCES: dict[str, str] = {
    "equipment": QT_TRANSLATE_NOOP("Vocabulary", "Equipment"),
    "sensor": QT_TRANSLATE_NOOP("Vocabulary", "Sensor"),
    "video_analytics": QT_TRANSLATE_NOOP("Vocabulary", "Video analytics"),
    "terminal": QT_TRANSLATE_NOOP("Vocabulary", "Terminal"),
}
PRIORITIES: dict[str, str] = {
    "normal": QT_TRANSLATE_NOOP("Vocabulary", "normal"),
    "dispatcher": QT_TRANSLATE_NOOP("Vocabulary", "dispatcher"),
    "imminent_peril": QT_TRANSLATE_NOOP("Vocabulary", "imminent peril"),
    "emergency": QT_TRANSLATE_NOOP("Vocabulary", "emergency"),
}
DUPLEX: dict[str, str] = {
    "half": QT_TRANSLATE_NOOP("Vocabulary", "Half duplex (PTT)"),
    "full": QT_TRANSLATE_NOOP("Vocabulary", "Full duplex (like a phone)"),
}
#: the same, short (in a list row)
DUPLEX_SHORT: dict[str, str] = {
    "half": QT_TRANSLATE_NOOP("Vocabulary", "half duplex"),
    "full": QT_TRANSLATE_NOOP("Vocabulary", "full duplex"),
}
SUBSYSTEMS: dict[str, str] = {
    "train_dispatch": QT_TRANSLATE_NOOP("Vocabulary", "Train dispatch"),
    "environment": QT_TRANSLATE_NOOP("Vocabulary", "Environment and equipment control"),
    "maintenance": QT_TRANSLATE_NOOP("Vocabulary", "Maintenance"),
    "depot": QT_TRANSLATE_NOOP("Vocabulary", "Depot"),
    "line": QT_TRANSLATE_NOOP("Vocabulary", "Whole line"),
}
TERMINAL_KINDS: dict[str, str] = {
    "station": QT_TRANSLATE_NOOP("Vocabulary", "Station radio"),
    "train": QT_TRANSLATE_NOOP("Vocabulary", "Train radio"),
    "handset": QT_TRANSLATE_NOOP("Vocabulary", "Handset"),
    "recorder": QT_TRANSLATE_NOOP("Vocabulary", "Body-worn recorder"),
    "camera": QT_TRANSLATE_NOOP("Vocabulary", "Camera"),
    "console": QT_TRANSLATE_NOOP("Vocabulary", "Dispatch console"),
    "gateway": QT_TRANSLATE_NOOP("Vocabulary", "Gateway"),
}
END_REASONS: dict[str, str] = {
    "released": QT_TRANSLATE_NOOP("Vocabulary", "released"),
    "force_released": QT_TRANSLATE_NOOP("Vocabulary", "force-released"),
    "hang_timeout": QT_TRANSLATE_NOOP("Vocabulary", "hang time over"),
    "rejected": QT_TRANSLATE_NOOP("Vocabulary", "rejected"),
    "no_answer": QT_TRANSLATE_NOOP("Vocabulary", "no answer"),
    "pre_empted": QT_TRANSLATE_NOOP("Vocabulary", "pre-empted"),
    "snapshot": QT_TRANSLATE_NOOP("Vocabulary", "no longer listed by the platform"),
}


def word(table: dict[str, str], value: str | None, context: str = _C) -> str:
    """``value`` in the desk's language through ``table`` (whose sources are marked in translation ``context``);
    unknown values as the platform sent them."""
    if value is None:
        return ""
    source = table.get(value)
    return QCoreApplication.translate(context, source) if source is not None else value


def chinese() -> bool:
    """The desk speaks Chinese now (`console.ui.i18n.Languages` sets the default locale)."""
    return QLocale().language() == QLocale.Language.Chinese


def local_name(name: str, name_zh: str) -> str:
    """The name to show in the desk's language (the other one when that one is empty)."""
    return (name_zh or name) if chinese() else (name or name_zh)


def terminal_name(world: Any, terminal_id: str | None) -> str:
    """A terminal's name in the desk's language, else its id (the id is always in the name of handsets)."""
    if not terminal_id:
        return ""
    info = world.terminals.get(terminal_id)
    if info is None:
        return terminal_id
    return local_name(info.name, info.name_zh) or terminal_id


def terminal_label(world: Any, terminal_id: str | None) -> str:
    """A terminal's name followed by its id when the name does not already show it (``1901车车载台 · TR1901``)."""
    name = terminal_name(world, terminal_id)
    if not terminal_id or terminal_id in name:
        return name
    return f"{name} · {terminal_id}"


def party_name(world: Any, party: str | None) -> str:
    """A call party: a terminal's name, "you" for this desk, else the dispatcher's user name."""
    if not party:
        return ""
    if party == world.me:
        return QCoreApplication.translate("Vocabulary", "you (%1)").replace("%1", party)
    return terminal_name(world, party)


def group_name(world: Any, group_id: str | None) -> str:
    """A group's name in the desk's language, else its id."""
    if not group_id:
        return ""
    info = world.groups.get(group_id)
    if info is None:
        return group_id
    return local_name(info.name, info.name_zh) or group_id


def place_name(world: Any, code: str | None) -> str:
    """A station's or depot's name from the line layout, else its code."""
    if not code:
        return ""
    place = world.layout.place(code)
    if place is None:
        return code
    return local_name(place.name, place.name_zh) or code


def location_text(world: Any, location: Any) -> str:
    """Where a terminal is, in words: at a station, between two, in an area, or nothing when unknown."""
    if location is None:
        return ""
    parts: list[str] = []
    if location.train_number:
        parts.append(QCoreApplication.translate("Vocabulary", "train %1").replace("%1", location.train_number))
    if location.station and location.next_station:
        parts.append(QCoreApplication.translate("Vocabulary", "between %1 and %2")
                     .replace("%1", place_name(world, location.station))
                     .replace("%2", place_name(world, location.next_station)))
    elif location.station:
        at = QCoreApplication.translate("Vocabulary", "at %1")
        parts.append(at.replace("%1", place_name(world, location.station)))
    elif location.area:
        area = QCoreApplication.translate("Vocabulary", "in %1")
        parts.append(area.replace("%1", place_name(world, location.area)))
    return ", ".join(parts)


def home_of(world: Any, terminal_id: str | None) -> str | None:
    """The station where a terminal is now (its last fix), else its home station; None when unknown."""
    info = world.terminals.get(terminal_id) if terminal_id else None
    if info is None:
        return None
    if info.location is not None and info.location.station:
        return str(info.location.station)
    return str(info.station) if info.station is not None else None


def duration_text(seconds: float) -> str:
    """A duration as a clock shows it: ``0:42``, ``12:05``, ``1:02:03`` (never negative)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


__all__ = ["ALARM_SOURCES", "ALARM_STATES", "ALERT_KINDS", "ALERT_STATES", "CALL_KINDS", "DUPLEX", "DUPLEX_SHORT",
           "END_REASONS", "PRIORITIES", "SEVERITIES", "SUBSYSTEMS", "TERMINAL_KINDS", "chinese", "duration_text",
           "group_name", "home_of", "local_name", "location_text", "party_name", "place_name", "terminal_label",
           "terminal_name", "word"]
