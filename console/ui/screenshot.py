"""Look at the desk: run the demo (dual-live pair, simulated line, desk) and save PNGs of the window.

    python -m console.ui.screenshot [--out docs/screenshots] [--after 12] [--xvfb] [--pane vehicles ...]

Saves ``desk-en.png`` and ``desk-zh_CN.png`` (the same running desk, switched language between the two), in the
default layout (the user's saved settings are not read); with ``--pane NAME`` also that pane alone (its dock
floated at a size that shows it whole), as ``NAME.png`` in Chinese and ``NAME-en.png`` in English (``--pane all``
for the line panes: vehicles, stations, handsets).
Offscreen rendering by default; ``--xvfb`` starts ``Xvfb :99`` at 1920x1080 and renders through xcb instead,
like a real display.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.ui.session import DeskSession

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@contextlib.contextmanager
def xvfb(display: str = ":99") -> Iterator[None]:
    """A virtual 1920x1080 X display for the duration of the block (DISPLAY and QT_QPA_PLATFORM set)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise SystemExit("Xvfb not found: install the xvfb package, or drop --xvfb to render offscreen")
    server = subprocess.Popen([binary, display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path("/tmp/.X11-unix") / f"X{display.lstrip(':')}"
    deadline = time.monotonic() + 10
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"Xvfb {display} did not start (is the display taken?)")
        time.sleep(0.05)
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
    os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.terminate()
        server.wait(10)


#: the panes ``--pane all`` shoots, and the size each is shot at (floated out of the desk)
LINE_PANES = ("vehicles", "stations", "handsets")
PANE_SIZES = {"vehicles": (1920, 470), "stations": (720, 760), "handsets": (900, 760)}


def _shooter(out: Path, after: float, languages: list[str],
             panes: tuple[str, ...] = ()) -> Callable[[DeskSession], Awaitable[None]]:
    async def shoot(session: DeskSession) -> None:
        from PySide6.QtWidgets import QApplication

        window = session.window
        if QApplication.platformName() == "offscreen":
            window.resize(1920, 1050)  # the offscreen screen is smaller than a control-room monitor
        else:
            window.showMaximized()
        await asyncio.sleep(after)  # let the fleet register and the line fill up
        for code in languages:
            window.choose_language(code)
            # the qasync loop repaints while we wait (QApplication.processEvents here would re-enter the loop's
            # tasks: "Cannot enter into task ... while another task is being executed", links dropped)
            await asyncio.sleep(0.5)
            path = out / f"desk-{code}.png"
            window.grab().save(str(path))
            print(f"saved {path}")  # noqa: T201 - a command-line tool
            for name in panes:  # each pane floated at a size that shows it whole, then docked back
                dock = window.docks[name]
                dock.setFloating(True)
                dock.resize(*PANE_SIZES.get(name, (900, 640)))
                dock.show()
                dock.raise_()
                await asyncio.sleep(0.5)  # the loop paints meanwhile (no processEvents: it would re-enter tasks)
                path = out / (f"{name}.png" if code == "zh_CN" else f"{name}-{code}.png")
                dock.grab().save(str(path))
                print(f"saved {path}")  # noqa: T201
            if panes:
                window.apply_default_layout()
        window.close()

    return shoot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.screenshot", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the PNGs (default {DEFAULT_OUT})")
    parser.add_argument("--after", type=float, default=12.0, help="seconds to let the demo run before the first shot")
    parser.add_argument("--language", action="append", choices=("en", "zh_CN"), default=None,
                        help="language(s) to shoot (default: both)")
    parser.add_argument("--xvfb", action="store_true", help="render on a virtual X display (Xvfb :99)")
    parser.add_argument("--pane", action="append", default=[], metavar="NAME",
                        help="also save this pane's dock alone (repeatable; 'all' for the line panes)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    languages = args.language or ["en", "zh_CN"]
    from console.ui.app import run_desk

    args.out.mkdir(parents=True, exist_ok=True)
    panes = tuple(dict.fromkeys(n for name in args.pane for n in (LINE_PANES if name == "all" else (name,))))
    shoot = _shooter(args.out, args.after, languages, panes)
    # the default layout, not whatever the last desk on this machine left in the user's settings
    from PySide6.QtCore import QSettings

    settings_dir = tempfile.mkdtemp(prefix="trunkdesk-screenshot-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    if args.xvfb:
        with xvfb():
            return run_desk([], "", "", demo=True, language=languages[0], script=shoot)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run_desk([], "", "", demo=True, language=languages[0], script=shoot)


if __name__ == "__main__":
    sys.exit(main())
