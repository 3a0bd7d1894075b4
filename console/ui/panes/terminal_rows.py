"""A table model of terminals that follows the core `World` row by row: one row per terminal, kept up to date
from the bridge's coalesced ``terminalsChanged`` ids with ``dataChanged`` on the rows whose shown values
changed, inserts and removals of the rows that came or went, and never a reset on an update.

A subclass says which terminals it lists (`accepts`) and what a row shows (`record`: a frozen, comparable
snapshot of the values the row displays); `data` then reads the records, never the live protocol structs.
Sorting and filtering belong to a `QSortFilterProxyModel` on top.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

logger = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex


class TerminalRowsModel(QAbstractTableModel):
    """Rows of terminals from ``world.terminals`` (see the module docstring)."""

    def __init__(self, world: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._records: dict[str, Hashable] = {}
        #: how many rows were re-announced with dataChanged since creation (tests, tuning)
        self.rows_changed = 0
        self.reload()

    # ----- what a subclass says -----------------------------------------------------------------

    def accepts(self, info: Any) -> bool:
        """Whether this model lists terminal ``info``."""
        raise NotImplementedError

    def record(self, info: Any) -> Hashable:
        """The values one row shows, frozen and comparable (a change of any of them repaints the row)."""
        raise NotImplementedError

    # ----- reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def terminal_id(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, terminal_id: str) -> int | None:
        return self._row_of.get(terminal_id)

    def record_of(self, terminal_id: str) -> Any:
        return self._records.get(terminal_id)

    def record_at(self, row: int) -> Any:
        return self._records[self._ids[row]]

    def ids(self) -> list[str]:
        return list(self._ids)

    # ----- following the world ------------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild every row from the world (at creation; a language switch uses `refresh_all`)."""
        self.beginResetModel()
        infos = [info for info in self.world.terminals.values() if self.accepts(info)]
        infos.sort(key=lambda info: info.id)
        self._ids = [info.id for info in infos]
        self._row_of = {tid: row for row, tid in enumerate(self._ids)}
        self._records = {info.id: self.record(info) for info in infos}
        self.endResetModel()

    def refresh(self, ids: Iterable[str]) -> None:
        """Terminals ``ids`` changed in the world: update, add or drop their rows."""
        changed: list[int] = []
        added: list[Any] = []
        gone: list[str] = []
        for terminal_id in ids:
            info = self.world.terminals.get(terminal_id)
            wanted = info is not None and self.accepts(info)
            row = self._row_of.get(terminal_id)
            if row is None:
                if wanted:
                    added.append(info)
                continue
            if not wanted:
                gone.append(terminal_id)
                continue
            record = self.record(info)
            if record != self._records[terminal_id]:
                self._records[terminal_id] = record
                changed.append(row)
        self._announce(changed)
        self._remove(gone)
        self._append(added)

    def refresh_all(self) -> None:
        """Recompute every row (alerts or calls changed, which the terminal ids do not say); announce the
        changed ones only."""
        self.refresh(list(self._ids) + [t for t in self.world.terminals if t not in self._row_of])

    def _announce(self, rows: list[int]) -> None:
        """dataChanged over each run of consecutive changed rows."""
        if not rows:
            return
        rows.sort()
        self.rows_changed += len(rows)
        last_column = max(self.columnCount() - 1, 0)
        start = previous = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(previous, last_column))
            if row is not None:
                start = previous = row

    def _remove(self, ids: list[str]) -> None:
        for terminal_id in ids:
            row = self._row_of[terminal_id]
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._ids[row]
            del self._records[terminal_id]
            self._row_of = {tid: r for r, tid in enumerate(self._ids)}
            self.endRemoveRows()

    def _append(self, infos: list[Any]) -> None:
        if not infos:
            return
        infos.sort(key=lambda info: info.id)
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(infos) - 1)
        for info in infos:
            self._row_of[info.id] = len(self._ids)
            self._ids.append(info.id)
            self._records[info.id] = self.record(info)
        self.endInsertRows()

    def retranslate(self) -> None:
        """The language changed: every header and every row reads again (not an update: a one-off)."""
        last_column = max(self.columnCount() - 1, 0)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, last_column)
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, last_column))


__all__ = ["Index", "TerminalRowsModel"]
