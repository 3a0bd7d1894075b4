"""The metro line a testbed runs: stations, depots, trains, terminals, talk groups, dispatcher roles and
accounts, and a compact timetable, read from a YAML file (format: docs/line-format.md).

`load_line` checks the whole file and raises one `LineError` that lists every problem as file:line:col.
The model is in `model`, reading files in `reading`, password hashes in `passwords`; this package's names are
the public ones.
"""

from testbed.line.model import (
    FORMAT_VERSION,
    PERMISSIONS,
    SAMPLE_OVERRIDE_SECRETS,
    SAMPLE_PASSWORD,
    SAMPLE_TERMINAL_SECRET,
    STATION_TOLERANCE_M,
    ControlCentre,
    Departure,
    Depot,
    Dispatcher,
    DispatcherRole,
    Group,
    GroupKind,
    Line,
    LineError,
    Station,
    Terminal,
    Timetable,
    TimetablePosition,
    Train,
)
from testbed.line.passwords import hash_password, verify_password
from testbed.line.reading import default_line_path, load_line, parse_line, resource_folders

__all__ = [
    "FORMAT_VERSION", "PERMISSIONS", "SAMPLE_OVERRIDE_SECRETS", "SAMPLE_PASSWORD", "SAMPLE_TERMINAL_SECRET",
    "STATION_TOLERANCE_M", "ControlCentre", "Departure", "Depot", "Dispatcher", "DispatcherRole", "Group",
    "GroupKind", "Line", "LineError", "Station", "Terminal", "Timetable", "TimetablePosition", "Train",
    "default_line_path", "hash_password", "load_line", "parse_line", "resource_folders", "verify_password",
]
