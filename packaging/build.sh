#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/trunkdesk/ (run dist/trunkdesk/trunkdesk; install: README "Packaging").
#   bash packaging/build.sh [--clean]     --clean: drop PyInstaller's cache first (a full rebuild)
# Sets up .venv when missing (./dev setup), installs the `package` extra (PyInstaller) when missing, compiles the
# translations, renders the icons, runs PyInstaller (packaging/trunkdesk.spec), adds the desktop entry and the
# icons under dist/trunkdesk/share/, and prints the bundle's size. Every step is time-bound.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DIST=dist
WORK=build/pyinstaller
BUNDLE=$DIST/trunkdesk
clean=()
[ "${1:-}" = "--clean" ] && clean=(--clean)
started=$(date +%s)

[ -x "$PY" ] || ./dev setup

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  # the `package` extra of pyproject.toml, without reinstalling the project itself
  mapfile -t wanted < <("$PY" -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))
['project']['optional-dependencies']['package'], sep='\n')")
  echo "== installing ${wanted[*]}"
  timeout 300 "$PY" -m pip install -q "${wanted[@]}"
fi

echo "== translations"
# next to their .ts (the spec bundles resources/translations/*.qm and refuses stale ones)
TRUNKDESK_RESOURCES="$PWD/resources" timeout 120 "$PY" - <<'EOF'
from pathlib import Path

from console.ui.i18n import ensure_compiled

for ts in sorted(Path("resources/translations").glob("trunkdesk_*.ts")):
    qm = ensure_compiled(ts.stem.removeprefix("trunkdesk_"))
    assert qm == ts.with_suffix(".qm").resolve(), f"{qm} was not compiled next to {ts}"
    print(qm)
EOF

echo "== icons"
rm -rf build/icons
QT_QPA_PLATFORM=offscreen timeout 60 "$PY" packaging/render_icons.py build/icons

echo "== pyinstaller"
timeout 540 "$PY" -m PyInstaller --noconfirm --log-level WARN "${clean[@]}" --distpath "$DIST" --workpath "$WORK" \
  packaging/trunkdesk.spec

# the desktop entry and the icons travel with the bundle (installation: README "Packaging")
mkdir -p "$BUNDLE/share/applications" "$BUNDLE/share/icons"
cp packaging/trunkdesk.desktop "$BUNDLE/share/applications/"
cp -r build/icons/hicolor "$BUNDLE/share/icons/"

bytes=$(du -sb "$BUNDLE" | cut -f1)
files=$(find "$BUNDLE" -type f | wc -l)
echo "bundle: $BUNDLE ($((bytes / 1024 / 1024)) MiB, $files files) built in $(($(date +%s) - started)) s"
