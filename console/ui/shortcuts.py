"""The desk's keyboard: one table of action name → default key, overridable per user in QSettings.

Hold actions (push-to-talk on Space and on the foot pedal) act on key press and key release and are handled
by `console.ui.ptt_keys.PttKeys`; every other entry becomes a window-wide `QAction` in
`console.ui.actions.DeskActions`. A foot pedal is a USB HID device that sends one key: F12 by default, set
``shortcuts/ptt_pedal`` (e.g. ``ScrollLock``) to match the pedal.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QKeySequence

from console.ui.i18n import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class Shortcut:
    """One action the dispatcher triggers from the keyboard."""

    name: str
    #: what it does (source string, context "Shortcuts")
    label: str
    #: default key in QKeySequence's portable text ("Ctrl+1", "F2", "Space")
    default: str
    #: press and release both matter (push-to-talk); not a QAction
    hold: bool = False

    def translated_label(self) -> str:
        return QCoreApplication.translate("Shortcuts", self.label)


_SELECT_GROUP = QT_TRANSLATE_NOOP("Shortcuts", "Select monitored group {n}")

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("ptt", QT_TRANSLATE_NOOP("Shortcuts", "Push to talk (hold)"), "Space", hold=True),
    Shortcut("ptt_pedal", QT_TRANSLATE_NOOP("Shortcuts", "Push to talk, foot pedal (hold)"), "F12", hold=True),
    Shortcut("ack_emergency", QT_TRANSLATE_NOOP("Shortcuts", "Acknowledge emergency"), "F2"),
    Shortcut("next_alert", QT_TRANSLATE_NOOP("Shortcuts", "Next alert"), "F3"),
    Shortcut("ack_alarm", QT_TRANSLATE_NOOP("Shortcuts", "Acknowledge alarm"), "F4"),
    Shortcut("answer_call", QT_TRANSLATE_NOOP("Shortcuts", "Answer incoming call"), "F5"),
    Shortcut("end_call", QT_TRANSLATE_NOOP("Shortcuts", "End call"), "F8"),
    Shortcut("search_log", QT_TRANSLATE_NOOP("Shortcuts", "Search the event log"), "Ctrl+F"),
    Shortcut("full_screen", QT_TRANSLATE_NOOP("Shortcuts", "Full screen"), "F11"),
    *(Shortcut(f"select_group_{n}", _SELECT_GROUP, f"Ctrl+{n}") for n in range(1, 10)),
)

BY_NAME: dict[str, Shortcut] = {s.name: s for s in SHORTCUTS}

_SETTINGS_GROUP = "shortcuts"


def label_of(name: str) -> str:
    """The translated label of shortcut ``name`` (with the group number filled in)."""
    shortcut = BY_NAME[name]
    text = shortcut.translated_label()
    if name.startswith("select_group_"):
        text = text.replace("{n}", name.rsplit("_", 1)[1])
    return text


def key_of(name: str, settings: QSettings | None = None) -> QKeySequence:
    """The key of shortcut ``name``: the user's override in QSettings, else the default."""
    shortcut = BY_NAME[name]
    settings = settings or QSettings()
    value = settings.value(f"{_SETTINGS_GROUP}/{name}", shortcut.default)
    key = QKeySequence(str(value))
    return key if not key.isEmpty() else QKeySequence(shortcut.default)


def set_key(name: str, key: QKeySequence | str, settings: QSettings | None = None) -> None:
    """Store the user's key for shortcut ``name`` (takes effect at the next start or `DeskActions.reload`)."""
    if name not in BY_NAME:
        raise KeyError(name)
    text = key.toString(QKeySequence.SequenceFormat.PortableText) if isinstance(key, QKeySequence) else key
    (settings or QSettings()).setValue(f"{_SETTINGS_GROUP}/{name}", text)
