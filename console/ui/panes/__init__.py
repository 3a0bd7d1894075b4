"""The plug-in point for the desk's panes: each pane is a QWidget factory placed by the shell in a dock.

A pane module (``console/ui/panes/<name>.py``) registers its factory at import::

    from console.ui.panes import PaneContext, pane

    @pane("stations")
    def create(context: PaneContext) -> QWidget:
        return StationsView(context.bridge, context.world, context.desk)

The shell owns where panes go and what their docks are called: `LAYOUT` lists the planned panes (the module
name, which is also the dock's object name, so saved layouts survive reordering; the translatable title; the
default dock area; the pane it shares a tab or splits off from). `load_builtin` imports
``console.ui.panes.<name>`` for every name in `LAYOUT`; a planned pane whose module does not exist yet, fails to
import or fails to build shows a placeholder, and the rest of the desk runs. A pane not in `LAYOUT` passes
``title`` and ``area`` to `pane` (and ``hidden=True`` for a pane the default layout keeps closed: View shows it,
as test mode's panel). Titles are marked with ``QT_TRANSLATE_NOOP("Panes", ...)`` and translated in
``resources/translations/trunkdesk_zh_CN.ts`` (context ``Panes``).

A pane reads ``context.world`` and redraws on ``context.bridge``'s signals (coalesced, ids only); it gives commands
through ``context.desk`` (coroutines: ``asyncio.ensure_future(context.desk.select(group))``); it takes keys from
``context.actions`` (the keyboard is one table, `console.ui.shortcuts`) and re-reads its strings on
``QEvent.LanguageChange`` in ``changeEvent``. Long lists are item models, never a widget per terminal.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QWidget

from console.ui.i18n import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from console.ui.actions import DeskActions
    from console.ui.bridge import DeskBridge
    from console.ui.desk_commands import DeskCommands

logger = logging.getLogger(__name__)

Area = Qt.DockWidgetArea


@dataclass(frozen=True)
class PaneContext:
    """What a pane gets: the bridge's Qt signals, the core's model and commands, and the shell's actions."""

    #: Qt signals re-emitted from the core World's changes (coalesced)
    bridge: DeskBridge
    #: the core World (read state here; never keep copies that can go stale)
    world: Any
    #: the core Desk: the dispatcher's commands (coroutines: run them with ``asyncio.ensure_future``)
    desk: Any
    #: the shell's central actions (``actions.action("ack_emergency").triggered`` ...); keys the user can change
    actions: DeskActions
    #: the shell's commands behind those keys; ``commands.alertFocused`` says which alert "next alert" chose
    commands: DeskCommands | None = None


PaneFactory = Callable[[PaneContext], QWidget]


@dataclass(frozen=True)
class PaneSpec:
    """One pane: its stable name (dock object name), its title (source string) and where it docks by default."""

    name: str
    title: str
    area: Area
    factory: PaneFactory | None = None
    #: in the default layout, share a tabbed dock with this pane
    tab_with: str | None = None
    #: in the default layout, split this pane's dock off (pane name, orientation): Horizontal puts it to the
    #: right of that pane, Vertical below it
    split_from: tuple[str, Qt.Orientation] | None = None
    #: icon of the dock (shown on its tab when tabbed), a name in resources/icons
    icon: str | None = None
    #: closed in the default layout (the View menu opens it)
    hidden: bool = False

    def translated_title(self) -> str:
        return QCoreApplication.translate("Panes", self.title)


@dataclass(frozen=True)
class _Planned:
    title: str
    area: Area
    tab_with: str | None = None
    split_from: tuple[str, Qt.Orientation] | None = None
    icon: str | None = None
    hidden: bool = False


_RIGHT_OF, _BELOW = Qt.Orientation.Horizontal, Qt.Orientation.Vertical

