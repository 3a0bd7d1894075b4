"""The small dialog a dispatcher writes a passenger-information (PIS) message in: Chinese text, English text, how
long it shows, urgent or not, for one train or all of them. The pane sends it with `Desk.push_pis`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class PisRequest:
    """What the dispatcher asked to show: the arguments of `Desk.push_pis`."""

    text: str
    text_en: str
    #: running numbers (empty: every train)
    trains: tuple[str, ...]
    duration_s: int
    urgent: bool


class PisDialog(QDialog):
    """Write a PIS message for ``trains`` (running numbers; none means every train)."""

    def __init__(self, trains: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pisDialog")
        self.trains = tuple(trains)
        self.setMinimumWidth(560)
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("pisText")
        self.text.setFixedHeight(96)
        self.text_en = QLineEdit(self)
        self.text_en.setObjectName("pisTextEn")
        self.duration = QSpinBox(self)
        self.duration.setObjectName("pisDuration")
        self.duration.setRange(10, 3600)
        self.duration.setSingleStep(30)
        self.duration.setValue(60)
        self.urgent = QCheckBox(self)
        self.urgent.setObjectName("pisUrgent")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self._labels = [QLabel(self) for _ in range(3)]
        self.form.addRow(self._labels[0], self.text)
        self.form.addRow(self._labels[1], self.text_en)
        self.form.addRow(self._labels[2], self.duration)
        self.form.addRow("", self.urgent)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._check)
        self.text_en.textChanged.connect(self._check)
        self.retranslate()
        self._check()

    def request(self) -> PisRequest:
        return PisRequest(self.text.toPlainText().strip(), self.text_en.text().strip(), self.trains,
                          self.duration.value(), self.urgent.isChecked())

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.text.toPlainText().strip() or self.text_en.text().strip()))

    def retranslate(self) -> None:
        if self.trains:
            self.setWindowTitle(self.tr("Passenger information"))
            self.heading.setText(self.tr("Message to the passenger screens of train %1").replace(
                "%1", ", ".join(self.trains)))
        else:
            self.setWindowTitle(self.tr("Passenger information"))
            self.heading.setText(self.tr("Message to the passenger screens of every train"))
        self._labels[0].setText(self.tr("Text (Chinese)"))
        self._labels[1].setText(self.tr("Text (English)"))
        self._labels[2].setText(self.tr("Show for"))
        self.duration.setSuffix(self.tr(" s"))
        self.urgent.setText(self.tr("Urgent (interrupts what the screens show)"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Send to screens"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


__all__ = ["PisDialog", "PisRequest"]
