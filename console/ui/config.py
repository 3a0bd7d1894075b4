"""The desk's configuration file: which platform to connect to and as whom.

``user_config_dir("trunkdesk")/config.toml``::

    [platform]
    urls = ["wss://10.1.0.10:7700", "wss://10.1.0.11:7700"]

    [dispatcher]
    user = "train1"

Passwords are never stored here: the desk asks for them.
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir

logger = logging.getLogger(__name__)


class ConfigError(ValueError):
    """The configuration file exists but cannot be used; the message says which key and why."""


@dataclass
class DeskConfig:
    """Platform addresses (the first tried first) and the dispatcher's user name."""

    urls: list[str] = field(default_factory=list)
    user: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.urls) and bool(self.user)


def config_path() -> Path:
    return Path(user_config_dir("trunkdesk")) / "config.toml"


def parse_urls(text: str) -> list[str]:
    """Addresses typed by a person: separated by commas, spaces or new lines; ``ws://`` added when missing."""
    urls = []
    for raw in text.replace(",", " ").split():
        url = raw if "://" in raw else f"ws://{raw}"
        if not url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{raw!r} is not a ws:// or wss:// address")
        urls.append(url)
    return urls


def load_config(path: Path | None = None) -> DeskConfig | None:
    """The configuration, or None when the file does not exist (first run)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    platform = data.get("platform", {})
    dispatcher = data.get("dispatcher", {})
    urls = platform.get("urls", [])
    user = dispatcher.get("user", "")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{path}: [platform] urls must be a list of strings")
    if not isinstance(user, str):
        raise ConfigError(f"{path}: [dispatcher] user must be a string")
    try:
        urls = parse_urls(" ".join(urls))
    except ConfigError as exc:
        raise ConfigError(f"{path}: [platform] urls: {exc}") from None
    return DeskConfig(urls=urls, user=user)


def save_config(config: DeskConfig, path: Path | None = None) -> Path:
    """Write the configuration (TOML strings are JSON strings for the ASCII-safe values we write)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    urls = ", ".join(json.dumps(u) for u in config.urls)
    path.write_text(f"[platform]\nurls = [{urls}]\n\n[dispatcher]\nuser = {json.dumps(config.user)}\n",
                    encoding="utf-8")
    logger.info("configuration saved to %s", path)
    return path
