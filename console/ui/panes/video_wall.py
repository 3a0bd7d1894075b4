"""The video wall pane: up to 30 tiles, each painting the latest picture of one feed of the desk's `DeskMedia`.

The wall follows the core's `VideoWall` (``desk.media.wall``): any pull lands here, whether from "Add feed…", or
from the "Video" buttons of the stations, trains and handsets panes (they call ``desk.pull_video``). A `QTimer`
at about 25 fps looks at the shown tiles only and copies a tile's picture from shared memory only when its
sequence number moved; the GUI thread converts and paints, the media workers decode.

Click a tile to choose it; double-click to focus it (it takes the whole pane and switches to HD) and again to go
back to the grid (thumbnail). Hide stops the tile's stream but keeps its place (Show pulls it anew); Close ends
the feed; "Push to…" shows the tile's feed on the screens of chosen terminals or of a group (video_push.py). A
tile without a new picture for over a second shows FROZEN on an amber border.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import CommandStatus
from console.ui.panes.terminal_look import local_name
from console.ui.panes.video_push import PushFeedDialog
from console.ui.pickers import Picker, terminal_choices
from console.ui.resources import icon
from console.ui.vocabulary import group_name
from console.ui.widgets.video_tile import BAR_HEIGHT, TileInfo, VideoTileView

logger = logging.getLogger(__name__)

__all__ = ["FEED_KINDS", "REFRESH_MS", "AddFeedDialog", "VideoWallPane"]

#: ms between two looks at the shown tiles (about 25 pictures a second)
REFRESH_MS = 40
#: terminals whose video the dispatcher can pull onto the wall
FEED_KINDS = ("camera", "train", "handset", "recorder")


class AddFeedDialog(QDialog):
    """Choose a terminal (camera, train radio, handset, recorder) to pull its video onto the wall."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addFeedDialog")
        self.picker = Picker(lambda: terminal_choices(world, FEED_KINDS), parent=self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.picker.chosenChanged.connect(self._update_ok)
        self.picker.view.doubleClicked.connect(lambda _index: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker, 1)
        layout.addWidget(self.buttons)
        self.setWindowTitle(self.tr("Add a video feed"))
        self.resize(420, 520)
        self._update_ok()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.picker.chosen()))

    def chosen(self) -> str | None:
        picked = self.picker.chosen()
        return picked[0] if picked else None


