#!/usr/bin/env bash
# Smoke test of the packaged desk (CI runs it after ./dev test; see .ci/run). Builds dist/trunkdesk with
# packaging/build.sh (skip with --no-build), then, from an empty folder with empty user folders (config, data,
# cache: nothing of a previous run helps):
#   layout     the executable, resources, compiled translations, Qt plugins, desktop entry and icons are there
#   help       `trunkdesk --help` answers
#   scenarios  the bundled example scenarios validate
#   demo       `trunkdesk demo` comes up offscreen against the embedded dual-live testbed and prints
#              "desk ready: connected to A (active), B (standby)" within READY_LIMIT s, in Chinese (the bundled
#              .qm loads), then closes by itself and exits 0 leaving no process behind
#   media      a bundled scenario pulls a camera onto the wall: clips are generated with PyAV, sent over aiortc,
#              decoded by the media engine's worker processes (multiprocessing in a frozen program)
#   wheel      `pip install .` (not editable) carries the resources to share/trunkdesk/resources, where the desk
#              and the testbed find them, and builds the compiled receive path (media/_rtpcore.c)
# Each step is time-bound; the whole takes about a minute after the build. Ends with "packaging: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
BUNDLE=$ROOT/dist/trunkdesk
EXE=$BUNDLE/trunkdesk
READY_LIMIT=${READY_LIMIT:-30}
DURATION=${DURATION:-8}

if [ "${1:-}" != "--no-build" ]; then
  bash packaging/build.sh || { echo "packaging: the build failed"; echo "packaging: 0 passed, 1 failed"; exit 1; }
fi

