"""Emergency plans: the plan the desk proposes for an emergency, an alarm or a stopped train, and its steps.

When the core proposes a plan (console/core/plans.py) this pane comes to the front with it selected: the plan's
name in large type, what happened and where, why the plan matched, the escalation countdown (amber, red in its last
15 seconds), and the steps with their targets and states (to do, running, done, failed with the platform's reason,
skipped). "Run all" runs every step left (which acknowledges the proposal: the escalation is off), "Run step" the
selected one, "Skip step" leaves it undone, "Dismiss" (click twice) turns the proposal down. Every one of these is in
the event log. Earlier proposals stay listed above, newest first, until the list is full (one proposal alone is
its own heading: no list).

A plan has to be read whole: while a proposal is open the pane's dock grows until every step shows (taking room
from the emergencies above and the line across the top, which keep at least `KEEP_PX` or their least height), and
gives the room back once no proposal is open (unless the dispatcher resized the docks meanwhile); where it cannot
grow enough (the emergency banner up on a 1080-line screen) the steps scroll, with the step to do next kept in
view. How the plan is laid out in a short dock: plan_layout.py.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.colours import ACKNOWLEDGED, EMERGENCY, GRANTED, MUTED_TEXT, TEXT, brush
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import CommandStatus, pane_button, prepare_rows
from console.ui.panes.plan_layout import PlanDetail, steps_height
from console.ui.panes.plan_text import (
    PROPOSAL_STATES,
    escalation_text,
    event_text,
    plan_name,
    plan_word,
    state_text,
    step_text,
    trigger_text,
)
from console.ui.two_step import TwoStep
from console.ui.vocabulary import duration_text
from console.ui.widgets.dock_room import KEEP_PX, DockRoom

logger = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
_ROW_HEIGHT = 36
#: earlier proposals listed above the plan shown (more scroll)
_LIST_ROWS = 2
#: step state → (row background, text colour)
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "pending": ("", TEXT),
    "running": ("#0f3d78", TEXT),
    "done": ("#13401f", GRANTED),
    "failed": (EMERGENCY, TEXT),
    "skipped": ("", MUTED_TEXT),
}
_STYLE = """
QLabel#planTitle { font-size: 24px; font-weight: bold; color: #ffffff; padding: 2px 0; }
QLabel#planEvent { font-size: 17px; color: #e6edf3; }
QLabel#planTrigger { font-size: 13px; color: #8b98a5; }
QLabel#planEscalation { font-size: 20px; font-weight: bold; padding: 6px 10px; border-radius: 4px; }
QLabel#planEscalation[state="alarm"] { background-color: #4a3500; color: #ffd166; }
QLabel#planEscalation[state="emergency"] { background-color: #b3121b; color: #ffffff; }
QLabel#planEscalation[state="granted"] { background-color: #13401f; color: #7ee787; }
QLabel#plansEmpty { font-size: 16px; color: #8b98a5; padding: 12px; }
QLabel#planProblems { color: #ffb000; }
QTableView#planSteps { font-size: 15px; }
QListWidget#proposalList { font-size: 15px; }
QPushButton#runAllButton, QPushButton#runStepButton, QPushButton#skipStepButton, QPushButton#dismissButton {
    min-height: 44px; font-size: 16px; padding: 6px 16px; }
QPushButton#dismissButton[armed="true"] { background-color: #000000; color: #ffe14d; border-color: #ffe14d; }
QLabel#planTitle[wide="true"] { font-size: 21px; }
QLabel#planEscalation[wide="true"] { font-size: 17px; padding: 4px 8px; }
QPushButton#runAllButton[wide="true"], QPushButton#runStepButton[wide="true"],
QPushButton#skipStepButton[wide="true"], QPushButton#dismissButton[wide="true"] {
    min-height: 30px; padding: 4px 14px; }
