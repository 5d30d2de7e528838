#!/bin/bash
# A stop with migrations running leaves every device in a safe place (vfio-migd(8),
# STOPPING): on SIGTERM the daemon says STOPPING=1 and EXTEND_TIMEOUT_USEC=, refuses new
# jobs, cancels the jobs before COMMIT (they roll back: the source device RUNNING again with
# its content intact, the destination device reset, on both daemons), waits for the jobs past
# COMMIT at most [daemon] stop_timeout, and exits 0 within that bound.
#   1. the source stops during pre-copy with a dirty rate (PRECOPY)
#   2. the destination stops while the source waits for a manual switchover
#   3. the destination stops past COMMIT, waiting for a manual resume: the wait runs to
#      stop_timeout (2 s), EXTEND_TIMEOUT_USEC= is repeated, new jobs are refused meanwhile
. "$(dirname "$0")/lib.sh"
it_begin stop_jobs

# notify HOST: a NOTIFY_SOCKET listener writing $IT_DIR/HOST.notify
notify() {
	socat -u UNIX-RECVFROM:"$IT_DIR/$1.nsock",fork OPEN:"$IT_DIR/$1.notify",creat,append &
	IT_PIDS="$IT_PIDS $!"
	for _ in $(seq 50); do [ -S "$IT_DIR/$1.nsock" ] && break; sleep 0.05; done
}

