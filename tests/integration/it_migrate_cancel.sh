#!/bin/bash
# Cancel in every phase, from either side, always ending in a final event and the rollback:
# the source device back to RUNNING with its content unchanged and never reset, the
# destination device reset and released. Phases: a prepared destination (WAITING), a source
# waiting for PREPARE_REPLY (PREPARING), pre-copy streaming (PRECOPY, cancelled on either
# side), a converged job waiting for a manual switchover (SWITCHOVER_PENDING), the final
# stop-copy stream (STOP_COPY, streams running) and the destination validating (LOADING, its
# slow RESUMING -> STOP in flight). Past COMMIT (COMMITTING) a cancel is refused and the job
# completes. A subscriber on each daemon sees exactly one FINISHED event per job, in the
# job's final phase.
. "$(dirname "$0")/lib.sh"
it_begin migrate_cancel

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=8M,seed=21'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=8M' \
	'[device "d1"]' 'backend = sim' 'spec = size=8M,slow_arc_ms=2000,slow_arc=RESUMING>STOP' \
	'[device "d2"]' 'backend = sim' 'spec = size=8M,slow_arc_ms=2000,slow_arc=STOP>RUNNING_P2P'
it_start hosta
it_start hostb
before=$(it_digest hosta s0)
"$CTLPROBE" -t 90 "$IT_DIR/hosta.sock" subscribe finished=8 >"$IT_DIR/events-a.txt" 2>&1 &
ev_a=$!
"$CTLPROBE" -t 90 "$IT_DIR/hostb.sock" subscribe finished=8 >"$IT_DIR/events-b.txt" 2>&1 &
ev_b=$!
it_expect_log hosta 'subscribed to the events of every job'
it_expect_log hostb 'subscribed to the events of every job'

