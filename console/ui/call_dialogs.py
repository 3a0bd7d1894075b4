"""The calls pane's dialogs: a private call, a broadcast, a dynamic regroup, a patch, dissolving a temporary group.

Each dialog only gathers the dispatcher's choice (``choice()``); the pane gives the command when it is accepted.
OK stays disabled until the choice is complete.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.ui.pickers import Picker, group_choices, terminal_choices
from console.ui.vocabulary import DUPLEX, SUBSYSTEMS, word

#: terminals a dispatcher can call or regroup (cameras only stream video)
CALLABLE_KINDS = ("train", "station", "handset", "recorder", "console", "gateway")


class _ChoiceDialog(QDialog):
    """A heading, the dialog's own widgets, OK and Cancel; OK only while `complete`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.resize(560, 640)
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.heading.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.heading)

    def finish(self) -> None:
        """Add the buttons last and set OK's state."""
        self.body.addWidget(self.buttons)
        self.update_ok()

    def complete(self) -> bool:
        return True

    def update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(self.complete())

    def accept(self) -> None:
        if self.complete():
            super().accept()


class PrivateCallDialog(_ChoiceDialog):
    """Call one terminal: pick it, half or full duplex."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__("privateCallDialog", parent)
        self.picker = Picker(lambda: terminal_choices(world, CALLABLE_KINDS), parent=self)
        self.picker.chosenChanged.connect(self.update_ok)
        self.half = QRadioButton(word(DUPLEX, "half"), self)
        self.half.setObjectName("halfDuplex")
        self.full = QRadioButton(word(DUPLEX, "full"), self)
        self.full.setObjectName("fullDuplex")
        self.half.setChecked(True)
        self.body.addWidget(self.picker, 1)
        self.body.addWidget(self.half)
        self.body.addWidget(self.full)
        self.setWindowTitle(self.tr("Private call"))
        self.heading.setText(self.tr("Call one terminal privately"))
        self.finish()

    def complete(self) -> bool:
        return bool(self.picker.chosen())

    def choice(self) -> tuple[str, str]:
        """(terminal id, "half" or "full")."""
        return self.picker.chosen()[0], "full" if self.full.isChecked() else "half"


class BroadcastDialog(_ChoiceDialog):
    """A one-way call to all trains, all stations or one subsystem's terminals."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__("broadcastDialog", parent)
        self.resize(520, 360)
        self.all_trains = QRadioButton(self)
        self.all_trains.setObjectName("allTrains")
        self.all_stations = QRadioButton(self)
        self.all_stations.setObjectName("allStations")
        self.subsystem = QRadioButton(self)
        self.subsystem.setObjectName("subsystem")
        self.subsystems = QComboBox(self)
        self.subsystems.setObjectName("subsystemChoice")
        for value in SUBSYSTEMS:
            self.subsystems.addItem(word(SUBSYSTEMS, value), value)
        self.targets = QButtonGroup(self)
        for button in (self.all_trains, self.all_stations, self.subsystem):
            self.targets.addButton(button)
            self.body.addWidget(button)
        self.body.addWidget(self.subsystems)
        self.all_trains.setChecked(True)
        self.subsystems.setEnabled(False)
        self.subsystem.toggled.connect(self.subsystems.setEnabled)
        self.setWindowTitle(self.tr("Broadcast"))
        self.heading.setText(self.tr("Broadcast call (one way: only you talk)"))
        self.all_trains.setText(self.tr("All trains"))
        self.all_stations.setText(self.tr("All stations"))
        self.subsystem.setText(self.tr("One subsystem:"))
        self.body.addStretch(1)
        self.finish()

    def choice(self) -> tuple[str, str | None]:
        """(target, subsystem): ``all_trains``, ``all_stations`` or ``subsystem`` with its name."""
        if self.subsystem.isChecked():
            return "subsystem", str(self.subsystems.currentData())
        return ("all_stations" if self.all_stations.isChecked() else "all_trains"), None


