"""Breaking the test bench's platform: kill, pause, resume, isolate, restore and restart instance A or B, kill and
restart the witness, and, on the Janus plane, kill, pause, resume and restart the bench's Janus, while the maintainer
watches the desk fail over (or show the media plane down and recover). Each row shows the process as the bench knows
it (running, paused, isolated, stopped, with its pid) and the instance as the desk sees it (active or standby, its
link up or down); `refresh` re-reads both (the panel calls it on a timer and when the desk's links change).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.core.world import media_plane_down
from console.ui.colours import GRANTED, MUTED_TEXT, WAITING
from console.ui.test_mode.parts import StatusLine, set_enabled

logger = logging.getLogger(__name__)

INSTANCE_FAULTS = ("kill", "pause", "resume", "isolate", "restore", "restart")
WITNESS_FAULTS = ("kill", "restart")
JANUS_FAULTS = ("kill", "pause", "resume", "restart")
ROWS = ("A", "B", "witness", "janus")
#: the rows shown only when the bench has what they break
_OPTIONAL_ROWS = ("janus",)
_PROCESS_COLOURS = {"running": GRANTED, "paused": WAITING, "isolated": WAITING, "stopped": "#ff5a5f"}


class FaultsPanel(QWidget):
    """One row per process of the pair (see the module docstring); disabled without the bench's own pair."""

    def __init__(self, bench: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testFaultsPanel")
        self.bench = bench
        self.status = StatusLine(self)
        self.status.setObjectName("testFaultStatus")
        self.names: dict[str, QLabel] = {}
        self.states: dict[str, QLabel] = {}
        self.buttons: dict[tuple[str, str], QPushButton] = {}
        #: every widget of a row (to hide the rows the bench has nothing for)
        self.row_widgets: dict[str, list[QWidget]] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        for row, name in enumerate(ROWS):
            title = QLabel(self)
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            self.names[name] = title
            state = QLabel(self)
            state.setObjectName(f"testInstanceState_{name}")
            state.setTextFormat(Qt.TextFormat.RichText)
            self.states[name] = state
            buttons = QHBoxLayout()
            buttons.setSpacing(6)
            self.row_widgets[name] = [title, state]
            faults = WITNESS_FAULTS if name == "witness" else JANUS_FAULTS if name == "janus" else INSTANCE_FAULTS
            for fault in faults:
                button = QPushButton(self)
                button.setObjectName(f"testFault_{fault}_{name}")
                if fault == "kill":
                    button.setProperty("role", "danger")
                button.clicked.connect(lambda _checked=False, f=fault, n=name: self.fault(f, n))
                self.buttons[(fault, name)] = button
                self.row_widgets[name].append(button)
                buttons.addWidget(button)
            buttons.addStretch(1)
            # each process: its name and state on one line, its faults on the next
            grid.addWidget(title, row * 3, 0)
            grid.addWidget(state, row * 3, 1)
            grid.addLayout(buttons, row * 3 + 1, 0, 1, 2)
            grid.setRowMinimumHeight(row * 3 + 2, 8)
        grid.setColumnStretch(1, 1)
        self.note = QLabel(self)
        self.note.setObjectName("testFaultsNote")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.retranslate()

    def fault(self, action: str, instance: str) -> None:
        """Make the fault now; the row follows what happened."""
        doing = self.tr("%1 %2…").replace("%1", self._fault_name(action)).replace("%2", instance)
        self.status.run(doing, self.bench.fault(action, instance),
                        lambda name: self.tr("%1: %2 done").replace("%1", str(name)).replace(
                            "%2", self._fault_name(action)))

    def refresh(self) -> None:
        """Re-read every process's state and the desk's view of it; enable the faults that make sense now."""
        states = {s.name: s for s in self.bench.instances()}
        owned = self.bench.has_pair
        self.note.setVisible(not owned)
        for name in ROWS:
            state = states.get(name)
            if name in _OPTIONAL_ROWS:
                for widget in self.row_widgets[name]:
                    widget.setVisible(state is not None)
            text = self._describe(state) if state is not None else "—"
            if self.states[name].text() != text:  # the desk's links change many times a second: repaint on news
                self.states[name].setText(text)
            for (fault, row), button in self.buttons.items():
                if row == name:
                    set_enabled(button, state is not None and _makes_sense(fault, state.process))

    def _describe(self, state: Any) -> str:
        process = {"running": self.tr("running"), "paused": self.tr("paused"), "isolated": self.tr("isolated"),
                   "stopped": self.tr("stopped")}[state.process]
        colour = _PROCESS_COLOURS[state.process]
        text = f'<span style="color:{colour}">{process}</span>'
        if state.pid is not None:
            text += f' <span style="color:{MUTED_TEXT}">pid {state.pid}</span>'
        if state.name == "janus":
            down = media_plane_down(self.bench.session.desk.world) if self.bench.session is not None else None
            seen = self.tr("desk sees: media plane down") if down is not None else self.tr("desk sees: media plane up")
            text += f' <span style="color:{MUTED_TEXT}">· {seen}</span>'
        elif state.name != "witness":
            role = {"active": self.tr("active"), "standby": self.tr("standby")}.get(state.role or "", "?")
            if state.link == "up":
                seen = self.tr("desk sees: %1, link up").replace("%1", role)
            else:  # the role is the last the desk heard: say so
                seen = self.tr("desk sees: link %1 (was %2)").replace("%1", state.link or "?").replace("%2", role)
            text += f' <span style="color:{MUTED_TEXT}">· {seen}</span>'
        return text

    def _fault_name(self, fault: str) -> str:
        return {"kill": self.tr("Kill"), "pause": self.tr("Pause"), "resume": self.tr("Resume"),
                "isolate": self.tr("Isolate"), "restore": self.tr("Restore"), "restart": self.tr("Restart")}[fault]

    def retranslate(self) -> None:
        self.note.setText(self.tr("Faults need the test bench's own pair: start the desk with "
                                  "trunkdesk demo --test-mode."))
        self.names["A"].setText(self.tr("Instance A"))
        self.names["B"].setText(self.tr("Instance B"))
        self.names["witness"].setText(self.tr("Witness"))
        self.names["janus"].setText(self.tr("Janus (media plane)"))
        tips = {"kill": self.tr("SIGKILL: the process vanishes without a word"),
                "pause": self.tr("SIGSTOP: frozen with its sockets open"),
                "resume": self.tr("SIGCONT: a paused process runs again"),
                "isolate": self.tr("Freeze every link to and from it: its clients, the pair link and the witness"),
                "restore": self.tr("Let its links flow again"),
                "restart": self.tr("Start it again on its ports")}
        janus_tips = {"kill": self.tr("SIGKILL Janus: every feed and voice through it stops; the desk shows the "
                                      "media plane down"),
                      "pause": self.tr("SIGSTOP Janus: a hung media server, its sockets open"),
                      "resume": self.tr("SIGCONT: the paused Janus runs again"),
                      "restart": self.tr("Start Janus again on its ports: the media comes back by itself")}
        for (fault, name), button in self.buttons.items():
            button.setText(self._fault_name(fault))
            button.setToolTip(janus_tips[fault] if name == "janus" else tips[fault])
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _makes_sense(fault: str, process: str) -> bool:
    """Whether ``fault`` can be made on a process in state ``process``."""
    if fault in ("kill", "pause", "isolate"):
        return process == "running" or (fault == "kill" and process in ("paused", "isolated"))
    if fault == "resume":
        return process == "paused"
    if fault == "restore":
        return process == "isolated"
    return True  # restart: always (a running process is stopped first)


__all__ = ["INSTANCE_FAULTS", "JANUS_FAULTS", "ROWS", "WITNESS_FAULTS", "FaultsPanel"]
