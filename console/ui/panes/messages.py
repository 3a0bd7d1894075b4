"""Messages: texts and status messages received (newest first) with what this desk pushed to passenger screens;
sending a text or a status message to a terminal or a group; and passenger-information (PIS) messages, Chinese
and English, to chosen trains or to all of them.

Double-clicking a received message answers its sender.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.ui.colours import ALARM, CALL, GRANTED, MUTED_TEXT, brush
from console.ui.command_runner import CommandRunner
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import prepare_rows
from console.ui.pickers import Choice, Picker, terminal_choices
from console.ui.vocabulary import group_name, party_name, terminal_name

logger = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
_ROW_HEIGHT = 40


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed: a text, a status message or a PIS message this desk pushed."""

    key: str
    kind: str
    at: float
    sender: str
    to: str | None
    group: str | None
    body: Any


def feed_items(world: Any) -> list[FeedItem]:
    """Texts, statuses and PIS pushes, newest first."""
    items = [FeedItem(f"t:{t.message}", "text", t.sent_ms / 1000, t.sender, t.to, t.group, t) for t in world.texts]
    items += [FeedItem(f"s:{i}:{s.sender}:{s.sent_ms}", "status", s.sent_ms / 1000, s.sender, s.to, s.group, s)
              for i, s in enumerate(world.statuses)]
    items += [FeedItem(f"p:{p.message_id}", "pis", p.sent, world.me, None, None, p) for p in world.pis_sent]
    items.sort(key=lambda i: i.at, reverse=True)
    return items


class FeedModel(QAbstractTableModel):
    """The message feed: time, from, to, message."""

    TIME, SENDER, TO, MESSAGE = range(4)

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.items: list[FeedItem] = []
        self.refresh()

    def refresh(self) -> None:
        items = feed_items(self.world)
        keys, old = [i.key for i in items], [i.key for i in self.items]
        added = len(keys) - len(old)
        if added > 0 and keys[added:] == old:  # new messages on top: insert, keep the dispatcher's place
            self.beginInsertRows(QModelIndex(), 0, added - 1)
            self.items = items
            self.endInsertRows()
        elif keys != old:
            self.beginResetModel()
            self.items = items
            self.endResetModel()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.MESSAGE)
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, self.MESSAGE))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Time"), self.tr("From"), self.tr("To"), self.tr("Message"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item, column = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.MESSAGE and item.kind == "pis":
                return brush(ALARM if item.body.urgent else CALL)
            if column == self.MESSAGE and item.kind == "status":
                return brush(GRANTED)
            if column == self.TIME:
                return brush(MUTED_TEXT)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.MESSAGE:
            return self._text(item, column)
        return None

    def _text(self, item: FeedItem, column: int) -> str:
        world = self.world
        if column == self.TIME:
            return datetime.fromtimestamp(item.at).strftime("%H:%M:%S") if item.at else ""
        if column == self.SENDER:
            return party_name(world, item.sender)
        if column == self.TO:
            if item.kind == "pis":
                trains = item.body.trains
                return (self.tr("trains %1").replace("%1", ", ".join(trains)) if trains
                        else self.tr("all trains"))
            if item.to:
                return party_name(world, item.to)
            return group_name(world, item.group) if item.group else self.tr("everyone")
        if column == self.MESSAGE:
            if item.kind == "status":
                return self.tr("Status %1").replace("%1", str(item.body.status))
            if item.kind == "pis":
                texts = " / ".join(t for t in (item.body.text, item.body.text_en) if t)
                template = (self.tr("URGENT on passenger screens: %1") if item.body.urgent
                            else self.tr("Passenger screens: %1"))
                return template.replace("%1", texts)
            return str(item.body.text)
        return ""


def train_choices(world: Any) -> list[Choice]:
    """Trains by running number (the PIS addresses trains, not radios)."""
    choices = []
    for view in world.trains():
        if view.number:
            label = f"{view.number}  ·  {terminal_name(world, view.radio.id)}"
            choices.append(Choice(view.number, label, f"{view.number} {view.radio.id}", "train",
                                  view.radio.presence in ("offline", "unreachable", "disabled")))
    return choices


