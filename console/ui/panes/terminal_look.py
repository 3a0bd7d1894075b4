"""How terminals look on the desk: presence in words and colours, kinds in words and icons, names in the desk's
language. Shared by the stations, trains and handsets panes so that "unreachable" is the same grey everywhere.

Colours are chosen for the dark control-room theme (resources/themes/dark.qss): red is only ever an
emergency, grey is a terminal the desk cannot reach.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtGui import QColor, QIcon

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.resources import icon
from console.ui.vocabulary import chinese, word
from console.ui.vocabulary import local_name as names_local

_CONTEXT = "TerminalLook"

PRESENCE_NAMES: dict[str, str] = {
    "registered": QT_TRANSLATE_NOOP("TerminalLook", "Registered"),
    "busy": QT_TRANSLATE_NOOP("TerminalLook", "Busy"),
    "emergency": QT_TRANSLATE_NOOP("TerminalLook", "Emergency"),
    "unreachable": QT_TRANSLATE_NOOP("TerminalLook", "Unreachable"),
    "offline": QT_TRANSLATE_NOOP("TerminalLook", "Offline"),
    "disabled": QT_TRANSLATE_NOOP("TerminalLook", "Disabled"),
}

#: presence in the order a dispatcher scans for trouble (filter combos list it so)
PRESENCE_ORDER = ("emergency", "unreachable", "busy", "registered", "offline", "disabled")

#: text colour of a presence on the dark background (tables, trees)
PRESENCE_TEXT: dict[str, QColor] = {
    "registered": QColor("#3fb950"),
    "busy": QColor("#58a6ff"),
    "emergency": QColor("#ff5a5f"),
    "unreachable": QColor("#9aa5b1"),
    "offline": QColor("#6e7681"),
    "disabled": QColor("#6e7681"),
}

#: fill of a marker (line diagram chips): saturated, with white text readable on every one
PRESENCE_FILL: dict[str, QColor] = {
    "registered": QColor("#1a7f37"),
    "busy": QColor("#1f6feb"),
    "emergency": QColor("#d1242f"),
    "unreachable": QColor("#59636e"),
    "offline": QColor("#2d333b"),
    "disabled": QColor("#2d333b"),
}

#: background of a table row whose terminal is in emergency
EMERGENCY_ROW = QColor("#8e1119")
EMERGENCY_TEXT = QColor("#ffffff")

KIND_NAMES: dict[str, str] = {
    "station": QT_TRANSLATE_NOOP("TerminalLook", "Fixed radio"),
    "train": QT_TRANSLATE_NOOP("TerminalLook", "Train radio"),
    "handset": QT_TRANSLATE_NOOP("TerminalLook", "Handset"),
    "recorder": QT_TRANSLATE_NOOP("TerminalLook", "Body-worn recorder"),
    "camera": QT_TRANSLATE_NOOP("TerminalLook", "Camera"),
    "console": QT_TRANSLATE_NOOP("TerminalLook", "Dispatch console"),
    "gateway": QT_TRANSLATE_NOOP("TerminalLook", "Gateway"),
}

_KIND_ICONS = {"station": "radio", "train": "train", "handset": "handset", "recorder": "recorder",
               "camera": "camera", "console": "console", "gateway": "gateway"}

DIRECTION_NAMES: dict[str, str] = {
    "up": QT_TRANSLATE_NOOP("TerminalLook", "Up"),
    "down": QT_TRANSLATE_NOOP("TerminalLook", "Down"),
}


def presence_name(presence: str | None) -> str:
    """The translated word for a presence ("Unreachable", "不可达")."""
    return word(PRESENCE_NAMES, presence, _CONTEXT)


def presence_text_colour(presence: str | None) -> QColor:
    return PRESENCE_TEXT.get(presence or "offline", PRESENCE_TEXT["offline"])


def presence_fill(presence: str | None) -> QColor:
    return PRESENCE_FILL.get(presence or "offline", PRESENCE_FILL["offline"])


def kind_name(kind: str) -> str:
    return word(KIND_NAMES, kind, _CONTEXT)


def kind_icon(kind: str) -> QIcon:
    return icon(_KIND_ICONS.get(kind, "console"))


def direction_name(direction: str | None) -> str:
    return word(DIRECTION_NAMES, direction, _CONTEXT)


def local_name(thing: Any) -> str:
    """``name_zh`` while the desk speaks Chinese (when there is one), else ``name``; the id or code if unnamed.

    Works for terminals (`TerminalInfo`), groups and places (`console.core.layout.Place`)."""
    name = str(getattr(thing, "name", "") or "")
    name_zh = str(getattr(thing, "name_zh", "") or "")
    return names_local(name, name_zh) or str(getattr(thing, "id", "") or getattr(thing, "code", ""))


def place_label(world: Any, code: str | None) -> str:
    """"S03 文昌路" / "S03 Wenchang Road" for a code of the line (a depot, the OCC); the code alone if unknown."""
    if not code:
        return ""
    place = world.layout.place(code)
    return f"{code} {local_name(place)}" if place is not None and (place.name or place.name_zh) else code


def metres(value: float) -> str:
    """A chainage as the dispatcher reads it: "5,480 m"."""
    return QCoreApplication.translate("TerminalLook", "%1 m").replace("%1", QLocale(QLocale.Language.English).toString(
        round(value)))


__all__ = ["DIRECTION_NAMES", "EMERGENCY_ROW", "EMERGENCY_TEXT", "KIND_NAMES", "PRESENCE_FILL", "PRESENCE_NAMES",
           "PRESENCE_ORDER", "PRESENCE_TEXT", "chinese", "direction_name", "kind_icon", "kind_name", "local_name",
           "metres", "place_label", "presence_fill", "presence_name", "presence_text_colour"]