"""


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


class StepsModel(QAbstractTableModel):
    """The steps of one proposal: number, what it does, its state."""

    NUMBER, STEP, STATE = range(3)
    COLUMNS = 3

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.proposal: Any = None

    def show(self, proposal: Any) -> None:
        if proposal is not self.proposal:
            self.beginResetModel()
            self.proposal = proposal
            self.endResetModel()
        elif proposal is not None and proposal.steps:
            self.dataChanged.emit(self.index(0, 0), self.index(len(proposal.steps) - 1, self.COLUMNS - 1))

    def run_at(self, row: int) -> Any:
        steps = self.proposal.steps if self.proposal is not None else []
        return steps[row] if 0 <= row < len(steps) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() or self.proposal is None else len(self.proposal.steps)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return ("#", self.tr("Step"), self.tr("State"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        run = self.run_at(index.row()) if index.isValid() else None
        if run is None:
            return None
        column = index.column()
        background, colour = STATE_COLOURS.get(run.state, ("", TEXT))
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{step_text(self.world, run)}\n{state_text(run)}"
        if role == Qt.ItemDataRole.BackgroundRole and background:
            return brush(background)
        if role == Qt.ItemDataRole.ForegroundRole:
            return brush(colour if column == self.STATE else TEXT if run.state != "skipped" else MUTED_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == self.STATE and run.state in ("running", "failed", "done"):
            return _bold()
        if role == Qt.ItemDataRole.UserRole:
            return run.state
        return None

    def _text(self, run: Any, column: int) -> str:
        if column == self.NUMBER:
            return str(run.index + 1)
        if column == self.STEP:
            return step_text(self.world, run)
        return state_text(run)

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.COLUMNS - 1)
        self.show(self.proposal)


class PlansPane(QWidget):
    """Proposed plans and their steps (see the module docstring)."""

    def __init__(self, plans: Any, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plansPane")
        self.setStyleSheet(_STYLE)
        self.plans = plans
        self.world = world
        self.current: str | None = None
        self._seen: set[str] = set()
        self._refresh_pending = False
        self._pending_new: str | None = None
        #: the dock's extra room while a proposal is open (made when the pane is first brought to the front)
        self.room: DockRoom | None = None

        self.proposals = QListWidget(self)
        self.proposals.setObjectName("proposalList")
        self.proposals.currentItemChanged.connect(lambda *_: self._chosen())
        self.empty = QLabel(self)
        self.empty.setObjectName("plansEmpty")
        self.empty.setWordWrap(True)
        self.problems = QLabel(self)
        self.problems.setObjectName("planProblems")
        self.problems.setWordWrap(True)
        self.title = QLabel(self)
        self.title.setObjectName("planTitle")
        self.title.setWordWrap(True)
        self.happened = QLabel(self)
        self.happened.setObjectName("planEvent")
        self.happened.setWordWrap(True)
        self.trigger = QLabel(self)
        self.trigger.setObjectName("planTrigger")
        self.trigger.setWordWrap(True)
        self.escalation = QLabel(self)
        self.escalation.setObjectName("planEscalation")
        self.steps = StepsModel(world, self)
        self.table = QTableView(self)
        self.table.setObjectName("planSteps")
        self.table.setModel(self.steps)
        prepare_rows(self.table, _ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(StepsModel.NUMBER, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(StepsModel.STEP, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(StepsModel.STATE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(StepsModel.STATE, 240)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.run_all_button = self._button("runAllButton", self.run_all)
        self.run_all_button.setProperty("role", "primary")
        self.run_step_button = self._button("runStepButton", self.run_step)
        self.skip_step_button = self._button("skipStepButton", self.skip_step)
        self.dismiss_button = self._button("dismissButton", self.dismiss)
        self.dismiss_confirm = TwoStep(parent=self)
        self.dismiss_confirm.changed.connect(self._show_dismiss)
        self.status = CommandStatus(self)

        self.detail = PlanDetail(self, title=self.title, escalation=self.escalation, happened=self.happened,
                                 trigger=self.trigger, table=self.table, status=self.status,
                                 commands=[self.run_all_button, self.run_step_button, self.skip_step_button],
                                 dismiss=self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.proposals)
        layout.addWidget(self.empty)
        layout.addWidget(self.detail, 1)
        layout.addWidget(self.problems)

        if plans is not None:
            _follow(plans, self)
        self._ticker = QTimer(self)
        self._ticker.setInterval(500)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.retranslate()

    def _button(self, name: str, slot: Any) -> QPushButton:
        return pane_button(self, name, slot)

    # ----- what is shown ------------------------------------------------------------------------

    def proposal(self) -> Any:
        """The proposal shown (None when there is none)."""
        if self.plans is None or self.current is None:
            return None
        return self.plans.proposals.get(self.current)

    def select(self, proposal_id: str) -> None:
        """Show ``proposal_id``."""
        for row in range(self.proposals.count()):
            item = self.proposals.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == proposal_id:
                self.proposals.setCurrentItem(item)
                return

    def selected_step(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.steps.run_at(rows[0].row())
        proposal = self.proposal()
        if proposal is None:
            return None
        return next((s for s in proposal.steps if s.state in ("pending", "failed") and not s.is_escalation), None)

    def _proposal_changed(self, proposal_id: str) -> None:
        """From the core (on the loop, maybe mid-command): redraw once the loop is free; a new proposal comes to
        the front."""
        if proposal_id not in self._seen:
            self._seen.add(proposal_id)
            self._pending_new = proposal_id
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self._refresh_now)

    def _refresh_now(self) -> None:
        self._refresh_pending = False
        new, self._pending_new = self._pending_new, None
        room = self._room() if new is not None else None
        if room is not None:  # the column as it is, before the plan's content makes Qt grow the dock
            room.remember()
        self.refresh()
        if new is not None:
            proposal = self.plans.proposals.get(new) if self.plans is not None else None
            if proposal is not None and proposal.state == "open":
                self.select(new)
                self.bring_to_front()

    def _dock(self) -> QDockWidget | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QDockWidget):
            parent = parent.parentWidget()
        return parent

    def _room(self) -> DockRoom | None:
        """The room keeper of this pane's dock (None outside a dock)."""
        dock = self._dock()
        if dock is None:
            return None
        if self.room is None or self.room.dock is not dock:
            self.room = DockRoom(dock, keep=KEEP_PX)
        return self.room

    def bring_to_front(self) -> None:
        """Show this pane's dock in front (a new proposal pops up), make room for the plan's steps once it is laid
        out, and ask for the window's attention."""
        dock = self._dock()
        if dock is not None:
            dock.show()
            dock.raise_()
            self._room()
            QTimer.singleShot(0, self.fit_steps)
        window = self.window()
        if window is not None and window.isVisible():
            QApplication.alert(window)

    def fit_steps(self) -> None:
        """While an open proposal is shown: grow the dock until its steps fit, and keep the next step in view."""
        proposal = self.proposal()
        if proposal is not None and proposal.state == "open" and self.room is not None and self.isVisible():
            for layout in (self.detail.layout(), self.layout()):  # the table's height now, with this proposal's texts
                if layout is not None:
                    layout.activate()
            missing = steps_height(self.table) - self.table.height()
            self.room.make_room(self.room.dock.height() + max(0, missing))  # 0: the height it has now is the one given
        self.detail.place_trigger()
        self._show_next_step()

    def _give_room_back(self) -> None:
        """No proposal is open any more: the column goes back to the sizes it had."""
        if self.room is not None and self.room.grown and self.plans is not None \
                and not any(p.state == "open" for p in self.plans.proposals.values()):
            self.room.give_back()

    def _show_next_step(self) -> None:
        """Scroll the steps (when they do not all fit) to the selected step, else the next one to do."""
        step = self.selected_step()
        if step is not None and step.index < self.steps.rowCount():
            self.table.scrollTo(self.steps.index(step.index, StepsModel.STEP))

    def refresh(self) -> None:
        plans = self.plans
        listed = [] if plans is None else sorted(plans.proposals.values(),
                                                 key=lambda p: (p.state != "open", -p.created))
        keep = self.current
        self.proposals.blockSignals(True)
        self.proposals.clear()
        for proposal in listed:
            item = QListWidgetItem(self._item_text(proposal))
            item.setData(Qt.ItemDataRole.UserRole, proposal.id)
            item.setSizeHint(QSize(0, 40))
            background, colour = self._item_colours(proposal)
            if background:
                item.setBackground(brush(background))
            item.setForeground(brush(colour))
            if proposal.state == "open":
                item.setFont(_bold())
            self.proposals.addItem(item)
            if proposal.id == keep:
                self.proposals.setCurrentItem(item)
        self.proposals.blockSignals(False)
        # up to _LIST_ROWS rows, then scroll: the plan shown below needs the room
        self.proposals.setFixedHeight(min(max(self.proposals.count(), 1), _LIST_ROWS) * 42 + 6)
        if self.proposals.currentItem() is None and self.proposals.count():
            self.proposals.setCurrentRow(0)
        self._chosen()
        self._give_room_back()

    def _item_text(self, proposal: Any) -> str:
        age = duration_text(self.world.clock() - proposal.created)
        return f"{plan_name(proposal.plan)} — {event_text(self.world, proposal.event)} — " \
               f"{plan_word(PROPOSAL_STATES, proposal.state)} · {age}"

    @staticmethod
    def _item_colours(proposal: Any) -> tuple[str, str]:
        if proposal.state == "open":
            return (EMERGENCY, TEXT) if proposal.acknowledged is None else (ACKNOWLEDGED, TEXT)
        if proposal.state == "done":
            return ("", GRANTED)
        return ("", MUTED_TEXT)

    def _chosen(self) -> None:
        item = self.proposals.currentItem()
        self.current = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        proposal = self.proposal()
        self.dismiss_confirm.keep_only(self.current)
        self.steps.show(proposal)
        self.empty.setVisible(proposal is None)  # first: both shown at once would ask the dock for both heights
        self.proposals.setVisible(self.proposals.count() > 1)  # one proposal alone: the plan's title says it
        self.detail.setVisible(proposal is not None)
        if proposal is not None:
            self.title.setText(plan_name(proposal.plan))
            self.detail.place_heading()
            self.title.setToolTip(f"{proposal.plan.description or proposal.plan.id}\n"
                                  f"{trigger_text(proposal.plan.trigger)}")
            self.happened.setText(event_text(self.world, proposal.event))
            self.trigger.setText(trigger_text(proposal.plan.trigger))
            self.trigger.setToolTip(proposal.why)
        self._tick()
        self._update_buttons()
        self._show_next_step()

    def _tick(self) -> None:
        proposal = self.proposal()
        if proposal is None:
            self.escalation.hide()
            return
        text, state = escalation_text(proposal, self.world.clock())
        self.escalation.setVisible(bool(text))
        if text != self.escalation.text():
            self.escalation.setText(text)
            self.detail.place_heading()
        if self.escalation.property("state") != state:
            self.escalation.setProperty("state", state)
            self.escalation.style().unpolish(self.escalation)
            self.escalation.style().polish(self.escalation)
        for row in range(self.proposals.count()):  # ages
            item = self.proposals.item(row)
            shown = self.plans.proposals.get(item.data(Qt.ItemDataRole.UserRole)) if self.plans is not None else None
            if shown is not None:
                item.setText(self._item_text(shown))

    def _update_buttons(self) -> None:
        proposal = self.proposal()
        usable = proposal is not None and not proposal.dismissed
        step = self.selected_step() if usable else None
        self.run_all_button.setEnabled(usable and any(s.state in ("pending", "failed") and not s.is_escalation
                                                      for s in proposal.steps))
        self.run_step_button.setEnabled(step is not None and step.state not in ("running", "done"))
        self.skip_step_button.setEnabled(step is not None and step.state in ("pending", "failed"))
        self.dismiss_button.setEnabled(usable and proposal.state == "open")

    # ----- commands -----------------------------------------------------------------------------

    def run_all(self) -> None:
        proposal = self.proposal()
        if proposal is None or self.plans is None:
            return
        self.status.run(self.tr("Running plan %1…").replace("%1", plan_name(proposal.plan)),
                        self.plans.run_all(proposal.id), self._ran)

    def run_step(self) -> None:
        proposal, step = self.proposal(), self.selected_step()
        if proposal is None or step is None or self.plans is None:
            return
        self.status.run(self.tr("Running step %1…").replace("%1", str(step.index + 1)),
                        self.plans.run_step(proposal.id, step.index), lambda run: self._ran([run]))

    def _ran(self, runs: Any) -> str:
        runs = list(runs or [])
        failed = sum(1 for r in runs if r.state == "failed")
        done = sum(1 for r in runs if r.state == "done")
        if failed:
            return self.tr("%1 done, %2 failed: see the steps").replace("%1", str(done)).replace("%2", str(failed))
        return self.tr("%1 done").replace("%1", str(done))

    def skip_step(self) -> None:
        proposal, step = self.proposal(), self.selected_step()
        if proposal is not None and step is not None and self.plans is not None:
            self.plans.skip_step(proposal.id, step.index)  # the core says by whom, in the log's words

    def dismiss(self) -> None:
        """First click arms, a second one within 5 s on the same proposal dismisses it."""
        proposal = self.proposal()
        if proposal is None or self.plans is None or not self.dismiss_confirm.confirm(proposal.id):
            return
        self.plans.dismiss(proposal.id)

    def _show_dismiss(self) -> None:
        armed = self.dismiss_confirm.armed is not None
        self.dismiss_button.setText(self.tr("Click again to dismiss") if armed else self.tr("Dismiss"))
        self.dismiss_button.setProperty("armed", armed)
        self.dismiss_button.style().unpolish(self.dismiss_button)
        self.dismiss_button.style().polish(self.dismiss_button)

    # ----- language -----------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.run_all_button.setText(self.tr("Run all"))
        self.run_step_button.setText(self.tr("Run step"))
        self.skip_step_button.setText(self.tr("Skip step"))
        self._show_dismiss()
        if self.plans is None:
            self.empty.setText(self.tr("Emergency plans are off: this desk loaded no plan files."))
        else:
            self.empty.setText(self.tr("No plan proposed. %1 plans are ready for emergencies, alarms and "
                                       "stopped trains.").replace("%1", str(len(self.plans.plans))))
        problems = list(self.plans.problems) if self.plans is not None else []
        self.problems.setVisible(bool(problems))
        if problems:
            self.problems.setText(self.tr("%1 problems in the plan files (those plans are left out): %2")
                                  .replace("%1", str(len(problems))).replace("%2", str(problems[0])))
            self.problems.setToolTip("\n".join(map(str, problems)))
        self.steps.retranslate()
        self.refresh()
        if self.room is not None and self.room.grown:
            QTimer.singleShot(0, self.fit_steps)  # the other language's texts may take more lines

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _follow(plans: Any, pane: PlansPane) -> None:
    """Tell ``pane`` of the proposals' changes while it exists (the core holds no strong reference to a widget)."""
    ref = weakref.ref(pane)

    def changed(proposal_id: str) -> None:
        widget = ref()
        if widget is None or not shiboken6.isValid(widget):
            unsubscribe()
            return
        widget._proposal_changed(proposal_id)

    unsubscribe = plans.subscribe(changed)


@pane("plans")
def create(context: PaneContext) -> QWidget:
    return PlansPane(getattr(context.desk, "plans", None), context.world)


__all__ = ["STATE_COLOURS", "PlansPane", "StepsModel"]