class MessagesPane(QWidget):
    """Received messages and the three ways to send (see the module docstring)."""

    def __init__(self, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messagesPane")
        self.world = context.world
        self.desk = context.desk
        self.runner = CommandRunner(context.commands, parent=self)
        self.model = FeedModel(self.world, self)

        #: the terminal ids listed in the terminal box (checked on every terminals batch: a set, not the combo)
        self._listed: set[str] = set()
        self.table = QTableView(self)
        self.table.setObjectName("messagesTable")
        self.table.setModel(self.model)
        prepare_rows(self.table, _ROW_HEIGHT)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for column in (FeedModel.TIME, FeedModel.SENDER, FeedModel.TO):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FeedModel.MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._reply)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("composeTabs")
        self.tabs.addTab(self._build_text_tab(), "")
        self.tabs.addTab(self._build_pis_tab(), "")
        self.outcome = QLabel(self)
        self.outcome.setObjectName("paneOutcome")
        self.outcome.setWordWrap(True)
        self.runner.failed.connect(self._on_failed)

        self.table.setMinimumHeight(80)  # the header and one message
        self.tabs.setDocumentMode(True)
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.outcome.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.tabs)

        bridge = context.bridge
        bridge.messageReceived.connect(lambda _change: self.model.refresh())
        bridge.pisSent.connect(lambda _id: self.model.refresh())
        bridge.terminalsChanged.connect(self._on_terminals)
        bridge.groupsChanged.connect(lambda _ids: self._fill_groups())
        bridge.sessionChanged.connect(self._fill_groups)
        bridge.sessionChanged.connect(self._update_permissions)
        bridge.affiliationChanged.connect(self._fill_groups)
        self.retranslate()

    # ----- building ---------------------------------------------------------------------------

    def _build_text_tab(self) -> QWidget:
        tab = QWidget(self)
        self.to_terminal = QRadioButton(tab)
        self.to_terminal.setObjectName("toTerminal")
        self.to_group = QRadioButton(tab)
        self.to_group.setObjectName("toGroup")
        self.to_group.setChecked(True)
        self.terminal_box = QComboBox(tab)
        self.terminal_box.setObjectName("terminalChoice")
        self.terminal_box.setEditable(True)
        self.terminal_edit = QLineEdit(tab)
        self.terminal_edit.setObjectName("terminalText")
        self.terminal_box.setLineEdit(self.terminal_edit)  # before the completer: the line edit owns it
        self.terminal_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.terminal_box.setMinimumContentsLength(18)
        completer = self.terminal_box.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.terminal_edit.textEdited.connect(lambda _t: self.to_terminal.setChecked(True))
        self.group_box = QComboBox(tab)
        self.group_box.setObjectName("groupChoice")
        self.group_box.activated.connect(self._group_chosen)
        #: the dispatcher picked a group here; until then the box follows the talk group
        self._group_picked = False
        self.text = QLineEdit(tab)
        self.text.setObjectName("messageText")
        self.text.setMaxLength(1000)
        self.text.returnPressed.connect(self.send_text)
        self.send_text_button = QPushButton(tab)
        self.send_text_button.setProperty("compact", True)
        self.send_text_button.setObjectName("sendTextButton")
        self.send_text_button.setProperty("role", "primary")
        self.send_text_button.clicked.connect(self.send_text)
        self.status_code = QSpinBox(tab)
        self.status_code.setObjectName("statusCode")
        self.status_code.setRange(0, 65535)
        self.send_status_button = QPushButton(tab)
        self.send_status_button.setProperty("compact", True)
        self.send_status_button.setObjectName("sendStatusButton")
        self.send_status_button.clicked.connect(self.send_status)
        grid = QGridLayout(tab)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setSpacing(6)
        grid.addWidget(self.to_group, 0, 0)
        grid.addWidget(self.group_box, 0, 1, 1, 2)
        grid.addWidget(self.to_terminal, 0, 3)
        grid.addWidget(self.terminal_box, 0, 4, 1, 2)
        grid.addWidget(self.text, 1, 0, 1, 3)
        grid.addWidget(self.send_text_button, 1, 3)
        grid.addWidget(self.status_code, 1, 4)
        grid.addWidget(self.send_status_button, 1, 5)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(4, 1)
        self._fill_terminals()
        self._fill_groups()
        return tab

    def _build_pis_tab(self) -> QWidget:
        tab = QWidget(self)
        self.pis_text = QLineEdit(tab)
        self.pis_text.setObjectName("pisText")
        self.pis_text_en = QLineEdit(tab)
        self.pis_text_en.setObjectName("pisTextEn")
        self.all_trains = QCheckBox(tab)
        self.all_trains.setObjectName("allTrains")
        self.all_trains.setChecked(True)
        #: the running numbers chosen when not every train is addressed
        self.trains: list[str] = []
        self.trains_button = QPushButton(tab)
        self.trains_button.setProperty("compact", True)
        self.trains_button.setObjectName("chooseTrainsButton")
        self.trains_button.setEnabled(False)
        self.trains_button.clicked.connect(self.choose_trains)
        self.all_trains.toggled.connect(lambda checked: self.trains_button.setEnabled(not checked))
        self.all_trains.toggled.connect(lambda _checked: self._show_trains())
        self.urgent = QCheckBox(tab)
        self.urgent.setObjectName("pisUrgent")
        self.duration = QSpinBox(tab)
        self.duration.setObjectName("pisDuration")
        self.duration.setRange(10, 3600)
        self.duration.setValue(120)
        self.duration.setSuffix(" s")
        self.send_pis_button = QPushButton(tab)
        self.send_pis_button.setObjectName("sendPisButton")
        self.send_pis_button.setProperty("role", "primary")
        self.send_pis_button.clicked.connect(self.send_pis)
        self.duration_label = QLabel(tab)
        grid = QGridLayout(tab)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setSpacing(6)
        grid.addWidget(self.pis_text, 0, 0, 1, 3)
        grid.addWidget(self.pis_text_en, 0, 3, 1, 3)
        grid.addWidget(self.all_trains, 1, 0)
        grid.addWidget(self.trains_button, 1, 1)
        grid.addWidget(self.urgent, 1, 2)
        grid.addWidget(self.duration_label, 1, 4, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.duration, 1, 5)
        grid.addWidget(self.send_pis_button, 0, 6, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(3, 1)
        self.send_pis_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        return tab

    def choose_trains(self) -> QDialog:
        """Pick the trains whose passenger screens show the next message."""
        dialog = QDialog(self)
        dialog.setObjectName("trainsDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resize(460, 600)
        dialog.setWindowTitle(self.tr("Trains"))
        picker = Picker(lambda: train_choices(self.world), multi=True, parent=dialog)
        picker.setObjectName("trainPicker")
        picker.choose(self.trains)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   dialog)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(picker)
        layout.addWidget(buttons)
        dialog.accepted.connect(lambda: self.set_trains(picker.chosen()))
        dialog.open()
        return dialog

    def set_trains(self, numbers: list[str]) -> None:
        """Address the next passenger message to these trains (running numbers)."""
        self.trains = list(numbers)
        if self.trains:
            self.all_trains.setChecked(False)
        self._show_trains()

    def _show_trains(self) -> None:
        if self.all_trains.isChecked() or not self.trains:
            self.trains_button.setText(self.tr("Choose trains…"))
        else:
            shown = ", ".join(self.trains[:4]) + ("…" if len(self.trains) > 4 else "")
            self.trains_button.setText(self.tr("Trains: %1").replace("%1", shown))

    def _fill_terminals(self) -> None:
        box = self.terminal_box
        current = self.chosen_terminal()
        text = box.currentText()
        box.blockSignals(True)
        box.clear()
        self._listed = set()
        for choice in terminal_choices(self.world, ("train", "station", "handset", "recorder", "console")):
            box.addItem(choice.label, choice.id)
            self._listed.add(choice.id)
        index = box.findData(current) if current else -1
        if index >= 0:
            box.setCurrentIndex(index)
        else:
            box.setCurrentIndex(-1)
            box.setEditText(text)
        box.blockSignals(False)

    def _fill_groups(self, *_: Any) -> None:
        box = self.group_box
        current = box.currentData()
        box.blockSignals(True)
        box.clear()
        for group_id in sorted(self.world.allowed_groups or self.world.groups):
            box.addItem(group_name(self.world, group_id), group_id)
        index = box.findData(current if self._group_picked and current is not None else self.world.selected)
        box.setCurrentIndex(max(index, 0) if box.count() else -1)
        box.blockSignals(False)

    def _group_chosen(self, _index: int) -> None:
        self._group_picked = True
        self.to_group.setChecked(True)

    def _on_terminals(self, ids: list[str]) -> None:
        if any(t not in self._listed for t in ids):  # a terminal appeared or went: re-list (names rarely change)
            self._fill_terminals()

    # ----- choosing ---------------------------------------------------------------------------

    def chosen_terminal(self) -> str | None:
        """The terminal picked or typed (an exact id, or an entry of the list)."""
        box = self.terminal_box
        typed = box.currentText().strip()
        if box.currentIndex() >= 0 and box.itemText(box.currentIndex()) == typed:
            return str(box.currentData())
        if typed in self.world.terminals:
            return typed
        index = box.findText(typed)
        return str(box.itemData(index)) if typed and index >= 0 else None

    def target(self) -> tuple[str | None, str | None]:
        """(to, group) for `Desk.send_text` / ``send_status``; (None, None) when nothing usable is chosen."""
        if self.to_terminal.isChecked():
            return self.chosen_terminal(), None
        group = self.group_box.currentData()
        return None, (str(group) if group is not None else None)

    def address(self, terminal: str | None = None, group: str | None = None) -> None:
        """Point the next message at ``terminal`` or ``group``."""
        if terminal is not None:
            self.to_terminal.setChecked(True)
            index = self.terminal_box.findData(terminal)
            if index >= 0:
                self.terminal_box.setCurrentIndex(index)
            else:
                self.terminal_box.setEditText(terminal)
        elif group is not None:
            self.to_group.setChecked(True)
            index = self.group_box.findData(group)
            if index >= 0:
                self._group_picked = True
                self.group_box.setCurrentIndex(index)

    def _reply(self, index: QModelIndex) -> None:
        item = self.model.items[index.row()] if 0 <= index.row() < len(self.model.items) else None
        if item is None or item.kind == "pis":
            return
        if item.sender == self.world.me:
            self.address(terminal=item.to, group=item.group)
        elif item.sender in self.world.terminals:
            self.address(terminal=item.sender)
        else:
            self.address(group=item.group)
        self.tabs.setCurrentIndex(0)
        self.text.setFocus()

    # ----- sending ----------------------------------------------------------------------------

    def send_text(self) -> None:
        text = self.text.text().strip()
        to, group = self.target()
        if not text:
            self._say(self.tr("Write the message first"), error=True)
            return
        if to is None and group is None:
            self._say(self.tr("Choose a terminal or a group to send to"), error=True)
            return
        self.runner.run(self.tr("Send text"), self.desk.send_text(text, to=to, group=group),
                        done=lambda sent: self._sent(sent, clear=self.text))

    def send_status(self) -> None:
        to, group = self.target()
        if to is None and group is None:
            self._say(self.tr("Choose a terminal or a group to send to"), error=True)
            return
        self.runner.run(self.tr("Send status"), self.desk.send_status(self.status_code.value(), to=to, group=group),
                        done=self._sent)

    def send_pis(self) -> None:
        text, text_en = self.pis_text.text().strip(), self.pis_text_en.text().strip()
        if not text and not text_en:
            self._say(self.tr("Write the passenger message first"), error=True)
            return
        trains: list[str] = [] if self.all_trains.isChecked() else list(self.trains)
        if not self.all_trains.isChecked() and not trains:
            self._say(self.tr("Choose the trains, or All trains"), error=True)
            return
        self.runner.run(self.tr("Passenger screens"),
                        self.desk.push_pis(text or text_en, text_en, trains, duration_s=self.duration.value(),
                                           urgent=self.urgent.isChecked()),
                        done=self._pushed)

    def _sent(self, sent: Any, clear: QLineEdit | None = None) -> None:
        if clear is not None:
            clear.clear()
        self._say(self.tr("Sent to %1 recipients").replace("%1", str(getattr(sent, "recipients", "?"))))

    def _pushed(self, pushed: Any) -> None:
        self.pis_text.clear()
        self.pis_text_en.clear()
        self._say(self.tr("Shown on %1 trains").replace("%1", str(getattr(pushed, "trains", "?"))))

    def _on_failed(self, what: str, reason: str) -> None:
        self._say(self.tr("%1 failed: %2").replace("%1", what).replace("%2", reason), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.outcome.setText(text)
        self.outcome.setVisible(bool(text))
        self.outcome.setProperty("error", error)
        self.outcome.style().unpolish(self.outcome)
        self.outcome.style().polish(self.outcome)

    def _update_permissions(self) -> None:
        allowed = "pis_push" in self.world.permissions or not self.world.me
        self.send_pis_button.setEnabled(allowed)
        self.send_pis_button.setToolTip("" if allowed else self.tr("Your role may not push passenger messages"))

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.tabs.setTabText(0, self.tr("Text / status"))
        self.tabs.setTabText(1, self.tr("Passenger screens (PIS)"))
        self.to_group.setText(self.tr("Group"))
        self.to_terminal.setText(self.tr("Terminal"))
        self.terminal_edit.setPlaceholderText(self.tr("id or name"))
        self.text.setPlaceholderText(self.tr("Message text (Enter sends)"))
        self.send_text_button.setText(self.tr("Send text"))
        self.status_code.setPrefix(self.tr("Status "))
        self.send_status_button.setText(self.tr("Send status"))
        self.pis_text.setPlaceholderText(self.tr("Chinese: 列车临时停车，请耐心等候"))
        self.pis_text_en.setPlaceholderText(self.tr("English: The train is held briefly…"))
        self.all_trains.setText(self.tr("All trains"))
        self.urgent.setText(self.tr("Urgent"))
        self.duration_label.setText(self.tr("Show for"))
        self._show_trains()
        self.send_pis_button.setText(self.tr("Show on passenger screens"))
        self._update_permissions()
        self.model.retranslate()
        self._fill_groups()
        self._fill_terminals()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("messages")
def create(context: PaneContext) -> QWidget:
    return MessagesPane(context)


__all__ = ["FeedItem", "FeedModel", "MessagesPane", "feed_items", "train_choices"]
