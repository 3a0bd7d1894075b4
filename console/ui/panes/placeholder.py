"""What a dock shows while its pane is not built yet: the pane's title and a quiet note."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPane(QWidget):
    """An empty pane that says so (never an error: the rest of the desk works)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"placeholder_{name}")
        self._text = QLabel(self)
        self._text.setObjectName("placeholderText")
        self._text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self._text)
        self.retranslate()

    def text(self) -> str:
        return self._text.text()

    def retranslate(self) -> None:
        self._text.setText(self.tr("This pane is not available in this build."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
