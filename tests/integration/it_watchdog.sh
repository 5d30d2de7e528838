#!/bin/bash
# The systemd watchdog without systemd: with WATCHDOG_USEC (WatchdogSec=) the daemon sends
# WATCHDOG=1 on NOTIFY_SOCKET from its event loop at half the interval, and stops sending it
# while the process is frozen (SIGSTOP), which is what makes systemd restart a stuck daemon;
# after SIGCONT it feeds it again. With WATCHDOG_PID naming another process the watchdog is
# not its own and nothing is sent. STATUS= tells the job and device counts.
. "$(dirname "$0")/lib.sh"
it_begin watchdog

notify=$IT_DIR/notify.sock
socat -u UNIX-RECVFROM:"$notify",fork OPEN:"$IT_DIR/notify.out",creat,append &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do [ -S "$notify" ] && break; sleep 0.05; done

beats() { grep -o 'WATCHDOG=1' "$IT_DIR/notify.out" 2>/dev/null | wc -l; }

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=1M' \
	'[device "s1"]' 'backend = sim' 'spec = size=1M'
NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000 it_start hosta
it_expect_log hosta 'systemd watchdog: 400 ms, fed every 200 ms from the event loop'
sleep 2
n=$(beats)
[ "$n" -ge 6 ] || it_fail "only $n WATCHDOG=1 in 2 s at a 400 ms watchdog"
grep -q 'STATUS=running: 0 jobs, 2 devices' "$IT_DIR/notify.out" ||
	it_fail "no STATUS=running: 0 jobs, 2 devices: $(cat "$IT_DIR/notify.out")"

# frozen: no beat at all (one already on its way may still land)
pid=$(it_pid hosta)
kill -STOP "$pid"
sleep 0.5
n=$(beats)
sleep 1.5
m=$(beats)
[ "$m" -eq "$n" ] || it_fail "$((m - n)) WATCHDOG=1 while the daemon was stopped"
kill -CONT "$pid"
# three beats take 600 ms; waited for up to 5 s (socat writes each a moment after it came)
for _ in $(seq 100); do
	m=$(beats)
	[ "$m" -ge $((n + 3)) ] && break
	sleep 0.05
done
[ "$m" -ge $((n + 3)) ] || it_fail "the watchdog is not fed again after SIGCONT ($n -> $m)"

# a device added over the control socket shows in STATUS=
it_ok hosta device-add id=s2 sim=size=1M
it_wait_file "$IT_DIR/notify.out" 'STATUS=running: 0 jobs, 3 devices' ||
	it_fail "STATUS= not updated"
kill -TERM "$pid"
wait "$pid" || it_fail "daemon exited non-zero"

# WATCHDOG_PID of another process: not ours, never fed. A listener of its own, so that no
# late datagram of hosta (socat writes each a moment after it came) counts for hostb.
notify2=$IT_DIR/notify2.sock
socat -u UNIX-RECVFROM:"$notify2",fork OPEN:"$IT_DIR/notify2.out",creat,append &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do [ -S "$notify2" ] && break; sleep 0.05; done
it_config hostb hostb '[device "s0"]' 'backend = sim' 'spec = size=1M'
NOTIFY_SOCKET=$notify2 WATCHDOG_USEC=200000 WATCHDOG_PID=1 it_start hostb
it_wait_file "$IT_DIR/notify2.out" 'READY=1' || it_fail "no READY=1"
sleep 1
n=$(grep -o 'WATCHDOG=1' "$IT_DIR/notify2.out" | wc -l)
[ "$n" -eq 0 ] || it_fail "WATCHDOG=1 sent for another process's watchdog"
grep -q 'systemd watchdog' "$IT_DIR/hostb.log" && it_fail "hostb claims a watchdog"
it_pass