#: The default layout for 1920x1080: the line across the top (the video wall a tab beside it); groups and PTT on the
#: left; emergencies and calls in the middle; stations, staff, messages and the log on the right.
LAYOUT: dict[str, _Planned] = {
    "vehicles": _Planned(QT_TRANSLATE_NOOP("Panes", "Trains and line"), Area.TopDockWidgetArea, icon="train"),
    "video_wall": _Planned(QT_TRANSLATE_NOOP("Panes", "Video wall"), Area.TopDockWidgetArea, tab_with="vehicles",
                           icon="video"),
    "train_graph": _Planned(QT_TRANSLATE_NOOP("Panes", "Train graph"), Area.TopDockWidgetArea, tab_with="vehicles",
                            icon="train"),
    "quality": _Planned(QT_TRANSLATE_NOOP("Panes", "Link and media quality"), Area.TopDockWidgetArea,
                        tab_with="vehicles", icon="link-up"),
    "groups": _Planned(QT_TRANSLATE_NOOP("Panes", "Groups and PTT"), Area.LeftDockWidgetArea, icon="group"),
    "emergencies": _Planned(QT_TRANSLATE_NOOP("Panes", "Emergencies and alarms"), Area.LeftDockWidgetArea,
                            split_from=("groups", _RIGHT_OF), icon="emergency"),
    "calls": _Planned(QT_TRANSLATE_NOOP("Panes", "Calls"), Area.LeftDockWidgetArea,
                      split_from=("emergencies", _BELOW), icon="call"),
    "plans": _Planned(QT_TRANSLATE_NOOP("Panes", "Emergency plans"), Area.LeftDockWidgetArea, tab_with="calls",
                      icon="alarm"),
    "stations": _Planned(QT_TRANSLATE_NOOP("Panes", "Stations"), Area.RightDockWidgetArea, icon="station"),
    "handsets": _Planned(QT_TRANSLATE_NOOP("Panes", "Handsets and recorders"), Area.RightDockWidgetArea,
                         tab_with="stations", icon="handset"),
    "messages": _Planned(QT_TRANSLATE_NOOP("Panes", "Messages"), Area.RightDockWidgetArea,
                         split_from=("stations", _BELOW), icon="message"),
    "event_log": _Planned(QT_TRANSLATE_NOOP("Panes", "Event log"), Area.RightDockWidgetArea, tab_with="messages",
                          icon="log"),
}

_registry: dict[str, PaneSpec] = {}


def pane(name: str, *, title: str | None = None, area: Area | None = None, tab_with: str | None = None,
         icon: str | None = None, hidden: bool = False) -> Callable[[PaneFactory], PaneFactory]:
    """Decorator registering ``factory`` as pane ``name`` (title and area come from `LAYOUT` unless given)."""

    def register_factory(factory: PaneFactory) -> PaneFactory:
        register(name, factory, title=title, area=area, tab_with=tab_with, icon=icon, hidden=hidden)
        return factory

    return register_factory


def register(name: str, factory: PaneFactory, *, title: str | None = None, area: Area | None = None,
             tab_with: str | None = None, icon: str | None = None, hidden: bool = False) -> PaneSpec:
    """Register (or replace) pane ``name``; see the module docstring."""
    planned = LAYOUT.get(name)
    if planned is None:
        if title is None or area is None:
            raise ValueError(f"pane {name!r} is not in LAYOUT: give it a title and an area")
        planned = _Planned(title, area, tab_with, icon=icon, hidden=hidden)
    spec = PaneSpec(name=name, title=title if title is not None else planned.title,
                    area=area if area is not None else planned.area, factory=factory,
                    tab_with=tab_with if tab_with is not None else planned.tab_with,
                    split_from=planned.split_from if area is None else None,
                    icon=icon if icon is not None else planned.icon, hidden=hidden or planned.hidden)
    if name in _registry:
        logger.debug("pane %s replaced", name)
    _registry[name] = spec
    return spec


def unregister(name: str) -> None:
    """Forget pane ``name`` (tests)."""
    _registry.pop(name, None)


def load_builtin() -> None:
    """Import every planned pane module that exists, so that each registers itself."""
    for name in LAYOUT:
        module = f"{__name__}.{name}"
        if name in _registry or importlib.util.find_spec(module) is None:
            continue
        try:
            importlib.import_module(module)
        except Exception:  # one broken pane must not take the desk down: it shows its placeholder
            logger.exception("pane module %s failed to import", module)


def panes() -> list[PaneSpec]:
    """Every pane in layout order: the registered ones, and placeholders (no factory) for planned ones not built."""
    result = [_registry.get(name) or PaneSpec(name, planned.title, planned.area, None, planned.tab_with,
                                              planned.split_from, planned.icon, planned.hidden)
              for name, planned in LAYOUT.items()]
    result += [spec for name, spec in _registry.items() if name not in LAYOUT]
    return result
