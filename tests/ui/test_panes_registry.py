"""The pane registry: planned panes in layout order, placeholders until built, extra panes after them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.ui import panes
from console.ui.panes import LAYOUT, PaneContext


@pytest.fixture(autouse=True)
def _own_registry() -> Iterator[None]:
    saved = dict(panes._registry)
    panes._registry.clear()
    yield
    panes._registry.clear()
    panes._registry.update(saved)


def _label(_context: PaneContext) -> QWidget:
    return QLabel("pane")


def test_unbuilt_planned_panes_come_as_placeholders_in_layout_order() -> None:
    listed = panes.panes()
    assert [p.name for p in listed] == list(LAYOUT)
    assert all(p.factory is None for p in listed)
    assert next(p for p in listed if p.name == "handsets").tab_with == "stations"
    assert next(p for p in listed if p.name == "calls").split_from == ("emergencies", Qt.Orientation.Vertical)


def test_a_registered_pane_takes_its_place_and_its_planned_title() -> None:
    panes.pane("groups")(_label)
    groups = next(p for p in panes.panes() if p.name == "groups")
    assert groups.factory is _label
    assert groups.title == "Groups and PTT" and groups.area == Qt.DockWidgetArea.LeftDockWidgetArea


def test_an_unplanned_pane_needs_a_title_and_an_area_and_comes_last() -> None:
    with pytest.raises(ValueError, match="not in LAYOUT"):
        panes.register("cctv_review", _label)
    panes.register("cctv_review", _label, title="CCTV review", area=Qt.DockWidgetArea.BottomDockWidgetArea)
    listed = panes.panes()
    assert listed[-1].name == "cctv_review" and listed[-1].title == "CCTV review"
    assert len(listed) == len(LAYOUT) + 1


def test_every_planned_pane_has_an_icon_that_exists() -> None:
    from console.ui.resources import icon_path

    for name, planned in LAYOUT.items():
        assert planned.icon and icon_path(planned.icon).is_file(), name
