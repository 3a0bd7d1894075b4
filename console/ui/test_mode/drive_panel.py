"""Driving one simulated terminal by hand: PTT (held like the real button), a talk burst, emergency and its cancel,
a status code, a text, a move along the line, an alarm, dropping and restoring its link, getting its camera ready.

Every button runs the bench's coroutine on the qasync loop through a `CommandStatus` line, which says what is under
way and how it ended (a refusal in red, never an exception into Qt).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.ui.panes.terminal_look import kind_name, place_label
from console.ui.test_mode.parts import StatusLine, set_enabled

logger = logging.getLogger(__name__)

ALARM_SOURCES = ("equipment", "sensor", "video_analytics", "terminal")
SEVERITIES = ("critical", "major", "minor", "info")


class DrivePanel(QWidget):
    """The controls for the terminal chosen in the list (`set_terminal`); disabled while none is chosen."""

    def __init__(self, bench: Any, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testDrivePanel")
        self.bench = bench
        self.world = world
        self.terminal: str | None = None
        self.status = StatusLine(self)
        self.status.setObjectName("testDriveStatus")
        self._build()
        self.set_terminal(None)
        self.retranslate()

    # ----- building -------------------------------------------------------------------------------

    def _button(self, name: str, slot: Any, *, role: str = "") -> QPushButton:
        button = QPushButton(self)
        button.setObjectName(name)
        if role:
            button.setProperty("role", role)
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        self.labels: dict[str, QLabel] = {}

        def row(key: str, *widgets: QWidget, stretch: QWidget | None = None) -> None:
            """A labelled row of controls (``stretch`` takes the room left, else the row keeps left)."""
            label = QLabel(self)
            self.labels[key] = label
            r = grid.rowCount()
            grid.addWidget(label, r, 0)
            line = QHBoxLayout()
            line.setSpacing(6)
            for widget in widgets:
                line.addWidget(widget, 1 if widget is stretch else 0)
            if stretch is None:
                line.addStretch(1)
            grid.addLayout(line, r, 1)

        self.ptt_button = QPushButton(self)
        self.ptt_button.setObjectName("testPttButton")
        self.ptt_button.pressed.connect(self.ptt_press)
        self.ptt_button.released.connect(self.ptt_release)
        self.talk_seconds = QDoubleSpinBox(self)
        self.talk_seconds.setObjectName("testTalkSeconds")
        self.talk_seconds.setRange(0.5, 120.0)
        self.talk_seconds.setDecimals(1)
        self.talk_seconds.setValue(3.0)
        self.talk_button = self._button("testTalkButton", self.talk)
        row("voice", self.ptt_button, self.talk_seconds, self.talk_button)

        self.emergency_kind = QComboBox(self)
        self.emergency_kind.setObjectName("testEmergencyKind")
        self.emergency_button = self._button("testEmergencyButton", self.emergency, role="danger")
        self.cancel_button = self._button("testCancelEmergencyButton", self.cancel_emergency)
        row("emergency", self.emergency_kind, self.emergency_button, self.cancel_button)

        self.status_code = QSpinBox(self)
        self.status_code.setObjectName("testStatusCode")
        self.status_code.setRange(0, 65535)
        self.status_code.setValue(1)
        self.status_button = self._button("testStatusButton", self.send_status)
        self.text_edit = QLineEdit(self)
        self.text_edit.setObjectName("testTextEdit")
        self.text_edit.returnPressed.connect(self.send_text)
        self.text_to_dispatcher = QCheckBox(self)
        self.text_to_dispatcher.setChecked(True)
        self.text_button = self._button("testTextButton", self.send_text)
        row("status", self.status_code, self.status_button)
        row("text", self.text_edit, self.text_button, stretch=self.text_edit)
        row("text_to", self.text_to_dispatcher)

        self.move_station = QComboBox(self)
        self.move_station.setObjectName("testMoveStation")
        self.move_next = QComboBox(self)
        self.move_next.setObjectName("testMoveNext")
        self.move_hold = QCheckBox(self)
        self.move_button = self._button("testMoveButton", self.move_terminal)
        self.move_station.currentIndexChanged.connect(self._fill_neighbours)
        for box in (self.move_station, self.move_next):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(14)
        row("move", self.move_station, self.move_next)
        row("move_how", self.move_hold, self.move_button)

        self.alarm_source = QComboBox(self)
        self.alarm_source.setObjectName("testAlarmSource")
        self.alarm_severity = QComboBox(self)
        self.alarm_severity.setObjectName("testAlarmSeverity")
        self.alarm_code = QLineEdit(self)
        self.alarm_code.setObjectName("testAlarmCode")
        self.alarm_code.setText("FIRE-1")
        self.alarm_code.setMaximumWidth(110)
        self.alarm_text = QLineEdit(self)
        self.alarm_text.setObjectName("testAlarmText")
        self.alarm_button = self._button("testAlarmButton", self.alarm)
        row("alarm", self.alarm_source, self.alarm_severity)
        row("alarm_text", self.alarm_code, self.alarm_text, self.alarm_button, stretch=self.alarm_text)

        self.drop_button = self._button("testDropLinkButton", self.drop_link)
        self.restore_button = self._button("testRestoreLinkButton", self.restore_link)
        self.video_button = self._button("testVideoButton", self.publish_video)
        row("link", self.drop_button, self.restore_button, self.video_button)

        self.heading = QLabel(self)
        self.heading.setObjectName("testDriveHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        self._controls: list[QWidget] = [
            self.ptt_button, self.talk_seconds, self.talk_button, self.emergency_kind, self.emergency_button,
            self.cancel_button, self.status_code, self.status_button, self.text_edit, self.text_to_dispatcher,
            self.text_button, self.move_station, self.move_next, self.move_hold, self.move_button,
            self.alarm_source, self.alarm_severity, self.alarm_code, self.alarm_text, self.alarm_button,
            self.drop_button, self.restore_button, self.video_button]
        self._fill_places()

    def _fill_places(self) -> None:
        line = self.bench.line
        current = self.move_station.currentData()
        self.move_station.blockSignals(True)
        self.move_station.clear()
        codes = [s.code for s in line.stations] + [d.code for d in line.depots]
        for code in codes:
            self.move_station.addItem(place_label(self.world, code), code)
        index = self.move_station.findData(current)
        self.move_station.setCurrentIndex(max(index, 0))
        self.move_station.blockSignals(False)
        self._fill_neighbours()

    def _fill_neighbours(self) -> None:
        """The second place of a move: nothing (at the station), or a neighbouring station (a train between)."""
        line = self.bench.line
        code = self.move_station.currentData()
        chosen = self.move_next.currentData()
        self.move_next.clear()
        self.move_next.addItem(self.tr("at the station"), None)
        stations = [s.code for s in line.stations]
        train = self.terminal is not None and self.bench.line.terminals[self.terminal].kind == "train"
        if code in stations and train:
            i = stations.index(code)
            for j in (i - 1, i + 1):
                if 0 <= j < len(stations):
                    label = self.tr("towards %1").replace("%1", place_label(self.world, stations[j]))
                    self.move_next.addItem(label, stations[j])
        self.move_next.setCurrentIndex(max(self.move_next.findData(chosen), 0))
        self.move_next.setEnabled(self.move_next.count() > 1 and self.terminal is not None)

    # ----- the chosen terminal ------------------------------------------------------------------

    def set_terminal(self, terminal: str | None) -> None:
        """Drive ``terminal`` from now on (None: nothing chosen, every control disabled)."""
        if terminal != self.terminal and self.ptt_button.isDown():
            self.ptt_button.setDown(False)
            self.ptt_release()
        self.terminal = terminal
        for control in self._controls:
            if isinstance(control, QPushButton):
                set_enabled(control, terminal is not None)
            else:
                control.setEnabled(terminal is not None)
        set_enabled(self.video_button, terminal is not None and self.bench.media_unavailable is None)
        self._fill_neighbours()
        self._show_heading()

    def _show_heading(self) -> None:
        if self.terminal is None:
            self.heading.setText(self.tr("Choose a simulated terminal in the list to drive it"))
            return
        kind = self.bench.line.terminals[self.terminal].kind
        self.heading.setText(self.tr("Driving %1 (%2)").replace("%1", self.terminal).replace("%2", kind_name(kind)))

    # ----- actions --------------------------------------------------------------------------------

    def _run(self, doing: str, coroutine: Any, done: Any = None) -> None:
        self.status.run(doing.replace("%1", self.terminal or ""), coroutine, done)

    def ptt_press(self) -> None:
        if self.terminal is None:
            return
        terminal = self.terminal
        self._run(self.tr("%1 presses PTT…"), self.bench.ptt_press(terminal),
                  lambda outcome: self.tr("%1: floor %2").replace("%1", terminal).replace("%2", outcome.outcome))

    def ptt_release(self) -> None:
        if self.terminal is None:
            return
        terminal = self.terminal
        self._run(self.tr("%1 releases PTT…"), self.bench.ptt_release(terminal),
                  lambda _none: self.tr("%1 released PTT").replace("%1", terminal))

    def talk(self) -> None:
        if self.terminal is None:
            return
        seconds = self.talk_seconds.value()
        self._run(self.tr("%1 talks…"), self.bench.talk(self.terminal, seconds),
                  lambda outcome: self.tr("Talk burst: floor %1").replace("%1", outcome.outcome))

    def emergency(self) -> None:
        if self.terminal is None:
            return
        kind = self.emergency_kind.currentData() or "emergency"
        self._run(self.tr("%1 raises an emergency…"), self.bench.emergency(self.terminal, kind),
                  lambda outcome: self.tr("Emergency %1 raised").replace("%1", outcome.alert))

    def cancel_emergency(self) -> None:
        if self.terminal is None:
            return
        self._run(self.tr("%1 cancels its emergency…"), self.bench.cancel_emergency(self.terminal),
                  lambda _none: self.tr("Emergency cancelled"))

    def send_status(self) -> None:
        if self.terminal is None:
            return
        code = self.status_code.value()
        self._run(self.tr("%1 sends a status…"), self.bench.status(self.terminal, code),
                  lambda _none: self.tr("Status %1 sent").replace("%1", str(code)))

    def send_text(self) -> None:
        text = self.text_edit.text().strip()
        if self.terminal is None or not text:
            return
        self._run(self.tr("%1 sends a text…"),
                  self.bench.text(self.terminal, text, to_dispatcher=self.text_to_dispatcher.isChecked()),
                  lambda _id: self.tr("Text sent"))

    def move_terminal(self) -> None:
        station = self.move_station.currentData()
        if self.terminal is None or station is None:
            return
        self._run(self.tr("%1 moves…"), self.bench.move(self.terminal, station, self.move_next.currentData(),
                                                         hold=self.move_hold.isChecked()),
                  lambda location: self.tr("Reported at %1").replace("%1", _where(location)))

    def alarm(self) -> None:
        code = self.alarm_code.text().strip()
        if self.terminal is None or not code:
            return
        self._run(self.tr("%1 raises an alarm…"),
                  self.bench.alarm(self.terminal, code, self.alarm_text.text().strip(),
                                   self.alarm_source.currentData(), self.alarm_severity.currentData()),
                  lambda alarm: self.tr("Alarm %1 raised").replace("%1", str(alarm)))

    def drop_link(self) -> None:
        if self.terminal is not None:
            self._run(self.tr("%1 loses its link…"), self.bench.drop_link(self.terminal),
                      lambda _none: self.tr("Link dropped"))

    def restore_link(self) -> None:
        if self.terminal is not None:
            self._run(self.tr("%1 comes back…"), self.bench.restore_link(self.terminal),
                      lambda _none: self.tr("Link restored"))

    def publish_video(self) -> None:
        if self.terminal is not None:
            self._run(self.tr("%1 gets its camera ready…"), self.bench.publish_video(self.terminal),
                      lambda _none: self.tr("Camera ready: pull its video from the desk"))

    # ----- language ---------------------------------------------------------------------------------

    def retranslate(self) -> None:
        for key, text in (("voice", self.tr("Voice")), ("emergency", self.tr("Emergency")),
                          ("status", self.tr("Status")), ("text", self.tr("Text")), ("text_to", ""),
                          ("move", self.tr("Move to")), ("move_how", ""), ("alarm", self.tr("Alarm")),
                          ("alarm_text", self.tr("Code, text")), ("link", self.tr("Link, video"))):
            self.labels[key].setText(text)
        self.ptt_button.setText(self.tr("Hold to talk"))
        self.ptt_button.setToolTip(self.tr("The terminal presses PTT while you hold this button"))
        self.talk_seconds.setSuffix(self.tr(" s"))
        self.talk_button.setText(self.tr("Talk"))
        self.talk_button.setToolTip(self.tr("A talk burst of this many seconds"))
        kind = self.emergency_kind.currentData()
        self.emergency_kind.clear()
        self.emergency_kind.addItem(self.tr("Emergency"), "emergency")
        self.emergency_kind.addItem(self.tr("Imminent peril"), "imminent_peril")
        self.emergency_kind.setCurrentIndex(max(self.emergency_kind.findData(kind), 0))
        self.emergency_button.setText(self.tr("Raise"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.status_button.setText(self.tr("Send status"))
        self.text_edit.setPlaceholderText(self.tr("Text the terminal sends"))
        self.text_to_dispatcher.setText(self.tr("to the dispatcher (else to its home group)"))
        self.text_button.setText(self.tr("Send"))
        self.move_hold.setText(self.tr("hold"))
        self.move_hold.setToolTip(self.tr("A train stays there instead of running on"))
        self.move_button.setText(self.tr("Move"))
        for box, values, names in ((self.alarm_source, ALARM_SOURCES,
                                    (self.tr("Equipment"), self.tr("Sensor"), self.tr("Video analytics"),
                                     self.tr("Terminal"))),
                                   (self.alarm_severity, SEVERITIES,
                                    (self.tr("Critical"), self.tr("Major"), self.tr("Minor"), self.tr("Info")))):
            current = box.currentData()
            box.clear()
            for value, name in zip(values, names, strict=True):
                box.addItem(name, value)
            box.setCurrentIndex(max(box.findData(current or values[0 if box is self.alarm_source else 1]), 0))
        self.alarm_code.setPlaceholderText(self.tr("code"))
        self.alarm_text.setPlaceholderText(self.tr("what the alarm says"))
        self.alarm_button.setText(self.tr("Raise alarm"))
        self.drop_button.setText(self.tr("Drop link"))
        self.drop_button.setToolTip(self.tr("The terminal loses its link abruptly (no goodbye)"))
        self.restore_button.setText(self.tr("Restore link"))
        self.video_button.setText(self.tr("Start video"))
        self.video_button.setToolTip(self.tr("Get the terminal's camera ready to send: a pull from the desk is "
                                             "answered at once") if self.bench.media_unavailable is None else
                                     self.bench.media_unavailable)
        self._fill_places()
        self._show_heading()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _where(location: Any) -> str:
    if location.station and location.next_station:
        return f"{location.station} → {location.next_station}"
    return str(location.station or location.area or "?")


__all__ = ["ALARM_SOURCES", "SEVERITIES", "DrivePanel"]