class _NamedGroupDialog(_ChoiceDialog):
    """A new temporary group: English and Chinese names, and the members picked below."""

    def __init__(self, name: str, picker: Picker, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.name = QLineEdit(self)
        self.name.setObjectName("groupName")
        self.name_zh = QLineEdit(self)
        self.name_zh.setObjectName("groupNameZh")
        self.picker = picker
        picker.setParent(self)
        self.form = QFormLayout()
        self.name_label = QLabel(self)
        self.name_zh_label = QLabel(self)
        self.form.addRow(self.name_label, self.name)
        self.form.addRow(self.name_zh_label, self.name_zh)
        self.body.addLayout(self.form)
        self.body.addWidget(picker, 1)
        self.name.textChanged.connect(self.update_ok)
        self.name_zh.textChanged.connect(self.update_ok)
        picker.chosenChanged.connect(self.update_ok)

    def names(self) -> tuple[str, str]:
        """(English name, Chinese name); either may be typed alone."""
        english, chinese = self.name.text().strip(), self.name_zh.text().strip()
        return english or chinese, chinese


class RegroupDialog(_NamedGroupDialog):
    """Dynamic regrouping: gather chosen terminals into a new temporary group for an incident."""

    def __init__(self, world: Any, parent: QWidget | None = None, *, members: list[str] | None = None) -> None:
        super().__init__("regroupDialog", Picker(lambda: terminal_choices(world, CALLABLE_KINDS), multi=True), parent)
        self.setWindowTitle(self.tr("Dynamic regroup"))
        self.heading.setText(self.tr("Gather terminals into a temporary group"))
        self.name_label.setText(self.tr("Name"))
        self.name_zh_label.setText(self.tr("Chinese name"))
        stamp = time.strftime("%H:%M")
        self.name.setText(self.tr("Incident %1").replace("%1", stamp))
        self.name_zh.setText(f"事件 {stamp}")
        if members:
            self.picker.choose(members)
        self.finish()

    def complete(self) -> bool:
        return bool(self.names()[0]) and bool(self.picker.chosen())

    def choice(self) -> tuple[str, str, list[str]]:
        """(name, Chinese name, terminal ids)."""
        name, name_zh = self.names()
        return name, name_zh, self.picker.chosen()


class PatchDialog(_NamedGroupDialog):
    """Patch: join two or more groups so that they hear each other."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        permanent = [g for g, info in world.groups.items() if info.kind not in ("regroup", "patch")]
        super().__init__("patchDialog", Picker(lambda: group_choices(world, permanent), multi=True), parent)
        self.setWindowTitle(self.tr("Patch groups"))
        self.heading.setText(self.tr("Join two or more groups into one"))
        self.name_label.setText(self.tr("Name"))
        self.name_zh_label.setText(self.tr("Chinese name"))
        self.name.setText(self.tr("Patch %1").replace("%1", time.strftime("%H:%M")))
        self.name_zh.setText(f"合并组 {time.strftime('%H:%M')}")
        self.finish()

    def complete(self) -> bool:
        return bool(self.names()[0]) and len(self.picker.chosen()) >= 2

    def choice(self) -> tuple[str, str, list[str]]:
        """(name, Chinese name, group ids)."""
        name, name_zh = self.names()
        return name, name_zh, self.picker.chosen()


def temporary_groups(world: Any) -> list[str]:
    """The regroups and patches that exist now."""
    return sorted(g for g, info in world.groups.items() if info.kind in ("regroup", "patch"))


class DissolveDialog(_ChoiceDialog):
    """Pick a regroup or patch to dissolve."""

    def __init__(self, world: Any, parent: QWidget | None = None, *, preselect: str | None = None) -> None:
        super().__init__("dissolveDialog", parent)
        self.resize(520, 420)
        self.picker = Picker(lambda: group_choices(world, temporary_groups(world)), parent=self)
        self.picker.chosenChanged.connect(self.update_ok)
        self.body.addWidget(self.picker, 1)
        if preselect is not None:
            self.picker.choose([preselect])
        self.setWindowTitle(self.tr("Dissolve"))
        self.heading.setText(self.tr("Dissolve a temporary group (regroup or patch)"))
        self.finish()

    def complete(self) -> bool:
        return bool(self.picker.chosen())

    def choice(self) -> str:
        return self.picker.chosen()[0]


__all__ = ["CALLABLE_KINDS", "BroadcastDialog", "DissolveDialog", "PatchDialog", "PrivateCallDialog", "RegroupDialog",
           "temporary_groups"]
