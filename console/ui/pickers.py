"""Pick terminals or groups: a filter box over a list model (one row per choice, never a widget per row).

`Picker` serves the call dialogs (one terminal, or several to regroup, or groups to patch) and the messages pane.
Typing filters on id, English and Chinese names at once; in ``multi`` mode rows carry check boxes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListView, QVBoxLayout, QWidget

from console.ui.colours import MUTED_TEXT, brush
from console.ui.resources import icon
from console.ui.vocabulary import TERMINAL_KINDS, group_name, terminal_label, word

#: the model role holding the text the filter box matches
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
#: the model role holding the choice's id
ID_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Choice:
    """One row: the id handed back, what the row says, what the filter matches, an icon name, greyed or not."""

    id: str
    label: str
    search: str
    icon: str = ""
    muted: bool = False


def terminal_choices(world: Any, kinds: Iterable[str] | None = None) -> list[Choice]:
    """Every terminal (of ``kinds``) as a choice, trains and stations first, offline ones greyed."""
    order = {"train": 0, "station": 1, "handset": 2, "recorder": 3, "console": 4, "gateway": 5, "camera": 6}
    wanted = set(kinds) if kinds is not None else None
    infos = [t for t in world.terminals.values() if wanted is None or t.kind in wanted]
    infos.sort(key=lambda t: (order.get(t.kind, 9), t.id))
    return [Choice(t.id, f"{terminal_label(world, t.id)}  —  {word(TERMINAL_KINDS, t.kind)}",
                   f"{t.id} {t.name} {t.name_zh} {t.kind}", t.kind,
                   t.presence in ("offline", "unreachable", "disabled")) for t in infos]


def group_choices(world: Any, groups: Iterable[str] | None = None) -> list[Choice]:
    """Groups (default: every group the desk knows) as choices, in id order."""
    ids = sorted(groups if groups is not None else world.groups)
    choices = []
    for group_id in ids:
        info = world.groups.get(group_id)
        name = group_name(world, group_id)
        label = name if name == group_id else f"{name}  ·  {group_id}"
        search = f"{group_id} {info.name} {info.name_zh}" if info is not None else group_id
        choices.append(Choice(group_id, label, search, "group"))
    return choices


class ChoiceModel(QAbstractListModel):
    """The choices ``source()`` lists, re-read by `refresh`; optionally checkable."""

    def __init__(self, source: Callable[[], list[Choice]], *, checkable: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.checkable = checkable
        self._rows: list[Choice] = []
        self._checked: set[str] = set()
        self.refresh()

    def refresh(self) -> None:
        rows = self._source()
        if [r.id for r in rows] == [r.id for r in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self._checked &= {r.id for r in rows}
        self.endResetModel()

    def ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def checked(self) -> list[str]:
        """The checked ids, in row order."""
        return [r.id for r in self._rows if r.id in self._checked]

    def set_checked(self, ids: Iterable[str]) -> None:
        self._checked = set(ids)
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        choice = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return choice.label
        if role == SEARCH_ROLE:
            return f"{choice.search} {choice.label}"
        if role == ID_ROLE:
            return choice.id
        if role == Qt.ItemDataRole.DecorationRole and choice.icon:
            return icon(choice.icon)
        if role == Qt.ItemDataRole.ForegroundRole and choice.muted:
            return brush(MUTED_TEXT)
        if role == Qt.ItemDataRole.CheckStateRole and self.checkable:
            return Qt.CheckState.Checked if choice.id in self._checked else Qt.CheckState.Unchecked
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self.checkable and role == Qt.ItemDataRole.CheckStateRole and index.isValid()):
            return False
        choice = self._rows[index.row()]
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self._checked.add(choice.id)
        else:
            self._checked.discard(choice.id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        # not ItemIsUserCheckable: the picker toggles on a click anywhere in the row (the view would toggle a click
        # on the box a second time), and Space is push-to-talk, never "check"
        return super().flags(index)


class Picker(QWidget):
    """A filter box over a `ChoiceModel`: pick one row (``multi=False``) or check several."""

    #: the chosen ids changed (selection or check boxes)
    chosenChanged = Signal()

    def __init__(self, source: Callable[[], list[Choice]], *, multi: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.multi = multi
        self.model = ChoiceModel(source, checkable=multi, parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("pickerFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QListView(self)
        self.view.setObjectName("pickerList")
        self.view.setModel(self.proxy)
        self.view.setUniformItemSizes(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.chosenChanged.emit())
        self.model.dataChanged.connect(lambda *_: self.chosenChanged.emit())
        if multi:
            self.view.clicked.connect(self._toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        self.retranslate()

    def _toggle(self, index: QModelIndex) -> None:
        """A click anywhere on a row toggles its box (the box alone is a small target)."""
        source = self.proxy.mapToSource(index)
        state = self.model.data(source, Qt.ItemDataRole.CheckStateRole)
        new = Qt.CheckState.Unchecked if state == Qt.CheckState.Checked else Qt.CheckState.Checked
        self.model.setData(source, new.value, Qt.ItemDataRole.CheckStateRole)

    def chosen(self) -> list[str]:
        """The checked ids (multi), or the selected id as a one-item list (single)."""
        if self.multi:
            return self.model.checked()
        rows = self.view.selectionModel().selectedRows()
        return [str(rows[0].data(ID_ROLE))] if rows else []

    def choose(self, ids: Iterable[str]) -> None:
        """Check ``ids`` (multi), or select the first of them (single)."""
        wanted = list(ids)
        if self.multi:
            self.model.set_checked(wanted)
            return
        if not wanted or wanted[0] not in self.model.ids():
            self.view.clearSelection()
            return
        row = self.model.ids().index(wanted[0])
        index = self.proxy.mapFromSource(self.model.index(row))
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    def refresh(self) -> None:
        self.model.refresh()

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Type to filter by id or name…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


__all__ = ["ID_ROLE", "SEARCH_ROLE", "Choice", "ChoiceModel", "Picker", "group_choices", "terminal_choices"]
