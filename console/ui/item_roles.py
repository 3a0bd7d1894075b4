"""The item-data roles the desk's terminal models share, so that a view (the line diagram, a filter) can read any
of them without knowing which model it is looking at."""

from __future__ import annotations

from PySide6.QtCore import Qt

_USER = Qt.ItemDataRole.UserRole

#: the row's terminal id (str)
TERMINAL_ID_ROLE = _USER + 1
#: what the sorting proxy compares (numbers where the shown text would sort wrongly)
SORT_ROLE = _USER + 2
#: the terminal's presence word as the protocol says it ("registered", "emergency", ...)
PRESENCE_ROLE = _USER + 3
#: True while the terminal is in emergency (its presence, or an alert raised from it not yet cancelled)
EMERGENCY_ROLE = _USER + 4
#: the fill colour of the terminal's marker (QColor): its radio state, red in an emergency
MARKER_COLOUR_ROLE = _USER + 5
#: trains: where the train is along the line, metres (float), None when it is not on the line
CHAINAGE_ROLE = _USER + 6
#: trains: "up" or "down" (None when unknown)
DIRECTION_ROLE = _USER + 7
#: trains: the running number (str)
TRAIN_NUMBER_ROLE = _USER + 8
#: trains: the depot or named area it stands in when off the line (code), else None
AREA_ROLE = _USER + 9
#: the terminal's kind ("station", "camera", "handset", ...); None for rows that are not terminals
KIND_ROLE = _USER + 10
#: handsets: the group ids the terminal is affiliated to (tuple of str)
GROUPS_ROLE = _USER + 11
#: the places (codes) a row belongs to for filtering by station: home and where it is now (tuple of str)
PLACES_ROLE = _USER + 12

__all__ = ["AREA_ROLE", "CHAINAGE_ROLE", "DIRECTION_ROLE", "EMERGENCY_ROLE", "GROUPS_ROLE", "KIND_ROLE",
           "MARKER_COLOUR_ROLE", "PLACES_ROLE", "PRESENCE_ROLE", "SORT_ROLE", "TERMINAL_ID_ROLE",
           "TRAIN_NUMBER_ROLE"]
