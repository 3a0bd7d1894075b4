"""Render resources/icons/trunkdesk.svg to the PNGs of the desktop entry, in the hicolor theme's layout.

    python packaging/render_icons.py OUT      → OUT/hicolor/{48x48,128x128,256x256}/apps/trunkdesk.png
                                                 and OUT/hicolor/scalable/apps/trunkdesk.svg

Run at build time by packaging/build.sh (the PNGs are not committed: the SVG is the source). Uses QtSvg, so it
runs offscreen without a display.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "trunkdesk.svg"
SIZES = (48, 128, 256)


def render(source: Path, out: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Write ``source`` as square PNGs of ``sizes`` px (and the SVG as the scalable one) under ``out/hicolor``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"not a valid SVG: {source}")
    written: list[Path] = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{source.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):  # PNG, from the suffix
            raise OSError(f"cannot write {target}")
        written.append(target)
    scalable = out / "hicolor" / "scalable" / "apps" / source.name
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, scalable)
    return [*written, scalable]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder that receives hicolor/<size>/apps/trunkdesk.png")
    parser.add_argument("--source", type=Path, default=SOURCE, help="the SVG (default: the desk's icon)")
    args = parser.parse_args(argv)
    for path in render(args.source, args.out):
        print(path)  # noqa: T201 - the files written, for build.sh's log
    return 0


if __name__ == "__main__":
    sys.exit(main())
