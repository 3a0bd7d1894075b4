"""The red emergency banner across the top of the desk: there, blinking and sounding, while any emergency alert is
unacknowledged.

It shows the alert the Acknowledge key (F2) would acknowledge (the one "next alert" focused, else the oldest):
who raised it, what kind, in which group, where, how long ago, and how many more wait. Acknowledge, Take call
(the alert's group becomes the talk group: Space talks into the emergency call) and Cancel (asks twice) act on it;
Silence stops the tone until the next new alert. `install_emergency_banner` puts it in a window.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from console.ui.alert_tone import AlertTone
from console.ui.bridge import DeskBridge
from console.ui.command_runner import CommandRunner
from console.ui.emergency_actions import show_location, take_call
from console.ui.resources import icon
from console.ui.shortcuts import key_of
from console.ui.two_step import TwoStep
from console.ui.vocabulary import ALERT_KINDS, duration_text, group_name, location_text, terminal_label, word

logger = logging.getLogger(__name__)

#: half a blink of the border, ms
BLINK_MS = 500


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class EmergencyBanner(QFrame):
    """The banner (see the module docstring). ``wanted(bool)`` says whether it should be on screen."""

    wanted = Signal(bool)

    def __init__(self, world: Any, desk: Any, bridge: DeskBridge, commands: Any = None, *,
                 tone: AlertTone | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyBanner")
        self.setProperty("state", "emergency")
        self.setProperty("blink", False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.world = world
        self.desk = desk
        self.bridge = bridge
        self.commands = commands
        self.runner = CommandRunner(commands, parent=self)
        self.tone = tone if tone is not None else AlertTone(self)
        self._focused: str | None = None
        self._known: set[str] = set()
        self.cancel_confirm = TwoStep(parent=self)
        #: an unacknowledged alert is on the banner: it must be on screen
        self.is_wanted = False

        self.symbol = QLabel(self)
        self.symbol.setObjectName("bannerSymbol")
        self.symbol.setPixmap(icon("emergency").pixmap(QSize(44, 44)))
        self.headline = QLabel(self)
        self.headline.setObjectName("bannerHeadline")
        self.details = QLabel(self)
        self.details.setObjectName("bannerDetails")  # one line: the banner stays one row high
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.failure = QLabel(self)
        self.failure.setObjectName("bannerFailure")
        self.failure.hide()

        self.ack_button = self._button("ackEmergencyButton", self.acknowledge)
        self.take_button = self._button("takeCallButton", self.take_call)
        self.location_button = self._button("bannerLocationButton", self.show_location)
        self.cancel_button = self._button("cancelEmergencyButton", self.cancel)
        self.silence_button = self._button("silenceButton", self.silence)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(12)
        layout.addWidget(self.symbol)
        layout.addWidget(self.headline)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.failure)
        for button in (self.ack_button, self.take_button, self.location_button, self.cancel_button,
                       self.silence_button):
            layout.addWidget(button)

        self._blink = QTimer(self)
        self._blink.setInterval(BLINK_MS)
        self._blink.timeout.connect(self._on_blink)
        self.cancel_confirm.changed.connect(self.retranslate)
        self.runner.failed.connect(self._on_failed)
        bridge.alertChanged.connect(self.refresh)
        bridge.snapshotApplied.connect(self.refresh)
        bridge.groupsChanged.connect(self.refresh)
        if commands is not None:
            commands.alertFocused.connect(self.focus_alert)
        self.retranslate()

    def _button(self, name: str, slot: Any) -> QPushButton:
        button = QPushButton(self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space stays PTT
        button.clicked.connect(slot)
        return button

    # ----- which alert --------------------------------------------------------------------------

    def active_alerts(self) -> list[Any]:
        """Unacknowledged alerts, oldest first (the order the Acknowledge key takes them in)."""
        active = [a for a in self.world.alerts.values() if a.state == "active"]
        return sorted(active, key=lambda a: (a.raised_ms, a.id))

    def shown_alert(self) -> Any:
        """The alert on the banner: the focused one while it is unacknowledged, else the oldest."""
        active = self.active_alerts()
        return next((a for a in active if a.id == self._focused), active[0] if active else None)

    def focus_alert(self, alert_id: str) -> None:
        """Show ``alert_id`` (the shell's "next alert" stepped to it)."""
        self._focused = alert_id
        self.refresh()

    # ----- commands ---------------------------------------------------------------------------

    def acknowledge(self) -> None:
        alert = self.shown_alert()
        if alert is not None:
            self.runner.run(self.tr("Acknowledge emergency"), self.desk.ack_emergency(alert.id))

    def take_call(self) -> None:
        alert = self.shown_alert()
        if alert is not None:
            take_call(self.world, self.desk, self.commands, self.runner, alert)

    def show_location(self) -> None:
        alert = self.shown_alert()
        if alert is not None:
            show_location(self.world, self.bridge, self.commands, terminal=alert.terminal, location=alert.location)

    def cancel(self) -> None:
        """First click arms, second click (within 5 s, same alert) cancels: a false alarm, or the emergency is over."""
        alert = self.shown_alert()
        if alert is None:
            return
        if not self.cancel_confirm.confirm(alert.id):
            return
        reason = self.tr("cancelled by dispatcher %1").replace("%1", self.world.me)
        self.runner.run(self.tr("Cancel emergency"), self.desk.cancel_emergency(alert.id, reason))

    def silence(self) -> None:
        """Stop the tone until a new alert arrives (the banner stays)."""
        self.tone.mute(True)
        self.retranslate()

    def _on_failed(self, what: str, reason: str) -> None:
        self.failure.setText(self.tr("%1 failed: %2").replace("%1", what).replace("%2", reason))
        self.failure.show()

    # ----- showing ----------------------------------------------------------------------------

    def refresh(self, *_: Any) -> None:
        active = self.active_alerts()
        ids = {a.id for a in active}
        if ids - self._known:  # a new alert: sound again even if the last one was silenced
            self.tone.mute(False)
            self.failure.hide()
        self._known = ids
        alert = self.shown_alert()
        if alert is None:
            self._blink.stop()
            self.tone.stop()
            self.cancel_confirm.disarm()
            self.is_wanted = False
            self.wanted.emit(False)
            return
        self.headline.setText(self.headline_text(alert))
        self.details.setText(self.details_text(alert, len(active) - 1))
        self.details.setToolTip(self.details.text())
        self.take_button.setEnabled(alert.group is not None)
        self.cancel_confirm.keep_only(alert.id)
        if not self._blink.isActive():
            self._blink.start()
        self.tone.start()
        self.is_wanted = True
        self.wanted.emit(True)

    def headline_text(self, alert: Any) -> str:
        kind = word(ALERT_KINDS, alert.kind).upper() if alert.kind != "emergency" else self.tr("EMERGENCY")
        return f"{kind} — {terminal_label(self.world, alert.terminal)}"

    def details_text(self, alert: Any, others: int) -> str:
        world = self.world
        parts = []
        if alert.group:
            parts.append(group_name(world, alert.group))
        where = location_text(world, alert.location)
        if not where:
            info = world.terminals.get(alert.terminal)
            where = location_text(world, info.location) if info is not None else ""
        if where:
            parts.append(where)
        if alert.raised_ms:
            parts.append(self.tr("%1 ago").replace("%1", duration_text(world.clock() - alert.raised_ms / 1000)))
        if others > 0:
            parts.append(self.tr("%1 more unacknowledged").replace("%1", str(others)))
        return "  ·  ".join(parts)

    def _on_blink(self) -> None:
        self.setProperty("blink", not self.property("blink"))
        _repolish(self)
        alert = self.shown_alert()
        if alert is not None:  # the age moves on
            self.details.setText(self.details_text(alert, len(self.active_alerts()) - 1))

    def retranslate(self) -> None:
        ack_key = key_of("ack_emergency").toString()
        self.ack_button.setText(self.tr("Acknowledge (%1)").replace("%1", ack_key) if ack_key
                                else self.tr("Acknowledge"))
        self.take_button.setText(self.tr("Take call"))
        self.take_button.setToolTip(self.tr("Talk in the emergency's group: hold PTT or Space"))
        self.location_button.setText(self.tr("Show location"))
        armed = self.cancel_confirm.armed is not None
        self.cancel_button.setText(self.tr("Click again to cancel") if armed else self.tr("Cancel alert"))
        self.cancel_button.setProperty("armed", armed)
        _repolish(self.cancel_button)
        self.silence_button.setText(self.tr("Tone off") if not self.tone.muted else self.tr("Tone is off"))
        self.silence_button.setEnabled(not self.tone.muted)
        alert = self.shown_alert()
        if alert is not None:
            self.headline.setText(self.headline_text(alert))
            self.details.setText(self.details_text(alert, len(self.active_alerts()) - 1))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def install_emergency_banner(window: QMainWindow, context: Any) -> EmergencyBanner:
    """Put the banner across the top of ``window`` (above every dock), shown only while it is wanted."""
    bar = QToolBar(window)
    bar.setObjectName("emergencyBar")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.toggleViewAction().setVisible(False)  # the dispatcher cannot hide it from the toolbar menu
    bar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
    banner = EmergencyBanner(context.world, context.desk, context.bridge, context.commands, parent=bar)
    bar.addWidget(banner)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    bar.hide()
    banner.wanted.connect(bar.setVisible)

    def keep_as_wanted(_visible: bool) -> None:
        # a restored window state (or anything else) must not show an empty banner, nor hide a live one
        if bar.isHidden() == banner.is_wanted:
            QTimer.singleShot(0, bar, lambda: bar.setVisible(banner.is_wanted))

    bar.visibilityChanged.connect(keep_as_wanted)
    banner.refresh()
    return banner


__all__ = ["BLINK_MS", "EmergencyBanner", "install_emergency_banner"]
