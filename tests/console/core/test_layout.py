"""The line layout's geometry for the line diagram: depots in chainage order and the stretches in tunnel."""

from __future__ import annotations

from console.core.layout import LineLayout, Place, layout_from_line
from testbed.line import default_line_path, load_line


def _station(code: str, chainage: float, tunnel: bool) -> Place:
    return Place(code, "station", chainage_m=chainage, tunnel=tunnel)


def test_the_sample_line_is_in_tunnel_from_its_first_to_its_last_underground_station() -> None:
    layout = layout_from_line(load_line(default_line_path()))
    assert layout.tunnel_sections() == ((5480.0, 19200.0),)  # S03 to S09
    assert [d.code for d in layout.depots] == ["D1", "D2"]
    assert [d.chainage_m for d in layout.depots] == [300.0, 22700.0]


def test_every_run_of_underground_stations_is_one_section_and_a_lone_one_has_no_length() -> None:
    layout = LineLayout(places=(
        _station("A", 0, True), _station("B", 1000, True), _station("C", 2000, False),
        _station("D", 3000, True), _station("E", 4000, False), _station("F", 5000, True),
        _station("G", 6000, True), Place("X", "depot", chainage_m=-500), Place("Y", "depot", chainage_m=-900)))
    assert layout.tunnel_sections() == ((0.0, 1000.0), (3000.0, 3000.0), (5000.0, 6000.0))
    assert [d.code for d in layout.depots] == ["Y", "X"]


def test_a_line_above_ground_has_no_tunnel() -> None:
    layout = LineLayout(places=(_station("A", 0, False), _station("B", 900, False)))
    assert layout.tunnel_sections() == ()
    assert layout.depots == ()
