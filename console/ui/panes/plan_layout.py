"""How the emergency plans pane lays out the plan it shows, so that its steps stay readable in a short dock.

The pane sits in the middle column under the emergencies, a dock about 680 px wide and, with the emergency banner
up on a 1080-line screen, about 320 px tall. Stacked one under the other (title, event, trigger, countdown, steps,
a row of 58 px buttons) the steps got one and a half rows there. So, when the pane is wide enough (`WIDE_PX`):

* the plan's name and its escalation countdown share the heading row (a little smaller type);
* the "Matched: …" line (also the title's tooltip) shows only while the steps have room to spare for it;
* the buttons are lower (30 px instead of 44, as the other panes' command buttons), with what the last command
  did between them.

Narrower (a dock moved to a side column), the heading stacks as before. None of it makes the pane's minimum taller
than it was: a window at its minimum stays as tall. `steps_height` says how tall the steps table must be to show
every step; the pane grows its dock by what is missing (console/ui/widgets/dock_room.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

#: from this pane width (px) the countdown stands beside the title and the buttons are lower
WIDE_PX = 560
_SPACING = 4


def steps_height(table: QTableView) -> int:
    """The height (px) ``table`` needs to show all its rows, header, frame and scroll bar included."""
    header = table.horizontalHeader()
    scrollbar = table.horizontalScrollBar()
    return (table.verticalHeader().length() + (header.height() if header.isVisible() else 0)
            + 2 * table.frameWidth() + (scrollbar.height() if scrollbar.isVisible() else 0))


class PlanDetail(QWidget):
    """The shown plan's widgets, laid out wide (heading in one row, low buttons) or narrow (stacked)."""

    def __init__(self, parent: QWidget, *, title: QLabel, escalation: QLabel, happened: QLabel, trigger: QLabel,
                 table: QTableView, commands: list[QPushButton], status: QLabel, dismiss: QPushButton) -> None:
        super().__init__(parent)
        self.setObjectName("planDetail")
        self.table, self.trigger, self.title, self.escalation = table, trigger, title, escalation
        #: the trigger line is wanted (a proposal is shown); whether it shows depends on the room left
        self.trigger_wanted = True
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(_SPACING)
        self.heading_box = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.heading_box.setSpacing(8)
        self.heading_box.addWidget(title, 1)
        self.heading_box.addWidget(escalation, 0, Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(self.heading_box)
        outer.addWidget(happened)
        outer.addWidget(trigger)
        outer.addWidget(table, 1)
        # at the least the header and one step (the one to do, scrolled to): not Qt's 74 px default
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height()
                               + table.verticalHeader().defaultSectionSize() + 2 * table.frameWidth())
        buttons_box = QHBoxLayout()
        buttons_box.setSpacing(6)
        for button in commands:
            buttons_box.addWidget(button)
        # what the last command did, between the buttons (wrapped; its tooltip has it whole): no line of its own
        status.setWordWrap(True)
        status.setMinimumWidth(0)
        buttons_box.addWidget(status, 1)
        buttons_box.addWidget(dismiss)
        outer.addLayout(buttons_box)
        self.status = status
        self.buttons = [*commands, dismiss]
        self.wide: bool | None = None
        # start as the default layout has it (wide) and without the trigger line: the pane's minimum never jumps
        # above what it settles at, which would make Qt grow the window (and no window manager shrinks it back)
        trigger.hide()
        self._arrange(True)

    def _arrange(self, wide: bool) -> None:
        if wide != self.wide:
            self.wide = wide
            for widget in (self.title, self.escalation, *self.buttons):  # the style sheet's [wide="true"] rules
                widget.setProperty("wide", wide)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self.place_heading()

    def _heading_fits(self, width: int) -> bool:
        """The title and the countdown fit side by side on one line of ``width`` px (in the fonts they have now)."""
        title, escalation = self.title, self.escalation
        needed = title.fontMetrics().horizontalAdvance(title.text()) + 2 * title.margin() + 4
        if not escalation.isHidden() and escalation.text():
            needed += (escalation.fontMetrics().horizontalAdvance(escalation.text()) + 2 * escalation.margin()
                       + 2 * 10 + 4 + self.heading_box.spacing())  # its padding and border
        return needed <= width

    def place_heading(self) -> None:
        """Title and countdown in one row when the pane is wide and both fit there whole, else one under the other.
        In the row the title may be squeezed (it never is: the row is taken only when it fits), so neither adds to
        the pane's minimum width beyond what the countdown alone needs."""
        if not self.isVisible():  # laid out again once shown, at the width it then has (a hidden one's is stale)
            return
        row = bool(self.wide) and self._heading_fits(self.width())
        direction = QBoxLayout.Direction.LeftToRight if row else QBoxLayout.Direction.TopToBottom
        if self.heading_box.direction() != direction:
            self.heading_box.setDirection(direction)
            policy = QSizePolicy.Policy
            self.title.setSizePolicy(policy.Ignored if row else policy.Preferred, policy.Preferred)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width() >= WIDE_PX)
        super().resizeEvent(event)
        self.place_trigger()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.place_heading()
        self.place_trigger()

    def spare(self) -> int:
        """Pixels the steps table has beyond what it needs to show every step (negative: steps are cut)."""
        return self.table.height() - steps_height(self.table)

    def place_trigger(self) -> None:
        """Show the trigger line only while the steps keep room for it (hidden first when they are cut; shown
        again once the room it takes is spare: no flicker at the edge)."""
        if not self.trigger_wanted or not self.isVisible():  # a hidden pane's sizes are stale: decided once shown
            self.trigger.hide()
            return
        spare = self.spare()
        if not self.trigger.isHidden() and spare < 0:
            self.trigger.hide()
        elif self.trigger.isHidden() and spare >= self.trigger.sizeHint().height() + _SPACING:
            self.trigger.show()


__all__ = ["WIDE_PX", "PlanDetail", "steps_height"]
