#!/usr/bin/env bash
# Brings a fresh Debian 12 / Ubuntu machine to the point where `make run` and
# `make test` work. Every step checks before it acts, so on a machine that is
# already set up this finishes in well under a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
STAMP="$VENV/.tabkeeper-setup.stamp"

APT_PACKAGES=(
    # building the venv and pyscard (a C extension built with swig against libpcsclite)
    python3-venv python3-dev build-essential libpcsclite-dev swig
    # services the tests talk to
    pcscd vsmartcard-vpcd socat postgresql
    # a display for the UI on headless machines
    xvfb xauth
    # shared libraries PySide6's wheels expect from the system (offscreen and xcb platforms)
    libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libfontconfig1
    libdbus-1-3 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
    libxcb-render-util0 libxcb-image0
)

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        log "need root for: $*  (run as root or install sudo)"
        return 1
    fi
}

apt_updated=0
apt_install() {
    # `apt-get update` is slow, so only pay for it once and only when something is missing.
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}

# --- system packages -------------------------------------------------------
if command -v dpkg-query >/dev/null; then
    # One dpkg-query for all packages: forking it 30 times is what would make this slow.
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null \
        | awk '$2 == "installed" { print $1 }' || true)
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        grep -qx -- "$pkg" <<<"$installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
else
    log "no dpkg here: not a Debian/Ubuntu machine, install the equivalents of these yourself:"
    log "  ${APT_PACKAGES[*]}"
fi

# --- python ----------------------------------------------------------------
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

find_python() {
    local candidate
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# A venv whose interpreter no longer runs (moved repo, removed pyenv version) is rebuilt.
if [ -d "$VENV" ] && ! python_ok "$VENV/bin/python"; then
    log "$VENV is broken or too old, recreating it"
    rm -rf "$VENV"
fi

if [ ! -d "$VENV" ]; then
    if ! python=$(find_python); then
        # Ubuntu 22.04 ships 3.10 as python3 but packages 3.11 alongside it.
        apt_install python3.11 python3.11-venv python3.11-dev
        python=$(find_python) || { log "no Python >= 3.11 available"; exit 1; }
    fi
    log "creating $VENV with $python ($("$python" --version 2>&1))"
    "$python" -m venv "$VENV"
    rm -f "$STAMP"
fi

# pip only runs again when the declared dependencies change.
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    log "installing Python dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]'
    echo "$want" >"$STAMP"
fi
