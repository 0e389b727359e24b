#!/usr/bin/env bash
# The system packages the tests need, installed when missing: the one place that lists them. `npm test`
# runs this first (its `pretest` step) and `.ci/run` calls it too, so README's test command is all the
# set-up a fresh Debian machine needs.
#
#   redis-server                  the queue tests start a real Redis on a free 127.0.0.1 port
#   chromium fonts-dejavu-core    the dashboard's end-to-end tests drive Debian chromium (DejaVu for figures)
#   libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri
#                                 the webgpu backend tests: without a GPU, Dawn finds Mesa's llvmpipe
#                                 through EGL/GLES (surfaceless, no display)
#   python3 python3-torch python3-numpy python3-pandas
#                                 the Python package's tests (python/), against a real PyTorch
#
# Installs only what is missing, with apt-get (through sudo when not root). Prints nothing when all are
# present; otherwise one line saying what it installed, or what it could not install and why. It never
# fails the test run: a test whose package is missing fails on its own with a one-line instruction.
set -uo pipefail

PACKAGES=(
  redis-server
  chromium fonts-dejavu-core
  libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri
  python3 python3-torch python3-numpy python3-pandas
)

[ "${OPTO_SKIP_SYSTEM_DEPS:-}" = 1 ] && exit 0

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
else
  echo "system-deps: not a Debian system (no dpkg-query): install the equivalents of ${PACKAGES[*]} yourself; tests that need them fail until then" >&2
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: cannot install ${missing[*]}: not root and no password-less sudo; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: cannot install ${missing[*]}: no apt-get on this machine" >&2
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# Another apt (a package manager, a parallel install) may hold the lock: wait for it rather than fail.
apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 -y -qq)
if "${apt[@]}" update >"$log" 2>&1 && "${apt[@]}" install "${missing[@]}" >>"$log" 2>&1; then
  echo "system-deps: installed ${missing[*]}" >&2
else
  reason=$(grep -E '^(E|W): ' "$log" | head -n 1)
  echo "system-deps: could not install ${missing[*]}: ${reason:-apt-get failed (see apt-get install ${missing[*]})}" >&2
fi
exit 0
