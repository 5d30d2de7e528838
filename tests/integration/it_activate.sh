#!/bin/bash
# Socket activation of the control socket, as vfio-migd.socket does it, through
# systemd-socket-activate (which listens, then execs the daemon on the first connection with
# LISTEN_FDS=1 LISTEN_FDNAMES=control): the first client's call is answered by the daemon
# started for it, the daemon serves the passed socket (not the [control] socket of its
# configuration), reports READY=1, and leaves the socket file in place when it stops (the
# socket unit owns it). A passed fd with another name is closed and the daemon makes its own
# socket; an fd named "control" that is not a listening UNIX stream socket stops the start.
. "$(dirname "$0")/lib.sh"
it_begin activate

command -v systemd-socket-activate >/dev/null ||
	it_fail "systemd-socket-activate is missing (packaging/install-deps.sh installs systemd)"

notify=$IT_DIR/notify.sock
socat -u UNIX-RECVFROM:"$notify",fork OPEN:"$IT_DIR/notify.out",creat,append &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do [ -S "$notify" ] && break; sleep 0.05; done

# systemd-socket-activate passes on only the environment named with -E
act_env=(-E "NOTIFY_SOCKET=$notify")
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS; do
	[ -n "${!v:-}" ] && act_env+=(-E "$v=${!v}")
done

# activate NAME FDNAME LOG [socket-activate options...]: starts the activator in the background
activate() {
	sock=$1 fdname=$2 log=$3
	shift 3
	systemd-socket-activate "$@" -l "$sock" --fdname="$fdname" "${act_env[@]}" \
		"$VFIO_MIGD" -c "$IT_DIR/hosta.conf" >"$IT_DIR/$log.log" 2>&1 &
	act_pid=$!
	IT_PIDS="$IT_PIDS $act_pid"
	for _ in $(seq 100); do [ -e "$sock" ] && break; sleep 0.05; done
	[ -e "$sock" ] || it_fail "systemd-socket-activate did not create $sock"
}

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=1M'

# ---- the socket named "control" ----
sock=$IT_DIR/activated.sock
activate "$sock" control hosta
grep -q 'ready:' "$IT_DIR/hosta.log" && it_fail "the daemon ran before the first connection"
out=$("$CTLPROBE" -t 15 "$sock" info 2>&1) || it_fail "first call on the activated socket: $out"
it_has "$out" '^error=OK'
it_expect_log hosta "control: serving the socket systemd passed \($sock\); \[control\] socket, group and mode are ignored"
it_expect_log hosta "ready: 1 device\(s\), control socket $sock \(from systemd\)"
[ -e "$IT_DIR/hosta.sock" ] && it_fail "the daemon made its configured socket as well"
it_wait_file "$IT_DIR/notify.out" 'READY=1' || it_fail "no READY=1 from the activated daemon"
out=$("$CTLPROBE" "$sock" device-list 2>&1) || it_fail "device-list: $out"
it_has "$out" 'device\.0\.id=s0'
kill -0 "$act_pid" || it_fail "the daemon is not the activator's process (no exec?)"
kill -TERM "$act_pid"
for _ in $(seq 100); do kill -0 "$act_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$act_pid" 2>/dev/null && it_fail "daemon still running 5 s after SIGTERM"
wait "$act_pid"
rc=$?
[ "$rc" -eq 0 ] || it_fail "daemon exited with $rc after SIGTERM"
[ -S "$sock" ] || it_fail "the daemon removed the activated socket $sock on stop"
it_wait_file "$IT_DIR/notify.out" 'STOPPING=1' || it_fail "no STOPPING=1"

# ---- another name: closed with a warning, the daemon makes its own socket ----
sock2=$IT_DIR/other.sock
activate "$sock2" peer other
"$CTLPROBE" -t 2 "$sock2" info >/dev/null 2>&1 # the trigger; nobody answers on it
it_expect_log other "socket activation: fd 3 named 'peer' is not used \(vfio-migd takes only 'control', FileDescriptorName=control\); closing it"
it_expect_log other "ready: 1 device\(s\), control socket $IT_DIR/hosta.sock\$"
out=$("$CTLPROBE" "$IT_DIR/hosta.sock" info 2>&1) || it_fail "own socket after a foreign fd: $out"
kill -TERM "$act_pid"
wait "$act_pid"
[ ! -e "$IT_DIR/hosta.sock" ] || it_fail "the daemon left its own socket behind"

# ---- "control", but a datagram socket: the start fails and says why ----
sock3=$IT_DIR/dgram.sock
activate "$sock3" control dgram --datagram
printf x | socat -u - UNIX-SENDTO:"$sock3"
for _ in $(seq 100); do kill -0 "$act_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$act_pid" 2>/dev/null && it_fail "the daemon runs on a datagram socket named control"
wait "$act_pid"
rc=$?
[ "$rc" -ne 0 ] || it_fail "the daemon exited 0 with a datagram socket named control"
it_expect_log dgram "socket activation: the fd named 'control' is not a listening UNIX stream socket; check vfio-migd.socket"
it_pass
