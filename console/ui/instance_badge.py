"""One platform instance in the status bar: name, role (active/standby), epoch, link state, heartbeat age."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from console.core.views import InstanceLink
from console.ui.resources import icon

_ICON_SIZE = 20


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property the theme selects on changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class InstanceBadge(QFrame):
    """Shows one `InstanceLink`; the theme colours it by the ``link`` property (up, connecting, down)."""

    def __init__(self, instance: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"instanceBadge{instance}")
        self.instance = instance
        self._link: InstanceLink | None = None
        self._icon = QLabel(self)
        self._icon.setObjectName("instanceIcon")
        # an instance not yet named shows its address without the scheme
        self._name = QLabel(instance.split("://", 1)[-1], self)
        self._name.setObjectName("instanceName")
        self._role = QLabel(self)
        self._role.setObjectName("instanceRole")
        self._epoch = QLabel(self)
        self._epoch.setObjectName("instanceEpoch")
        self._state = QLabel(self)
        self._state.setObjectName("instanceLink")
        self._heartbeat = QLabel(self)
        self._heartbeat.setObjectName("instanceHeartbeat")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 8, 2)
        layout.setSpacing(2)
        for label in (self._icon, self._name, self._role, self._epoch, self._state, self._heartbeat):
            label.setAlignment(Qt.AlignmentFlag.AlignVCenter)
            layout.addWidget(label)
        self.show_link(InstanceLink(instance))

    @property
    def link_state(self) -> str:
        return str(self.property("link") or "unknown")

    def role_text(self) -> str:
        return self._role.text()

    def state_text(self) -> str:
        return self._state.text()

    def show_link(self, link: InstanceLink) -> None:
        """Draw ``link`` (the world's record of this instance)."""
        self._link = link
        state = link.state if link.state in ("up", "connecting", "down") else "down"
        if link.state == "unknown":
            state = "connecting"
        for widget, name, value in ((self, "link", state), (self, "serving", "true" if link.serving else "false"),
                                    (self._state, "link", state), (self._role, "role", link.role or "")):
            if widget.property(name) != value:
                widget.setProperty(name, value)
                repolish(widget)
        self._icon.setPixmap(icon("link-up" if state == "up" else "link-down").pixmap(_ICON_SIZE, _ICON_SIZE))
        self._retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        link = self._link or InstanceLink(self.instance)
        roles = {"active": self.tr("active"), "standby": self.tr("standby")}
        self._role.setText(roles.get(link.role or "", self.tr("role unknown")))
        self._epoch.setText(self.tr("epoch %1").replace("%1", str(link.epoch)))
        states = {"up": self.tr("link up"), "connecting": self.tr("connecting"), "down": self.tr("link down"),
                  "unknown": self.tr("connecting")}
        self._state.setText(states.get(link.state, self.tr("link down")))
        if link.heartbeat_age is None:
            self._heartbeat.setText("")
        else:
            self._heartbeat.setText(self.tr("heartbeat %1 s ago").replace("%1", f"{link.heartbeat_age:.1f}"))
        serving = self.tr("this desk's commands go to this instance") if link.serving else ""
        tip = [self.tr("Platform instance %1").replace("%1", self.instance)]
        if link.url:
            tip.append(link.url)
        if link.peer_up:
            tip.append(self.tr("pair link up"))
        if serving:
            tip.append(serving)
        self.setToolTip("\n".join(tip))