# stop_ok HOST MAX_SECONDS: SIGTERM; the daemon exits 0 within MAX_SECONDS having said
# STOPPING=1 and EXTEND_TIMEOUT_USEC=; prints how long it took (ms)
stop_ok() {
	pid=$(it_pid "$1")
	t0=$(date +%s%N)
	kill -TERM "$pid"
	for _ in $(seq $(($2 * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && it_fail "$1 still runs $2 s after SIGTERM"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || it_fail "$1 exited with $rc after SIGTERM"
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	# socat's children write the datagrams a moment after they were sent: waited for
	it_wait_file "$IT_DIR/$1.notify" 'STOPPING=1' || it_fail "$1: no STOPPING=1"
	it_wait_file "$IT_DIR/$1.notify" 'EXTEND_TIMEOUT_USEC=[0-9]+' ||
		it_fail "$1: no EXTEND_TIMEOUT_USEC="
}

# ---- 1. the source stops in PRECOPY ----
notify a1
it_config a1 hosta '[device "s0"]' 'backend = sim' 'spec = size=8M,dirty_rate=2M,seed=5'
it_config b1 hostb '[device "d0"]' 'backend = sim' 'spec = size=8M'
NOTIFY_SOCKET=$IT_DIR/a1.nsock it_start a1
it_start b1
it_prepare b1 d0
it_migrate a1 b1 s0:d0 downtime=1 bandwidth=4194304
it_wait_phase a1 "$IT_JOB" PRECOPY 10
it_wait_phase b1 "$IT_DJOB" PRECOPY 10
"$CTLPROBE" -t 20 "$IT_DIR/a1.sock" job-wait job="$IT_JOB" timeout=15000 >"$IT_DIR/wait1.out" 2>&1 &
waiter=$!
sleep 0.3
stop_ok a1 10
wait "$waiter" || it_fail "job-wait on the stopping source: $(cat "$IT_DIR/wait1.out")"
IT_OUT=$(cat "$IT_DIR/wait1.out")
it_expect phase CANCELLED
it_expect error_code CANCELLED
it_has "$IT_OUT" 'error_message=vfio-migd is stopping in phase PRECOPY'
it_expect device.0.state RUNNING
it_expect device.0.reset 0
it_expect_log a1 "job $IT_JOB: vfio-migd is stopping in phase PRECOPY: cancelling \(before COMMIT\)"
it_expect_log a1 'SIGTERM: stopping; new jobs are refused, jobs before COMMIT roll back; [01] job\(s\) to wait for \(0 past COMMIT\)'
it_expect_log a1 'stopping: every job reached a safe point'
# the peer rolled back too
it_wait_job b1 "$IT_DJOB" 10
it_expect phase 'FAILED|CANCELLED'
it_expect device.0.reset 1
it_device b1 d0 RUNNING 0
[ "$STOP_MS" -lt 5000 ] || it_fail "the source took $STOP_MS ms to stop"

# ---- 2. the destination stops in SWITCHOVER_PENDING ----
notify b2
it_config a2 hosta '[device "s0"]' 'backend = sim' 'spec = size=4M,seed=9'
it_config b2 hostb '[device "d0"]' 'backend = sim' 'spec = size=4M'
it_start a2
NOTIFY_SOCKET=$IT_DIR/b2.nsock it_start b2
before=$(it_digest a2 s0)
it_prepare b2 d0
it_migrate a2 b2 s0:d0 switchover=manual
it_wait_phase a2 "$IT_JOB" SWITCHOVER_PENDING 15
stop_ok b2 10
it_expect_log b2 "job $IT_DJOB: vfio-migd is stopping in phase PRECOPY: cancelling"
it_expect_log b2 "job $IT_DJOB: rolled back: d0 RUNNING \(reset\)"
it_wait_job a2 "$IT_JOB" 10
it_expect phase 'FAILED|CANCELLED'
it_has "$IT_OUT" 'error_message=.*vfio-migd is stopping'
it_expect device.0.state RUNNING
it_expect device.0.reset 0
it_device a2 s0 RUNNING 0
[ "$(it_digest a2 s0)" = "$before" ] || it_fail "the source content changed"
[ "$STOP_MS" -lt 5000 ] || it_fail "the destination took $STOP_MS ms to stop"

# ---- 3. past COMMIT: waits up to stop_timeout, then exits 0 ----
notify b3
it_config a3 hosta '[device "s0"]' 'backend = sim' 'spec = size=2M,seed=3'
it_config b3 hostb '[device "d0"]' 'backend = sim' 'spec = size=2M' '[device "d1"]' \
	'backend = sim' 'spec = size=1M' '[daemon]' 'stop_timeout = 2s'
it_start a3
NOTIFY_SOCKET=$IT_DIR/b3.nsock it_start b3
it_prepare b3 d0
it_migrate a3 b3 s0:d0 resume=manual
it_wait_job a3 "$IT_JOB" 30
it_expect phase COMPLETED
it_wait_phase b3 "$IT_DJOB" RESUME_PENDING 5
pid=$(it_pid b3)
t0=$(date +%s%N)
kill -TERM "$pid"
it_expect_log b3 'SIGTERM: stopping; .* 1 job\(s\) to wait for \(1 past COMMIT\), at most 2000 ms'
it_err b3 BUSY prepare source=dns:hosta.test devices=d1
it_has "$IT_OUT" 'vfio-migd is stopping and takes no new jobs'
it_ok b3 job-status job="$IT_DJOB"
it_expect phase RESUME_PENDING
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && it_fail "b3 still runs 5 s after SIGTERM with stop_timeout 2s"
wait "$pid"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" -eq 0 ] || it_fail "b3 exited with $rc"
[ "$ms" -ge 1900 ] || it_fail "b3 stopped after $ms ms: it did not wait for the job past COMMIT"
# the last datagrams, sent just before the exit, are written by socat's children a moment later
it_wait_file "$IT_DIR/b3.notify" 'EXTEND_TIMEOUT_USEC=60000000' ||
	it_fail "no EXTEND_TIMEOUT_USEC for the teardown"
it_wait_file "$IT_DIR/b3.notify" 'STATUS=stopping: 1 job to reach a safe point' ||
	it_fail "no stopping STATUS="
n=$(grep -Eo 'EXTEND_TIMEOUT_USEC=[0-9]+' "$IT_DIR/b3.notify" | wc -l)
[ "$n" -ge 2 ] || it_fail "EXTEND_TIMEOUT_USEC= sent $n times during a 2 s wait"
first=$(grep -Eo 'EXTEND_TIMEOUT_USEC=[0-9]+' "$IT_DIR/b3.notify" | head -n 1 | cut -d= -f2)
[ "$first" -ge 2000000 ] && [ "$first" -le 8000000 ] || it_fail "EXTEND_TIMEOUT_USEC=$first"
it_expect_log b3 'stopping: stop_timeout \(2000 ms\) passed with 1 job\(s\) unfinished \(1 past COMMIT\)'
it_expect_log b3 "job $IT_DJOB: vfio-migd is stopping after COMMIT; the devices stay as they are"
# the last teardown tells systemd it may take longer
it_expect_log b3 'stopping: ending 1 unfinished job\(s\); device changes in flight finish first, then the rollbacks run \(systemd is given 60 s more\)'
it_expect_log b3 'control: .* asked for a new job while stopping; refused'
it_pass
