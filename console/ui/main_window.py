"""The dispatcher's window: the panes in rearrangeable docks, the menus, the status bar.

Layout (dock positions and sizes) and window geometry are saved in QSettings (organisation ``trunkdesk``) when
the window closes and restored when it opens; View → Reset layout goes back to the default for 1920x1080.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox, QWidget

from console.ui.i18n import LANGUAGES, Languages
from console.ui.panes import PaneContext, PaneSpec, panes
from console.ui.panes.placeholder import PlaceholderPane
from console.ui.resources import icon
from console.ui.shortcuts_dialog import ShortcutsDialog
from console.ui.status_bar import DeskStatusBar
from console.ui.widgets.emergency_banner import install_emergency_banner

logger = logging.getLogger(__name__)

#: bump when the dock set changes shape, so that an old saved layout is not applied to a new window
LAYOUT_VERSION = 1
DEFAULT_SIZE = QSize(1920, 1050)
#: default sizes (px) of the dock columns and rows at 1920x1080
_DEFAULT_WIDTHS = ("groups", "emergencies", "stations")
_DEFAULT_WIDTH_PX = (560, 680, 680)
#: each column's docks from top to bottom, with their heights
_DEFAULT_HEIGHTS = (("vehicles",), ("emergencies", "calls"), ("stations", "messages"))
_DEFAULT_HEIGHT_PX = ((240,), (400, 330), (420, 310))
#: the dispatch actions listed in the Dispatch menu, in this order
_DISPATCH_MENU = ("ack_emergency", "next_alert", "ack_alarm", None, "answer_call", "end_call", None, "search_log")


class DeskWindow(QMainWindow):
    """The desk: docks built from the pane registry, menus, shortcuts, status bar; retranslated live."""

    #: the window was closed (the layout is saved by then)
    closed = Signal()

    def __init__(self, context: PaneContext, languages: Languages, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskWindow")
        self.context = context
        self.languages = languages
        self.settings = settings or QSettings()
        self.setWindowIcon(icon("trunkdesk"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        # the line diagram spans the whole width; the columns reach down to the status bar
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.TopDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.TopDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        # the panes fill the window: the central widget is an empty placeholder Qt requires
        placeholder = QWidget(self)
        placeholder.setObjectName("centralPlaceholder")
        placeholder.hide()
        self.setCentralWidget(placeholder)
        self._shown_once = False
        self._restored = False
        self.resize(DEFAULT_SIZE)
        self.specs: list[PaneSpec] = panes()
        self.docks: dict[str, QDockWidget] = {}
        for spec in self.specs:
            self.docks[spec.name] = self._make_dock(spec)
        self.apply_default_layout()
        # the red emergency banner across the top, above every dock (shown only while an alert is unacknowledged)
        self.banner = install_emergency_banner(self, context)

        self.status = DeskStatusBar(context.world, context.bridge, parent=self)
        self.setStatusBar(self.status)
        context.actions.attach(self)
        self._build_menus()
        languages.languageChanged.connect(self._check_language)
        self.retranslate()

    # ----- docks --------------------------------------------------------------------------------

    def _make_dock(self, spec: PaneSpec) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(spec.name)
        if spec.icon:
            dock.setWindowIcon(icon(spec.icon))
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        widget: QWidget
        if spec.factory is None:
            widget = PlaceholderPane(spec.name)
        else:
            try:
                widget = spec.factory(self.context)
            except Exception:  # one broken pane must not take the desk down
                logger.exception("pane %s failed to build", spec.name)
                widget = PlaceholderPane(spec.name)
        if not widget.objectName():
            widget.setObjectName(f"{spec.name}Pane")
        dock.setWidget(widget)
        return dock

    def pane(self, name: str) -> QWidget:
        """The widget of pane ``name``."""
        widget = self.docks[name].widget()
        assert widget is not None
        return widget

    def apply_default_layout(self) -> None:
        """Put every dock where `console.ui.panes.LAYOUT` says, tabbed and sized for 1920x1080, all visible (but
        panes registered ``hidden``)."""
        for dock in self.docks.values():
            self.removeDockWidget(dock)
        placed: set[str] = set()
        for spec in self.specs:
            dock = self.docks[spec.name]
            if spec.tab_with in self.docks:
                continue
            anchor = spec.split_from[0] if spec.split_from else None
            if anchor in placed and spec.split_from is not None:
                self.splitDockWidget(self.docks[anchor], dock, spec.split_from[1])
            else:
                self.addDockWidget(spec.area, dock, Qt.Orientation.Vertical)
            placed.add(spec.name)
        for spec in self.specs:
            if spec.tab_with in self.docks:
                self.tabifyDockWidget(self.docks[spec.tab_with], self.docks[spec.name])
        for spec in self.specs:  # every dock open, but the ones the default layout keeps closed (View opens them)
            self.docks[spec.name].setFloating(False)
            self.docks[spec.name].setVisible(not spec.hidden)
        for spec in self.specs:  # the first pane of each tab group in front
            if spec.tab_with is None:
                self.docks[spec.name].raise_()
        self._default_sizes()

    def _default_sizes(self) -> None:
        """Sizes for the default layout, scaled to the window (designed at 1920x1080)."""
        scale_w = max(self.width(), 800) / DEFAULT_SIZE.width()
        scale_h = max(self.height(), 600) / DEFAULT_SIZE.height()
        plans: list[tuple[tuple[str, ...], tuple[int, ...], Qt.Orientation, float]] = [
            (_DEFAULT_WIDTHS, _DEFAULT_WIDTH_PX, Qt.Orientation.Horizontal, scale_w)]
        plans += [(column, px, Qt.Orientation.Vertical, scale_h)
                  for column, px in zip(_DEFAULT_HEIGHTS, _DEFAULT_HEIGHT_PX, strict=True)]
        for names, sizes, orientation, scale in plans:
            present = [(self.docks[n], px) for n, px in zip(names, sizes, strict=True) if n in self.docks]
            if present:
                self.resizeDocks([d for d, _ in present], [int(px * scale) for _, px in present], orientation)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if not self._restored:
                # once the show has been laid out: before that the dock areas have no sizes to divide
                QTimer.singleShot(0, self._default_sizes)

    def raise_pane(self, name: str) -> None:
        """Bring pane ``name`` to the front (showing its dock if the dispatcher had closed it)."""
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def reset_layout(self) -> None:
        self.apply_default_layout()
        logger.info("layout reset to the default")

    # ----- saving and restoring -------------------------------------------------------------------

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def restore_layout(self) -> bool:
        """Apply the saved geometry and dock state; False (default layout kept) when there is none usable."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        self._restored = isinstance(state, QByteArray | bytes) and self.restoreState(QByteArray(state), LAYOUT_VERSION)
        return self._restored

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)
        self.closed.emit()

    # ----- menus -------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = QMenu(self)
        self.file_menu.setObjectName("fileMenu")
        self.quit_action = QAction(self)
        self.quit_action.setObjectName("action_quit")
        self.quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.quit_action)

        self.dispatch_menu = QMenu(self)
        self.dispatch_menu.setObjectName("dispatchMenu")
        actions = self.context.actions
        for name in _DISPATCH_MENU:
            if name is None:
                self.dispatch_menu.addSeparator()
            else:
                self.dispatch_menu.addAction(actions.action(name))
        groups = self.dispatch_menu.addMenu("")
        groups.setObjectName("selectGroupMenu")
        self.select_group_menu = groups
        for n in range(1, 10):
            groups.addAction(actions.action(f"select_group_{n}"))

        self.view_menu = QMenu(self)
        self.view_menu.setObjectName("viewMenu")
        for spec in self.specs:
            self.view_menu.addAction(self.docks[spec.name].toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(actions.action("full_screen"))
        actions.action("full_screen").triggered.connect(self._toggle_full_screen)
        self.reset_layout_action = QAction(self)
        self.reset_layout_action.setObjectName("action_reset_layout")
        self.reset_layout_action.triggered.connect(self.reset_layout)
        self.view_menu.addAction(self.reset_layout_action)

        self.language_menu = QMenu(self)
        self.language_menu.setObjectName("languageMenu")
        self.language_group = QActionGroup(self)
        self.language_group.setExclusive(True)
        self.language_actions: dict[str, QAction] = {}
        for code, name in LANGUAGES.items():
            action = QAction(name, self)  # each language is named in itself: never translated
            action.setObjectName(f"action_language_{code}")
            action.setCheckable(True)
            action.setChecked(code == self.languages.language)
            action.triggered.connect(lambda _checked=False, code=code: self.choose_language(code))
            self.language_group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action

        self.help_menu = QMenu(self)
        self.help_menu.setObjectName("helpMenu")
        self.shortcuts_action = QAction(self)
        self.shortcuts_action.setObjectName("action_shortcuts")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = QAction(self)
        self.about_action.setObjectName("action_about")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.diagnostics_action = QAction(self)
        self.diagnostics_action.setObjectName("action_copy_diagnostics")
        self.diagnostics_action.triggered.connect(self.copy_diagnostics)
        self.help_menu.addAction(self.shortcuts_action)
        self.help_menu.addAction(self.diagnostics_action)
        self.help_menu.addAction(self.about_action)

        for menu in (self.file_menu, self.dispatch_menu, self.view_menu, self.language_menu, self.help_menu):
            bar.addMenu(menu)

    def choose_language(self, code: str) -> None:
        """Switch the desk's language now and remember it."""
        self.languages.set_language(code)
        self.settings.setValue("ui/language", self.languages.language)
        self._check_language(self.languages.language)

    def _check_language(self, code: str) -> None:
        action = self.language_actions.get(code)
        if action is not None:
            action.setChecked(True)

    def _toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def copy_diagnostics(self) -> str:
        """Put the diagnostics (versions, settings, links, media, recent log; no secrets) on the clipboard."""
        from console.core.diagnostics import collect_diagnostics

        text = collect_diagnostics(self.context.desk)
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(self.tr("Diagnostics copied to the clipboard"), 5000)
        logger.info("diagnostics copied to the clipboard (%d lines)", text.count("\n"))
        return text

    def show_about(self) -> None:
        try:
            release = version("trunkdesk")
        except PackageNotFoundError:
            release = "dev"
        QMessageBox.about(self, self.tr("About trunkdesk"),
                          self.tr("<h3>trunkdesk %1</h3><p>Dispatch console for metro-line 5G trunking: group "
                                  "voice with floor control, private, emergency and broadcast calls, alarms, "
                                  "messages and dual-live failover.</p><p>Apache-2.0</p>").replace("%1", release))

    # ----- language ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Re-read every string of the shell (panes retranslate themselves on the same LanguageChange)."""
        self.setWindowTitle(self.tr("trunkdesk — dispatch desk"))
        self.file_menu.setTitle(self.tr("&File"))
        self.quit_action.setText(self.tr("&Quit"))
        self.dispatch_menu.setTitle(self.tr("&Dispatch"))
        self.select_group_menu.setTitle(self.tr("Select monitored group"))
        self.view_menu.setTitle(self.tr("&View"))
        self.reset_layout_action.setText(self.tr("Reset layout"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.shortcuts_action.setText(self.tr("Keyboard shortcuts"))
        self.diagnostics_action.setText(self.tr("Copy diagnostics"))
        self.about_action.setText(self.tr("About trunkdesk"))
        for spec in self.specs:
            self.docks[spec.name].setWindowTitle(spec.translated_title())
        self.context.actions.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
