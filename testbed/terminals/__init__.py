"""Simulated terminals for the testbed: real TDP/1 clients with behaviours, trains on the timetable and
staff on the move (see docs/architecture.md, "testbed/")."""

from testbed.terminals.behaviour import Behaviour, Rates
from testbed.terminals.fleet import Fleet, FleetStartError, FleetStats, simulated_clock
from testbed.terminals.floors import PttOutcome, TerminalStats
from testbed.terminals.link import KnownInstances, PlatformLink
from testbed.terminals.service import ServiceClock
from testbed.terminals.staff import SimStaff, StaffWalk
from testbed.terminals.terminal import EmergencyOutcome, SimTerminal, TerminalDisabled
from testbed.terminals.train import SimTrain, train_location

__all__ = [
    "Behaviour",
    "EmergencyOutcome",
    "Fleet",
    "FleetStartError",
    "FleetStats",
    "KnownInstances",
    "PlatformLink",
    "PttOutcome",
    "Rates",
    "ServiceClock",
    "SimStaff",
    "SimTerminal",
    "SimTrain",
    "StaffWalk",
    "TerminalDisabled",
    "TerminalStats",
    "simulated_clock",
    "train_location",
]
