"""Small parts the test mode panels share."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

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


def set_enabled(button: QPushButton, enabled: bool) -> None:
    """Enable or disable ``button``; a coloured one (``role`` danger or primary) goes grey while disabled, since
    the theme colours it by role whatever its state (a red Kill that cannot be pressed reads as one that can)."""
    role = button.property("colour_role")
    if role is None:
        role = button.property("role") or ""
        button.setProperty("colour_role", role)
    button.setEnabled(enabled)
    if button.property("role") != (role if enabled else ""):
        button.setProperty("role", role if enabled else "")
        button.style().unpolish(button)
        button.style().polish(button)


__all__ = ["StatusLine", "set_enabled"]
