"""Where the desk's resources (icons, theme, translations) live: a checkout, an installed share dir, or a bundle.

Order (`testbed.line.resource_folders`): ``$TRUNKDESK_RESOURCES``, a PyInstaller bundle (``sys._MEIPASS``), the
checkout next to the package, ``<prefix>/share/trunkdesk/resources`` of ``pip install .`` (then of ``pip install
--user .``). The first folder that holds ``themes/dark.qss`` wins.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from PySide6.QtGui import QIcon

logger = logging.getLogger(__name__)

_MARKER = Path("themes") / "dark.qss"


class ResourcesMissing(FileNotFoundError):
    """No folder with the desk's resources was found (a broken install)."""


def _candidates() -> list[Path]:
    # one list for the desk and the testbed's line files (testbed/line/reading.py), so both find the same folder
    from testbed.line import resource_folders

    return resource_folders()


@functools.cache
def resources_dir() -> Path:
    """The resources folder (cached: it does not move while the desk runs)."""
    for candidate in _candidates():
        if (candidate / _MARKER).is_file():
            return candidate
    raise ResourcesMissing("no trunkdesk resources folder found; looked in: "
                           + ", ".join(str(c) for c in _candidates()))


def resource_path(*parts: str) -> Path:
    """A file or folder inside the resources folder."""
    return resources_dir().joinpath(*parts)


def icon_path(name: str) -> Path:
    """The SVG file of icon ``name`` (e.g. ``"train"``)."""
    return resource_path("icons", f"{name}.svg")


@functools.cache
def icon(name: str) -> QIcon:
    """Icon ``name`` from ``resources/icons``; an empty icon (and one warning) when it does not exist."""
    path = icon_path(name)
    if not path.is_file():
        logger.warning("icon %s missing (%s)", name, path)
        return QIcon()
    return QIcon(str(path))


def theme_stylesheet(name: str = "dark") -> str:
    """The Qt style sheet of theme ``name``, with ``@icons@`` replaced by the icons folder."""
    text = resource_path("themes", f"{name}.qss").read_text(encoding="utf-8")
    return text.replace("@icons@", resource_path("icons").as_posix())
