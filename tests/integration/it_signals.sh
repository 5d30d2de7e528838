#!/bin/bash
# systemd integration without systemd: READY=1 reaches NOTIFY_SOCKET once the listeners are
# up, SIGHUP reports RELOADING=1 then READY=1, SIGTERM stops the daemon cleanly (STOPPING=1,
# exit 0, control socket removed).
. "$(dirname "$0")/lib.sh"
it_begin signals

notify=$IT_DIR/notify.sock
socat -u UNIX-RECVFROM:"$notify",fork OPEN:"$IT_DIR/notify.out",creat,append &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do [ -S "$notify" ] && break; sleep 0.05; done

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=1M'
NOTIFY_SOCKET=$notify it_start hosta
it_wait_file "$IT_DIR/notify.out" 'READY=1' || it_fail "no READY=1 on NOTIFY_SOCKET"
[ -S "$IT_DIR/hosta.sock" ] || it_fail "READY=1 before the control socket existed"

kill -HUP "$(it_pid hosta)"
it_expect_log hosta 'reload: configuration applied'
it_wait_file "$IT_DIR/notify.out" 'RELOADING=1' || it_fail "no RELOADING=1 on SIGHUP"

pid=$(it_pid hosta)
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && it_fail "daemon still running 5 s after SIGTERM"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || it_fail "daemon exited with $rc after SIGTERM"
# sent before the exit, written by socat's child a moment later: waited for, not grepped once
it_wait_file "$IT_DIR/notify.out" 'STOPPING=1' || it_fail "no STOPPING=1"
[ ! -e "$IT_DIR/hosta.sock" ] || it_fail "control socket left behind"
it_pass
