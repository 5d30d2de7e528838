#!/bin/bash
# A live migration between two real daemons: a pre-copy sim device dirtying its state while
# it runs, a bandwidth cap lifted while the job runs, events on both sides, the status of both
# jobs, and the proof: the destination device holds exactly what the source held when it
# stopped, the source device stays stopped, both are released.
. "$(dirname "$0")/lib.sh"
it_begin migrate

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=4M,dirty_rate=1M,seed=7'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=4M'
it_start hosta
it_start hostb

# events from both sides, until each side's job finished
"$CTLPROBE" -t 60 "$IT_DIR/hosta.sock" subscribe >"$IT_DIR/events-a.txt" 2>&1 &
ev_a=$!
"$CTLPROBE" -t 60 "$IT_DIR/hostb.sock" subscribe >"$IT_DIR/events-b.txt" 2>&1 &
ev_b=$!
it_expect_log hosta 'subscribed to the events of every job'
it_expect_log hostb 'subscribed to the events of every job'

it_prepare hostb d0 expiry=60
[ ${#IT_TOKEN} -eq 32 ] || it_fail "token '$IT_TOKEN' is not 32 hex digits"
it_ok hostb job-status job="$IT_DJOB"
it_expect role DESTINATION
it_expect phase WAITING
it_expect peer dns:hosta.test
it_device hostb d0 RUNNING "$IT_DJOB"
it_expect_log hostb "job $IT_DJOB: incoming migration prepared by pid=[0-9]+ uid=[0-9]+: source dns:hosta.test, devices d0"

# a 2 MiB/s cap keeps the 4 MiB initial pass in PRECOPY for a while; then it is lifted
it_migrate hosta hostb s0:d0 downtime=300 bandwidth=2097152 metadata=vmm-config-blob
it_wait_phase hosta "$IT_JOB" PRECOPY 10
it_expect role SOURCE
it_expect bandwidth_bps 2097152
it_expect device.0.state PRE_COPY
it_device hosta s0 PRE_COPY "$IT_JOB"
it_wait_phase hostb "$IT_DJOB" PRECOPY 5
it_device hostb d0 RESUMING "$IT_DJOB"
it_ok hosta job-bandwidth job="$IT_JOB" bps=0
it_expect_log hosta "job $IT_JOB: bandwidth 2097152 -> 0 B/s \(unlimited\), asked by pid="

it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_expect error_code OK
it_expect bandwidth_bps 0
it_expect downtime_limit_ms 300
it_expect device.0.source_id s0
it_expect device.0.target_id d0
it_expect device.0.state STOP
it_expect device.0.bytes_remaining 0
it_expect device.0.reset 0
sent=$(it_get device.0.bytes_sent)
[ "$sent" -ge 4194304 ] || it_fail "only $sent bytes sent for a 4 MiB device"
it_expect device.0.bytes_acked "$sent"
[ "$(it_get precopy_iterations)" -ge 1 ] || it_fail "no pre-copy iteration counted: $IT_OUT"
[ "$(it_get throughput_bps)" -gt 0 ] || it_fail "no throughput: $IT_OUT"
[ "$(it_get downtime_ms)" -lt 5000 ] || it_fail "downtime $(it_get downtime_ms) ms"
[ "$(it_get finished_at_ms)" -ge "$(it_get started_at_ms)" ] || it_fail "times: $IT_OUT"

it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
it_expect device.0.state RUNNING
it_expect device.0.bytes_sent "$sent"

# the destination holds exactly what the source held at stop time
da=$(it_digest hosta s0)
db=$(it_digest hostb d0)
[ -n "$da" ] && [ "$da" = "$db" ] || it_fail "digests differ: source $da, destination $db"
it_device hosta s0 STOP 0
it_device hostb d0 RUNNING 0
it_ok hosta info
it_expect active_jobs 0

# audit lines on both sides
it_expect_log hosta "job $IT_JOB: migration to 127\.0\.0\.1:[0-9]+ requested by pid=[0-9]+ uid=[0-9]+: devices s0->d0; pre-copy on, switchover auto, resume auto, downtime limit 300 ms"
it_expect_log hosta "job $IT_JOB: switchover \(converged\): stopping 1 device"
it_expect_log hosta "job $IT_JOB: commit: the destination loaded every device"
it_expect_log hosta "job $IT_JOB: completed: 1 device\(s\) to 127\.0\.0\.1:[0-9]+, $sent bytes in [0-9]+ ms, [0-9]+ B/s, downtime [0-9]+ ms"
it_expect_log hostb "job $IT_DJOB: accepted: 1 device\(s\) in RESUMING, 15 bytes of metadata"
it_expect_log hostb "job $IT_DJOB: completed: 1 device\(s\) from dns:hosta.test running here"

# events: the phases in order, device states, progress, the final event
wait "$ev_a" || it_fail "source events: $(tr "\n" "|" <"$IT_DIR/events-a.txt")"
wait "$ev_b" || it_fail "destination events: $(cat "$IT_DIR/events-b.txt")"
ea=$(cat "$IT_DIR/events-a.txt")
eb=$(cat "$IT_DIR/events-b.txt")
phases() { printf '%s\n' "$1" | sed -n 's/.*kind=PHASE job=[0-9]* phase=\([A-Z_]*\).*/\1/p' | tr '\n' ' '; }
[ "$(phases "$ea")" = "PREPARING PRECOPY STOP_COPY LOADING COMMITTING COMPLETED " ] ||
	it_fail "source phases: $(phases "$ea")"
[ "$(phases "$eb")" = "PREPARING PRECOPY STOP_COPY LOADING COMMITTING STARTING COMPLETED " ] ||
	it_fail "destination phases: $(phases "$eb")"
it_has "$ea" '^event seq=1 kind=JOB_CREATED job=[0-9]+ phase=CONNECTING'
it_has "$ea" 'kind=DEVICE_STATE .* device=s0 state=PRE_COPY$'
it_has "$ea" 'kind=PROGRESS'
it_has "$ea" 'kind=CONVERGED'
it_has "$ea" 'kind=FINISHED job=[0-9]+ phase=COMPLETED'
it_has "$eb" '^event seq=1 kind=JOB_CREATED job=[0-9]+ phase=WAITING'
it_has "$eb" 'kind=DEVICE_STATE .* device=d0 state=RESUMING$'
it_has "$eb" 'kind=FINISHED job=[0-9]+ phase=COMPLETED'

# a finished job stays queryable and cannot be cancelled
it_err hosta INVALID_ARGUMENT job-cancel job="$IT_JOB"
it_has "$IT_OUT" 'finished already'
it_ok hosta job-list
it_expect jobs 1
it_err hosta NOT_FOUND job-status job=999
it_pass
