"""Small parts the terminal panes share: the line that says how a command went, the filter box, table set-up.

Commands are the core `Desk`'s coroutines; `CommandStatus.run` starts one on the qasync loop
(``asyncio.ensure_future``), says it is under way, and shows the outcome: the platform's refusal in red, never an
exception raised into Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTreeView,
    QWidget,
)

from console.core.desk import CommandFailed
from console.ui.command_runner import Running, Spawn, failure_reason

logger = logging.getLogger(__name__)

#: how long an outcome stays on the status line, ms
OUTCOME_TIMEOUT_MS = 10_000
#: row height of the panes' tables and trees: a large hit target for a gloved or tired hand
ROW_HEIGHT = 38
ICON_SIZE = QSize(22, 22)

class CommandStatus(QLabel):
    """One line under a pane's buttons: "Calling ST-S01-1…", then the outcome (refusals in red)."""

    def __init__(self, parent: QWidget | None = None, *, spawn: Spawn | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandStatus")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumWidth(120)
        self._spawn: Spawn = spawn or asyncio.ensure_future
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(self._fade)
        self.tasks = Running()
        self.failed = False

    def run(self, doing: str, coroutine: Coroutine[Any, Any, Any],
            done: Callable[[Any], str] | None = None) -> asyncio.Future[Any]:
        """Start ``coroutine``; show ``doing`` now and, when it ends, ``done(result)`` or the failure."""
        self.show_text(doing)
        future = self._spawn(self._guarded(doing, coroutine, done))
        return self.tasks.keep(future)

    async def _guarded(self, doing: str, coroutine: Coroutine[Any, Any, Any],
                       done: Callable[[Any], str] | None) -> Any:
        try:
            result = await coroutine
        except CommandFailed as exc:
            logger.info("%s refused: %s", doing, exc)
            self.show_text(self.tr("%1 refused: %2").replace("%1", doing.rstrip("…")).replace(
                "%2", failure_reason(exc)), failed=True)
            return None
        except Exception as exc:  # a lost link, a timeout: said on the line, never raised into Qt
            logger.warning("%s failed: %r", doing, exc)
            self.show_text(self.tr("%1 failed: %2").replace("%1", doing.rstrip("…")).replace(
                "%2", failure_reason(exc)), failed=True)
            return None
        self.show_text(done(result) if done is not None else "")
        return result

    def show_text(self, text: str, *, failed: bool = False) -> None:
        self.failed = failed
        self.setProperty("state", "failed" if failed else "")
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.setToolTip(text)
        if text:
            self._clear.start(OUTCOME_TIMEOUT_MS)

    def _fade(self) -> None:
        self.show_text("")

    async def wait_idle(self) -> None:
        """Wait until every command started here has ended (tests)."""
        await self.tasks.wait_idle()


class FilterEdit(QLineEdit):
    """The filter box over a pane's list: type part of an id, a name (Chinese or English), a station."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterEdit")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(160)
        self.setMaximumWidth(360)


def prepare_view(view: QTableView | QTreeView) -> None:
    """The panes' look for a list: whole rows selected one at a time, sortable, tall rows, no edit."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setIconSize(ICON_SIZE)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header = view.header() if isinstance(view, QTreeView) else view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if isinstance(view, QTableView):
        view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().hide()
        view.setShowGrid(False)
        view.setWordWrap(False)
    else:
        view.setUniformRowHeights(True)
        view.setAllColumnsShowFocus(True)


def prepare_rows(table: QTableView, row_height: int, *, word_wrap: bool = False) -> None:
    """A pane's table of things to act on (calls, alerts, steps): whole rows picked one at a time, nothing
    edited in place, no row numbers or grid, rows ``row_height`` tall."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.setShowGrid(False)
    table.setWordWrap(word_wrap)


def pane_button(parent: QWidget, name: str, slot: Callable[[], Any], *, compact: bool = False) -> QPushButton:
    """A pane's command button: never the dialog default (Enter must not press it), ``slot`` on click."""
    button = QPushButton(parent)
    button.setObjectName(name)
    button.setAutoDefault(False)
    if compact:
        button.setProperty("compact", True)
    button.clicked.connect(slot)
    return button


__all__ = ["ICON_SIZE", "OUTCOME_TIMEOUT_MS", "ROW_HEIGHT", "CommandStatus", "FilterEdit", "pane_button",
           "prepare_rows", "prepare_view"]
