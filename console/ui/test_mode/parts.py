"""Small parts the test mode panels share."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from console.ui.panes.pane_parts import CommandStatus


class StatusLine(CommandStatus):
    """A `CommandStatus` that takes no room while it has nothing to say (the panel is tall enough as it is)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()

    def show_text(self, text: str, *, failed: bool = False) -> None:
        super().show_text(text, failed=failed)
        self.setVisible(bool(text))


__all__ = ["StatusLine"]