tmp=$(mktemp -d)
demo_pgid=""
cleanup() {
  # the demo runs in its own process group (setsid): end that group only, and only if it is still there
  if [ -n "$demo_pgid" ] && pgrep -g "$demo_pgid" >/dev/null 2>&1; then kill -KILL -- "-$demo_pgid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state
export QT_QPA_PLATFORM=offscreen
unset TRUNKDESK_RESOURCES
mkdir -p "$tmp/run" && cd "$tmp/run"  # not the checkout: the bundle must find its own resources

passed=0
failed=0
pass() { echo "PASS $1${2:+ ($2)}"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# the end of a log, indented, after a failure
show() { grep -v "propagateSizeHints" "$1" | tail -n "${2:-25}" | sed 's/^/    | /'; }
# problems that mean a piece is missing from the bundle
BROKEN='No module named|ModuleNotFoundError|ImportError|could not load the Qt platform plugin'
BROKEN+='|no zh_CN translation|cannot load .*\.qm|ResourcesMissing|icon .* missing'

# --- layout
missing=()
for path in trunkdesk _internal/resources/icons/trunkdesk.svg _internal/resources/themes/dark.qss \
    _internal/resources/lines/sample-line.yaml _internal/resources/scenarios/train-emergency.yaml \
    _internal/resources/translations/trunkdesk_zh_CN.qm _internal/resources/translations/trunkdesk_zh_CN.ts \
    _internal/PySide6/Qt/plugins/platforms/libqxcb.so _internal/PySide6/Qt/plugins/platforms/libqoffscreen.so \
    _internal/PySide6/Qt/plugins/platforms/libqwayland.so _internal/PySide6/Qt/plugins/imageformats/libqsvg.so \
    _internal/PySide6/Qt/plugins/iconengines/libqsvgicon.so \
    _internal/PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so \
    share/applications/trunkdesk.desktop share/icons/hicolor/48x48/apps/trunkdesk.png \
    share/icons/hicolor/128x128/apps/trunkdesk.png share/icons/hicolor/256x256/apps/trunkdesk.png \
    share/icons/hicolor/scalable/apps/trunkdesk.svg; do
  [ -e "$BUNDLE/$path" ] || missing+=("$path")
done
# the compiled video receive path (media/_rtpcore.c): without it the bundle falls back to the Python path, slower
compgen -G "$BUNDLE/_internal/media/_rtpcore.*.so" >/dev/null || missing+=("_internal/media/_rtpcore.*.so")
unwanted=$(find "$BUNDLE/_internal/PySide6" -name "libQt6WebEngine*" -o -name "libQt63D*" -o -name "libQt6Quick3D*" \
  -o -name "libQt6Charts*" -o -name "libQt6DataVisualization*" -o -name "libQt6Pdf*" | head -5)
dangling=$(find "$BUNDLE" -xtype l | head -5)
if ((${#missing[@]})); then
  fail layout "missing from $BUNDLE: ${missing[*]}"
elif [ -n "$dangling" ]; then
  fail layout "links to files the bundle lacks: $dangling"
elif [ -n "$unwanted" ]; then
  fail layout "unused Qt modules bundled: $unwanted"
elif command -v desktop-file-validate >/dev/null \
    && ! desktop-file-validate "$BUNDLE/share/applications/trunkdesk.desktop"; then
  fail layout "the desktop entry does not validate"
else
  pass layout "$(du -sm "$BUNDLE" | cut -f1) MiB"
fi

# --- help
if timeout 30 "$EXE" --help >"$tmp/help.log" 2>&1 && grep -q "usage: trunkdesk" "$tmp/help.log"; then
  pass help
else
  fail help "trunkdesk --help did not answer"; show "$tmp/help.log"
fi

# --- scenarios
if timeout 60 "$EXE" scenario validate "$BUNDLE"/_internal/resources/scenarios/*.yaml >"$tmp/validate.log" 2>&1; then
  pass scenarios "$(grep -c ": ok" "$tmp/validate.log") files"
else
  fail scenarios "the bundled scenarios do not validate"; show "$tmp/validate.log"
fi

# --- demo
log=$tmp/demo.log
started=$(date +%s.%N)
setsid timeout -k 10 $((READY_LIMIT + DURATION + 60)) "$EXE" demo --duration "$DURATION" --language zh_CN >"$log" 2>&1 &
demo_pid=$!
demo_pgid=$demo_pid
ready=""
while kill -0 "$demo_pid" 2>/dev/null; do
  if grep -q "^desk ready: " "$log"; then ready=$(date +%s.%N); break; fi
  if (($(date +%s) - ${started%.*} > READY_LIMIT)); then break; fi
  sleep 0.1
done
wait "$demo_pid"
code=$?
sleep 1
# processes of the demo's group still running (an exited child not yet reaped by init, state Z, is not running)
leftover=$(ps -eo pid=,pgid=,stat= | awk -v g="$demo_pgid" '$2 == g && $3 !~ /^Z/ { printf "%s ", $1 }')
[ -z "$leftover" ] || kill -KILL -- "-$demo_pgid" 2>/dev/null
line=$(grep -m1 "^desk ready: " "$log")
if [ -z "$ready" ]; then
  fail demo "no 'desk ready' line within ${READY_LIMIT}s (exit $code)"; show "$log"
elif [ "$line" != "desk ready: connected to A (active), B (standby)" ]; then
  fail demo "connected to the wrong roles: $line"; show "$log"
elif grep -qE "$BROKEN" "$log"; then
  fail demo "a piece is missing: $(grep -m1 -E "$BROKEN" "$log")"; show "$log"
elif [ "$code" != 0 ]; then
  fail demo "exit $code after 'desk ready'"; show "$log"
elif [ -n "$leftover" ]; then
  fail demo "processes left behind: $leftover"
else
  took=$(awk "BEGIN { printf \"%.1f\", $ready - $started }")
  pass demo "ready $took s after launch, closed after ${DURATION}s, exit 0"
fi
if grep -q "Traceback" "$log"; then
  echo "    note: the demo logged a traceback (not a packaging problem, but look):"
  grep -A12 -m1 "Traceback" "$log" | sed 's/^/    | /'
fi
demo_pgid=""

# --- media
log=$tmp/media.log
if timeout -k 10 180 "$EXE" scenario run "$BUNDLE/_internal/resources/scenarios/train-emergency.yaml" >"$log" 2>&1 \
    && grep -q "PASSED" "$log" && ! grep -qE "$BROKEN" "$log"; then
  clips=$(find "$XDG_CACHE_HOME" -name "*.ts" -size +1k | wc -l)
  if ((clips > 0)); then
    pass media "train-emergency.yaml passed; $clips clips generated"
  else
    fail media "the scenario passed but no clip was generated in $XDG_CACHE_HOME"
  fi
else
  fail media "the bundled train-emergency scenario failed"; show "$log" 40
fi

# --- wheel
log=$tmp/wheel.log
if timeout 300 "$PY" -m pip wheel "$ROOT" --no-deps -q -w "$tmp/wheel" >"$log" 2>&1 \
    && timeout 120 "$PY" -m venv "$tmp/venv" >>"$log" 2>&1 \
    && timeout 120 "$tmp/venv/bin/python" -m pip install -q --no-deps "$tmp"/wheel/*.whl >>"$log" 2>&1; then
  # the dependencies from the project's venv; the trunkdesk packages and resources from the wheel
  deps=$("$PY" -c "import sysconfig; print(sysconfig.get_path('purelib'))")
  if PYTHONPATH=$deps timeout 60 "$tmp/venv/bin/python" - >>"$log" 2>&1 <<EOF
from pathlib import Path
import testbed.line
from console.ui.resources import icon_path, resources_dir
from testbed.line import default_line_path, load_line

share = Path("$tmp/venv/share/trunkdesk/resources")
assert Path(testbed.line.__file__).is_relative_to("$tmp/venv"), testbed.line.__file__
assert resources_dir() == share, resources_dir()
assert default_line_path() == share / "lines" / "sample-line.yaml", default_line_path()
assert load_line(default_line_path()).stations
assert icon_path("trunkdesk").is_file() and (share / "translations" / "trunkdesk_zh_CN.ts").is_file()
assert (share.parents[1] / "applications" / "trunkdesk.desktop").is_file()
import media._rtpcore  # built by the wheel (setup.py)
assert Path(media._rtpcore.__file__).is_relative_to("$tmp/venv"), media._rtpcore.__file__
EOF
  then
    pass wheel "resources in share/trunkdesk/resources, media._rtpcore built"
  else
    fail wheel "the installed wheel does not find its resources"; show "$log"
  fi
else
  fail wheel "cannot build or install the wheel"; show "$log"
fi

echo "packaging: $passed passed, $failed failed"
((failed == 0))