class VideoWallPane(QWidget):
    """The wall's tiles and the commands on them (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoWallPane")
        self.world = world
        self.desk = desk
        self.media = getattr(desk, "media", None)
        size = self.media.wall.size if self.media is not None else 0
        #: one painted view per wall tile, made once (tiles are few and fixed)
        self.tiles: list[VideoTileView] = []
        self.grid_host = QWidget(self)
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.grid.setSpacing(4)
        for index in range(size):
            view = VideoTileView(index, self.grid_host)
            view.hide()
            view.clicked.connect(self.choose)
            view.doubleClicked.connect(self.toggle_focus)
            view.menuWanted.connect(self._menu_at)
            self.tiles.append(view)
        self.chosen: int | None = None
        self._arranged: tuple[tuple[int, ...], int | None, int] | None = None

        self.add_button = QPushButton(icon("video"), "", self)
        self.add_button.setObjectName("addFeedButton")
        self.add_button.clicked.connect(self.add_feed_dialog)
        self.focus_button = QPushButton(icon("camera"), "", self)
        self.focus_button.setObjectName("focusTileButton")
        self.focus_button.clicked.connect(lambda: self.chosen is not None and self.toggle_focus(self.chosen))
        self.hide_button = QPushButton("", self)
        self.hide_button.setObjectName("hideTileButton")
        self.hide_button.clicked.connect(lambda: self.chosen is not None and self.toggle_hidden(self.chosen))
        self.close_button = QPushButton(icon("dock-close"), "", self)
        self.close_button.setObjectName("closeTileButton")
        self.close_button.clicked.connect(lambda: self.chosen is not None and self.close_tile(self.chosen))
        self.push_button = QPushButton("", self)
        self.push_button.setObjectName("pushTileButton")
        self.push_button.clicked.connect(lambda: self.chosen is not None and self.open_push(self.chosen))
        self.status = CommandStatus(self)
        self.empty = QLabel(self)
        self.empty.setObjectName("videoWallEmpty")
        self.empty.setWordWrap(True)

        tools = QHBoxLayout()
        tools.setContentsMargins(6, 4, 6, 2)
        tools.setSpacing(8)
        for button in (self.add_button, self.focus_button, self.hide_button, self.push_button, self.close_button):
            tools.addWidget(button)
        tools.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addWidget(self.empty)
        layout.addWidget(self.grid_host, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        if self.media is not None:
            self.timer.start()
        if bridge is not None:
            bridge.videoChanged.connect(lambda _session: self.refresh())
        self.retranslate()
        self.refresh()

    # ----- following the wall -----------------------------------------------------------------

    def shown_tiles(self) -> list[int]:
        """The tiles on screen now: the focused one alone, else every tile that holds a feed."""
        if self.media is None:
            return []
        wall = self.media.wall
        if wall.focused is not None and wall.focused in wall.tiles:
            return [wall.focused]
        return sorted(wall.tiles)

    def _arrange(self, shown: list[int]) -> None:
        focused = self.media.wall.focused if self.media is not None else None
        columns = self._columns(len(shown))
        key = (tuple(shown), focused, columns)
        if key == self._arranged:
            return
        self._arranged = key
        for view in self.tiles:
            self.grid.removeWidget(view)
            view.hide()
            view.clear()  # a tile shown again reads its newest picture afresh
        for place, index in enumerate(shown):
            view = self.tiles[index]
            self.grid.addWidget(view, place // columns, place % columns)
            view.show()
        rows = max(1, math.ceil(len(shown) / columns)) if shown else 1
        for column in range(self.grid.columnCount()):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        for row in range(self.grid.rowCount()):
            self.grid.setRowStretch(row, 1 if row < rows else 0)
        self.empty.setVisible(not shown)
        if self.chosen is not None and (self.media is None or self.chosen not in self.media.wall.tiles):
            self.choose(None)

    def _columns(self, count: int) -> int:
        """The grid's columns for ``count`` tiles: the choice that shows 16:9 pictures largest in the pane."""
        if count <= 1:
            return 1
        width, height = max(1, self.grid_host.width()), max(1, self.grid_host.height())

        def scale(columns: int) -> float:
            rows = math.ceil(count / columns)
            return min(width / columns / 16, (height / rows - 2 * BAR_HEIGHT) / 9)

        return max(range(1, count + 1), key=scale)

    def refresh(self) -> None:
        """Each tick: lay out the tiles the wall holds (a resize re-lays the grid), update their labels, and copy
        newer pictures of the shown ones."""
        if self.media is None:
            return
        shown = self._arrange_and_list()
        wall = self.media.wall
        # a wall behind another tab (or closed) copies no picture: nobody sees it, and 30 feeds' conversions would
        # take most of the GUI thread; the newest picture is copied as soon as it shows again
        visible = self.isVisible() and not self.visibleRegion().isEmpty()
        for index in shown:
            tile = wall.tiles.get(index)
            view = self.tiles[index]
            if tile is None:
                continue
            view.set_info(TileInfo(title=self.title_of(tile), quality=tile.quality, fps=tile.fps,
                                   age=tile.last_frame_age, frozen=tile.frozen, hidden=tile.hidden,
                                   focused=tile.focused, state=tile.state, failed=tile.failed))
            if tile.hidden or tile.session is None:
                view.clear()
                continue
            if not visible:
                continue
            frame = self.media.read_tile(index, since=view.last_seq)
            if frame is not None:
                view.take_frame(frame)
        self._update_buttons()

    def _arrange_and_list(self) -> list[int]:
        shown = self.shown_tiles()
        self._arrange(shown)
        return shown

    def title_of(self, tile: Any) -> str:
        """"Train 1901 · Saloon camera 2" / "Wenchang Road platform camera": who sends the tile's feed."""
        asked = self.world.terminals.get(tile.asked)
        name = local_name(asked) if asked is not None else tile.asked
        if tile.source != tile.asked:
            camera = self.world.terminals.get(tile.source)
            name = f"{name} · {local_name(camera) if camera is not None else tile.source}"
        return name

    # ----- commands -----------------------------------------------------------------------------

    def choose(self, index: int | None) -> None:
        """Make ``index`` the tile the buttons act on."""
        self.chosen = index
        for view in self.tiles:
            view.set_selected(view.index == index)
        self._update_buttons()

    def _run(self, doing: str, coroutine: Coroutine[Any, Any, Any]) -> None:
        self.status.run(doing, coroutine, lambda _result: "")

    def _name(self, index: int) -> str:
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        return self.title_of(tile) if tile is not None else str(index + 1)

    def add_feed(self, terminal: str) -> None:
        """Pull ``terminal``'s video onto the first free tile."""
        if self.media is None:
            return
        who = local_name(self.world.terminals.get(terminal)) if terminal in self.world.terminals else terminal
        self._run(self.tr("Opening video of %1…").replace("%1", who), self.desk.pull_video(terminal))

    def add_feed_dialog(self) -> None:
        dialog = AddFeedDialog(self.world, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = dialog.chosen()
            if chosen:
                self.add_feed(chosen)
        dialog.deleteLater()

    def toggle_focus(self, index: int) -> None:
        """Focus ``index`` (HD, the whole pane), or give the focused tile back to the grid (thumbnail)."""
        if self.media is None or index not in self.media.wall.tiles or self.media.wall.tiles[index].hidden:
            return
        self.choose(index)
        if self.media.wall.focused == index:
            self._run(self.tr("Back to the grid…"), self.media.focus(None))
        else:
            self._run(self.tr("Focusing %1…").replace("%1", self._name(index)), self.media.focus(index))
        self.refresh()

    def toggle_hidden(self, index: int) -> None:
        """Hide a tile (its stream stops), or show a hidden one again (its feed is pulled anew)."""
        if self.media is None or index not in self.media.wall.tiles:
            return
        if self.media.wall.tiles[index].hidden:
            self._run(self.tr("Showing %1…").replace("%1", self._name(index)), self.media.show(index))
        else:
            self._run(self.tr("Hiding %1…").replace("%1", self._name(index)), self.media.hide(index))
        self.refresh()

    def retry(self, index: int) -> None:
        """Pull a failed tile's feed again, on the same tile."""
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        if tile is None or self.media is None or tile.state != "failed":
            return
        self._run(self.tr("Opening video of %1…").replace("%1", self._name(index)), self.media.retry(index))
        self.refresh()

    def close_tile(self, index: int) -> None:
        """End the tile's feed; the tile empties."""
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        if tile is None or self.media is None:
            return
        if tile.session is None:  # hidden: nothing is flowing, only the place is kept
            self.media.wall.release(index)
            self.refresh()
            return
        if tile.hidden:  # hidden and paused (SFU plane): the place goes with the session
            self.media.wall.release(index)
        self._run(self.tr("Closing %1…").replace("%1", self._name(index)), self.desk.stop_video(tile.session))

    def open_push(self, index: int) -> PushFeedDialog | None:
        """"Push to…": choose terminals or a group; on OK the tile's feed is pushed to them (`push`)."""
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        if tile is None:
            return None
        dialog = PushFeedDialog(self.world, tile.source, self._name(index), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.push(index, *dialog.choice()))
        dialog.open()
        return dialog

    def push(self, index: int, to: list[str], group: str | None = None) -> None:
        """Show the tile's feed on the screens of ``to`` (terminal ids) or of ``group``: the platform opens one
        session per receiver from the feed's source; the outcome shows on the status line and in the event log."""
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        if tile is None or (not to and group is None):
            return
        name = self._name(index)
        if group is not None:
            where = group_name(self.world, group)
        else:
            names = [local_name(self.world.terminals[t]) if t in self.world.terminals else t for t in to]
            where = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
        doing = self.tr("Pushing %1 to %2…").replace("%1", name).replace("%2", where)
        # by session while the tile receives it; a hidden tile's feed by its source (the platform starts it anew)
        pushing = (self.desk.push_video(tile.session, to=to, group=group) if tile.session is not None
                   else self.desk.push_video(source=tile.source, to=to, group=group))
        self.status.run(doing, pushing, lambda sessions: self.tr("%1 pushed to %2 screen(s)").replace(
            "%1", name).replace("%2", str(len(sessions or ()))))

    def _menu_at(self, index: int, where: QPoint) -> None:
        menu = self.menu_for(index)
        if menu.isEmpty():
            menu.deleteLater()
            return
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)

    def menu_for(self, index: int) -> QMenu:
        """The actions on one tile: focus or back to the grid, hide or show, push to terminals, close."""
        menu = QMenu(self)
        tile = self.media.wall.tiles.get(index) if self.media is not None else None
        if tile is None:
            return menu
        if tile.state == "failed":
            menu.addAction(self.tr("Try again"), lambda: self.retry(index))
        elif not tile.hidden:
            focus_text = self.tr("Back to the grid") if tile.focused else self.tr("Focus (HD)")
            menu.addAction(icon("camera"), focus_text, lambda: self.toggle_focus(index))
        menu.addAction(self.tr("Show") if tile.hidden else self.tr("Hide"), lambda: self.toggle_hidden(index))
        menu.addAction(self.tr("Push to…"), lambda: self.open_push(index))
        menu.addAction(icon("dock-close"), self.tr("Close"), lambda: self.close_tile(index))
        return menu

    def _update_buttons(self) -> None:
        tile = (self.media.wall.tiles.get(self.chosen) if self.media is not None and self.chosen is not None
                else None)
        self.add_button.setEnabled(self.media is not None)
        self.focus_button.setEnabled(tile is not None and not tile.hidden)
        self.hide_button.setEnabled(tile is not None)
        self.close_button.setEnabled(tile is not None)
        self.push_button.setEnabled(tile is not None)
        hidden = tile is not None and tile.hidden
        text = self.tr("Show") if hidden else self.tr("Hide")
        if self.hide_button.text() != text:
            self.hide_button.setText(text)
        focus = self.tr("Back to the grid") if tile is not None and tile.focused else self.tr("Focus (HD)")
        if self.focus_button.text() != focus:
            self.focus_button.setText(focus)

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.add_button.setText(self.tr("Add feed…"))
        self.add_button.setToolTip(self.tr("Pull video from a camera, a train, a handset or a recorder"))
        self.focus_button.setToolTip(self.tr("Show the chosen tile alone, in HD (or double-click it)"))
        self.hide_button.setToolTip(self.tr("Stop the chosen tile's stream but keep its place"))
        self.close_button.setText(self.tr("Close"))
        self.push_button.setText(self.tr("Push to…"))
        self.push_button.setToolTip(self.tr("Show the chosen tile's feed on the screens of terminals or a group"))
        self.close_button.setToolTip(self.tr("End the chosen tile's feed"))
        self.empty.setText(self.tr("No video on the wall. Add a feed, or use Video on a station, train or handset.")
                           if self.media is not None else
                           self.tr("This desk receives no video (it was started without media)."))
        self._update_buttons()
        for view in self.tiles:
            view.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("video_wall")
def create(context: PaneContext) -> QWidget:
    return VideoWallPane(context.world, context.desk, context.bridge)