# the source side after a rollback: RUNNING, free, unchanged, not reset
source_intact() {
	it_ok hosta job-status job="$IT_JOB"
	it_expect phase "$1"
	it_expect device.0.state RUNNING
	it_expect device.0.reset 0
	it_device hosta s0 RUNNING 0
	[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"
}

# the destination side after a rollback: reset, RUNNING, free; [MESSAGE]: its error message
dest_reset() {
	it_wait_job hostb "$IT_DJOB" 10
	it_expect phase "$1"
	it_expect device.0.reset 1
	[ -z "${2:-}" ] || it_has "$IT_OUT" "error_message=$2"
	it_device hostb d0 RUNNING 0
}

# WAITING: a prepared destination, cancelled before any source came; its token is dead
it_prepare hostb d0
it_ok hostb job-cancel job="$IT_DJOB"
it_wait_job hostb "$IT_DJOB" 5
it_expect phase CANCELLED
it_expect error_code CANCELLED
it_expect device.0.reset 0
it_device hostb d0 RUNNING 0
it_migrate hosta hostb s0:d0
it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code TOKEN_INVALID
it_has "$IT_OUT" "error_message=the destination refused the migration: the migration prepared with this token \(job $IT_DJOB\) is CANCELLED"
source_intact FAILED

# PREPARING: the destination is frozen after the link came up, so PREPARE stays unanswered;
# the cancel reaches it (ABORT) once it runs again, after it accepted the PREPARE
it_ok hosta peer-connect address=127.0.0.1:"$(it_port hostb)"
it_prepare hostb d0
kill -STOP "$(it_pid hostb)"
it_migrate hosta hostb s0:d0
it_wait_phase hosta "$IT_JOB" PREPARING 5
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 5
it_expect phase CANCELLED
it_has "$IT_OUT" 'error_message=cancelled by pid=[0-9]+ uid=[0-9]+ in phase PREPARING'
kill -CONT "$(it_pid hostb)"
source_intact CANCELLED
dest_reset CANCELLED 'the source aborted the migration: cancelled by'

# PRECOPY: a 1 MiB/s cap keeps an 8 MiB device pre-copying for seconds
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576
it_wait_phase hosta "$IT_JOB" PRECOPY 10
sleep 1.5 # the first 1 MiB frame waits ~1 s for the rate limiter
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_expect phase CANCELLED
[ "$(it_get device.0.bytes_sent)" -gt 0 ] || it_fail "nothing was streamed before the cancel"
source_intact CANCELLED
dest_reset CANCELLED
it_expect_log hosta "job $IT_JOB: cancel requested by pid=[0-9]+ uid=[0-9]+ in phase PRECOPY"
it_expect_log hosta "job $IT_JOB: rolled back: s0 RUNNING"
it_expect_log hostb "job $IT_DJOB: rolled back: d0 RUNNING \(reset\)"

# PRECOPY, cancelled on the destination: the source rolls back on its ABORT
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576
it_wait_phase hostb "$IT_DJOB" PRECOPY 10
it_ok hostb job-cancel job="$IT_DJOB"
dest_reset CANCELLED
it_wait_job hosta "$IT_JOB" 10
it_expect phase CANCELLED
it_has "$IT_OUT" 'error_message=the destination aborted the migration: cancelled by'
source_intact CANCELLED

# SWITCHOVER_PENDING: converged, waiting for the orchestrator's switchover
it_prepare hostb d0
it_migrate hosta hostb s0:d0 switchover=manual
it_wait_phase hosta "$IT_JOB" SWITCHOVER_PENDING 15
it_expect device.0.state PRE_COPY
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_expect phase CANCELLED
it_has "$IT_OUT" 'error_message=cancelled by pid=[0-9]+ uid=[0-9]+ in phase SWITCHOVER_PENDING'
source_intact CANCELLED
dest_reset CANCELLED 'the source aborted the migration: cancelled by'

# STOP_COPY: no pre-copy, the device stopped and its final stream running
it_prepare hostb d0
it_migrate hosta hostb s0:d0 precopy=0 bandwidth=1048576
it_wait_phase hosta "$IT_JOB" STOP_COPY 10
it_expect device.0.state STOP_COPY
sleep 1.5
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_expect phase CANCELLED
[ "$(it_get device.0.bytes_sent)" -gt 0 ] || it_fail "nothing was streamed before the cancel"
source_intact CANCELLED
dest_reset CANCELLED

# LOADING: the destination's RESUMING -> STOP (its validation) is in flight for 2 s; the
# source rolls back at once, the destination once the arc is over (then resets its device)
it_prepare hostb d1
it_migrate hosta hostb s0:d1 precopy=0
it_wait_phase hosta "$IT_JOB" LOADING 10
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_expect phase CANCELLED
it_has "$IT_OUT" 'error_message=cancelled by pid=[0-9]+ uid=[0-9]+ in phase LOADING'
source_intact CANCELLED
it_wait_job hostb "$IT_DJOB" 10
it_expect phase CANCELLED
it_expect device.0.reset 1
it_device hostb d1 RUNNING 0

# COMMITTING: past COMMIT a cancel is refused (the destination owns the devices now) and the
# job completes
it_prepare hostb d2
it_migrate hosta hostb s0:d2 precopy=0
it_wait_phase hosta "$IT_JOB" COMMITTING 10
it_err hosta INVALID_ARGUMENT job-cancel job="$IT_JOB"
it_has "$IT_OUT" 'past COMMIT: the destination owns the devices now'
it_wait_job hosta "$IT_JOB" 10
it_expect phase COMPLETED
[ "$(it_digest hostb d2)" = "$before" ] || it_fail "d2 does not hold s0's state"

# every job ended with exactly one FINISHED event, in its final phase
wait "$ev_a" || it_fail "source events: $(tail -n 5 "$IT_DIR/events-a.txt")"
wait "$ev_b" || it_fail "destination events: $(tail -n 5 "$IT_DIR/events-b.txt")"
for host in hosta hostb; do
	it_ok "$host" job-list
	it_expect jobs 8
	for i in 0 1 2 3 4 5 6 7; do
		id=$(it_get "job.$i.job_id")
		ph=$(it_get "job.$i.phase")
		n=$(grep -c "kind=FINISHED job=$id phase=$ph" "$IT_DIR/events-${host#host}.txt")
		[ "$n" -eq 1 ] || it_fail "$host: job $id ($ph): $n FINISHED events"
	done
done

# both daemons are fine and hold no job
it_ok hosta info
it_expect active_jobs 0
it_ok hostb info
it_expect active_jobs 0
it_pass
