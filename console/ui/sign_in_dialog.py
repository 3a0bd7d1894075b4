"""Sign in: the platform's addresses, the dispatcher's name and password, or "Run the demo" instead.

Shown by ``trunkdesk`` without arguments: on the first run (no configuration) the addresses are empty and the
demo is offered first; afterwards the addresses and user come from the configuration and only the password
is asked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui.config import ConfigError, DeskConfig, parse_urls
from console.ui.resources import icon


class SignInDialog(QDialog):
    """Asks where the platform is and who signs in; ``choice`` is ``"connect"``, ``"demo"`` or ``None``."""

    def __init__(self, config: DeskConfig | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowIcon(icon("trunkdesk"))
        self.first_run = config is None
        config = config or DeskConfig()
        self.choice: str | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.urls_edit = QLineEdit(" ".join(config.urls), self)
        self.urls_edit.setObjectName("urlsEdit")
        self.urls_edit.setPlaceholderText("ws://10.1.0.10:7700 ws://10.1.0.11:7700")
        self.user_edit = QLineEdit(config.user, self)
        self.user_edit.setObjectName("userEdit")
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setObjectName("signInError")
        self.error.setProperty("severity", "critical")
        self.error.setWordWrap(True)
        self.error.hide()
        self.form = QFormLayout()
        self.urls_label, self.user_label, self.password_label = QLabel(self), QLabel(self), QLabel(self)
        self.form.addRow(self.urls_label, self.urls_edit)
        self.form.addRow(self.user_label, self.user_edit)
        self.form.addRow(self.password_label, self.password_edit)
        self.connect_button = QPushButton(self)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setProperty("role", "primary")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self._connect)
        self.demo_button = QPushButton(self)
        self.demo_button.setObjectName("demoButton")
        self.demo_button.clicked.connect(self._demo)
        self.cancel_button = QPushButton(self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(14)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.setMinimumWidth(640)
        (self.password_edit if config.complete else self.urls_edit).setFocus()
        self.retranslate()

    def config(self) -> DeskConfig:
        """The addresses and user as typed (raises `ConfigError` on an address that is not ws:// or wss://)."""
        return DeskConfig(urls=parse_urls(self.urls_edit.text()), user=self.user_edit.text().strip())

    def password(self) -> str:
        return self.password_edit.text()

    def _connect(self) -> None:
        try:
            config = self.config()
        except ConfigError as exc:
            self._fail(str(exc))
            return
        if not config.urls:
            self._fail(self.tr("Enter the address of at least one platform instance."))
            return
        if not config.user:
            self._fail(self.tr("Enter your user name."))
            return
        self.choice = "connect"
        self.accept()

    def _demo(self) -> None:
        self.choice = "demo"
        self.accept()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Sign in — trunkdesk"))
        self.heading.setText(self.tr("Welcome to trunkdesk") if self.first_run else self.tr("Sign in to the platform"))
        self.intro.setText(self.tr("Enter the addresses of the platform's two instances (active and standby) "
                                   "and your dispatcher account, or run the demo on this computer.")
                           if self.first_run else self.tr("Sign in with your dispatcher account."))
        self.urls_label.setText(self.tr("Platform addresses"))
        self.user_label.setText(self.tr("User"))
        self.password_label.setText(self.tr("Password"))
        self.connect_button.setText(self.tr("Sign in"))
        self.demo_button.setText(self.tr("Run the demo"))
        self.cancel_button.setText(self.tr("Cancel"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
