"""The dispatcher roles of the platform in the dispatcher's words (translatable)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from console.ui.i18n import QT_TRANSLATE_NOOP

ROLE_NAMES: dict[str, str] = {
    "train_dispatcher": QT_TRANSLATE_NOOP("Roles", "Train dispatcher"),
    "environment_dispatcher": QT_TRANSLATE_NOOP("Roles", "Environment dispatcher"),
    "maintenance_dispatcher": QT_TRANSLATE_NOOP("Roles", "Maintenance dispatcher"),
    "depot_dispatcher": QT_TRANSLATE_NOOP("Roles", "Depot dispatcher"),
    "chief_dispatcher": QT_TRANSLATE_NOOP("Roles", "Chief dispatcher"),
}


def role_name(role: str | None) -> str:
    """The translated name of a dispatcher role; unknown roles are shown as the platform names them."""
    if not role:
        return ""
    source = ROLE_NAMES.get(role)
    return QCoreApplication.translate("Roles", source) if source else role
