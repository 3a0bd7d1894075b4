"""The sign-in dialog's view of the settings file: which platform to connect to and as whom.

The file and every other key belong to `console.core.config` (docs/configuration.md)::

    [platform]
    urls = ["wss://10.1.0.10:7700", "wss://10.1.0.11:7700"]

    [dispatcher]
    user = "train1"

Passwords are never stored here: the desk asks for them (or reads ``dispatcher.password_file``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from console.core.config import ConfigError, config_path, load_settings, parse_urls, update_config_file

logger = logging.getLogger(__name__)

#: the keys this view reads: a problem with one of them makes `load_config` raise (the dialog shows it)
_SIGN_IN_KEYS = ("platform.urls", "dispatcher.user")


@dataclass
class DeskConfig:
    """Platform addresses (the first tried first) and the dispatcher's user name."""

    urls: list[str] = field(default_factory=list)
    user: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.urls) and bool(self.user)


def load_config(path: Path | None = None) -> DeskConfig | None:
    """The addresses and user of the settings file, or None when the file does not exist (first run).

    Raises `ConfigError` naming the key when the file is unreadable or these keys are wrong."""
    loaded = load_settings(path or config_path())
    if not loaded.found:
        return None
    wrong = [p for p in loaded.problems
             if any(f": {key}" in p for key in _SIGN_IN_KEYS) or "using the defaults" in p]
    if wrong:
        raise ConfigError("\n".join(wrong))
    settings = loaded.settings
    return DeskConfig(urls=list(settings.platform.urls), user=settings.dispatcher.user)


def save_config(config: DeskConfig, path: Path | None = None) -> Path:
    """Store the addresses and the user, keeping every other setting of the file."""
    return update_config_file({"platform.urls": list(config.urls), "dispatcher.user": config.user},
                              path or config_path())


__all__ = ["ConfigError", "DeskConfig", "config_path", "load_config", "parse_urls", "save_config"]
