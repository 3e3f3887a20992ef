#!/usr/bin/env bash
# Starts (or stops) the outside services the test-suite talks to, and writes
# var/test-services.env with one exported variable per service that is up.
# A service that cannot be started is reported and left out of the env file, so
# the tests that need it skip (or, under CI=true, fail) with a reason; nothing
# here waits without a bound.
#
#   scripts/test-services.sh start   # then: . var/test-services.env
#   scripts/test-services.sh stop
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

ROOT=$PWD
STATE_DIR=$ROOT/var/test-services
STATE=$STATE_DIR/state
ENV_FILE=$ROOT/var/test-services.env
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || PY=python3

log() { printf 'test-services: %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Poll `cmd` until it succeeds or `seconds` pass.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

env_line() { printf 'export %s=%q\n' "$1" "$2" >>"$ENV_FILE"; }
state_line() { printf '%s=%q\n' "$1" "$2" >>"$STATE"; }

# --- pcscd + vpcd ------------------------------------------------------------

vpcd_port() {
    # Debian's vsmartcard-vpcd writes the port as the reader's CHANNELID (0x8C7B = 35963).
    local id
    id=$(awk '/libifdvpcd/ { found = 1 } /^[[:space:]]*CHANNELID/ { chan = $2 }
              END { if (found && chan) print chan }' /etc/reader.conf.d/* 2>/dev/null)
    if [ -n "$id" ]; then echo $((id)); else echo 35963; fi
}

pcsc_ready() {
    # A PC/SC context only succeeds once pcscd answers on its socket; this also
    # works when systemd socket-activates pcscd on a desktop machine.
    "$PY" - <<'EOF' 2>/dev/null
import sys
from smartcard.scard import SCARD_SCOPE_USER, SCardEstablishContext, SCardReleaseContext
hresult, context = SCardEstablishContext(SCARD_SCOPE_USER)
if hresult != 0:
    sys.exit(1)
SCardReleaseContext(context)
EOF
}

start_pcscd() {
    if ! command -v pcscd >/dev/null; then
        log "pcscd is not installed (run scripts/setup.sh); smart card tests will not run"
        return 1
    fi
    if ! grep -qs libifdvpcd /etc/reader.conf.d/*; then
        log "no vpcd reader configured in /etc/reader.conf.d (install vsmartcard-vpcd)"
        return 1
    fi
    if pcsc_ready; then
        log "pcscd already running, using it"
    else
        local sudo=()
        if ! is_root; then
            # pcscd needs root for /run/pcscd; -n so CI without a tty fails fast instead of prompting.
            sudo=(sudo -n)
            if ! sudo -n true 2>/dev/null; then
                log "pcscd is not running and starting it needs root (passwordless sudo); smart card tests will not run"
                return 1
            fi
        fi
        # setsid: keep pcscd out of make's process group so Ctrl-C during tests
        # does not kill it behind our back; `stop` takes it down.
        setsid "${sudo[@]}" pcscd --foreground --error >"$STATE_DIR/pcscd.log" 2>&1 </dev/null &
        local pid=$!
        state_line PCSCD_PID "$pid"
        if ! wait_for 10 pcsc_ready; then
            log "pcscd did not come up within 10 s; see $STATE_DIR/pcscd.log"
            return 1
        fi
        log "started pcscd (pid $pid)"
    fi
    env_line TABKEEPER_TEST_PCSCD 1
    env_line TABKEEPER_TEST_VPCD_PORT "$(vpcd_port)"
}

alive() {
    # A zombie still answers `kill -0`, so look at the process state instead.
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

stop_pcscd() {
    local pid=${PCSCD_PID:-}
    [ -n "$pid" ] && alive "$pid" || return 0
    local sudo=()
    is_root || sudo=(sudo -n)
    "${sudo[@]}" kill "$pid" 2>/dev/null
    local deadline=$((SECONDS + 5))
    while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if alive "$pid"; then "${sudo[@]}" kill -9 "$pid" 2>/dev/null; fi
    log "stopped pcscd (pid $pid)"
}

# --- throwaway PostgreSQL cluster -------------------------------------------

pg_bindir() {
    local dir
    dir=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    else
        return 1
    fi
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_postgres() {
    local bindir
    if ! bindir=$(pg_bindir); then
        log "PostgreSQL server binaries not found (install postgresql); PostgreSQL tests will not run"
        return 1
    fi

    # initdb refuses to run as root, so root runs the cluster as the `postgres` user.
    local run_as=()
    if is_root; then
        if ! id postgres >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres || {
                log "could not create the postgres user"
                return 1
            }
        fi
        run_as=(runuser -u postgres --)
    fi

    local base=$STATE_DIR
    if is_root; then
        # The cluster owner must be able to reach the data directory; a repo under
        # /root is not reachable for `postgres`, /tmp always is.
        if ! runuser -u postgres -- test -x "$STATE_DIR"; then
            base=/tmp
        fi
    fi
    local cluster
    cluster=$(mktemp -d "$base/tabkeeper-pg.XXXXXX") || return 1
    state_line PG_CLUSTER "$cluster"
    if is_root; then chown postgres: "$cluster"; fi
    # pg_ctl also wants a working directory the cluster owner can read.
    local -a in_cluster=(env -C "$cluster")

    if ! "${in_cluster[@]}" "${run_as[@]}" "$bindir/initdb" -D "$cluster/data" -U postgres \
        --auth=trust --encoding=UTF8 --locale=C --no-sync >"$STATE_DIR/initdb.log" 2>&1; then
        log "initdb failed; see $STATE_DIR/initdb.log"
        return 1
    fi

    local port
    port=$(free_port)
    # Durability is pointless for a cluster that is deleted after the run; speed is not.
    local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if ! "${in_cluster[@]}" "${run_as[@]}" timeout 40 "$bindir/pg_ctl" -D "$cluster/data" \
        -l "$cluster/postgres.log" -o "$opts" -w -t 30 start >/dev/null 2>&1; then
        log "PostgreSQL did not start within 30 s; see $cluster/postgres.log"
        return 1
    fi
    state_line PG_BINDIR "$bindir"
    log "started PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

    if ! timeout 15 "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres tabkeeper_test; then
        log "could not create database tabkeeper_test"
        return 1
    fi
    env_line TABKEEPER_TEST_PG_URL "postgresql://postgres@127.0.0.1:$port/tabkeeper_test"
}

stop_postgres() {
    local cluster=${PG_CLUSTER:-}
    [ -n "$cluster" ] && [ -d "$cluster" ] || return 0
    if [ -n "${PG_BINDIR:-}" ] && [ -f "$cluster/data/postmaster.pid" ]; then
        local run_as=()
        if is_root; then run_as=(runuser -u postgres --); fi
        # "immediate" skips the shutdown checkpoint: the data is about to be deleted anyway.
        env -C "$cluster" "${run_as[@]}" timeout 20 "$PG_BINDIR/pg_ctl" -D "$cluster/data" \
            -m immediate -w -t 15 stop >/dev/null 2>&1 || log "pg_ctl stop failed"
        log "stopped PostgreSQL"
    fi
    rm -rf "$cluster"
}

# --- socat ---------------------------------------------------------------------

check_socat() {
    local socat
    if ! socat=$(command -v socat); then
        log "socat is not installed (run scripts/setup.sh); serial port tests will not run"
        return 1
    fi
    env_line TABKEEPER_TEST_SOCAT "$socat"
}

# ---------------------------------------------------------------------------------

stop_all() {
    [ -f "$STATE" ] || return 0
    local PCSCD_PID='' PG_CLUSTER='' PG_BINDIR=''
    # shellcheck disable=SC1090
    . "$STATE"
    stop_postgres
    stop_pcscd
    rm -f "$STATE" "$ENV_FILE"
}

case "${1:-}" in
start)
    # A previous run that died before `stop` must not leave services behind.
    stop_all
    mkdir -p "$STATE_DIR"
    : >"$STATE"
    echo "# written by scripts/test-services.sh start" >"$ENV_FILE"
    start_pcscd || true
    start_postgres || true
    check_socat || true
    log "wrote $ENV_FILE"
    ;;
stop)
    stop_all
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
