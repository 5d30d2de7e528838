#!/bin/bash
# Device state changes run off the event loop (issue #4): two source devices whose STOP_COPY
# arc takes 2.5 s each (sim slow_arc_ms). While they are stuck in it the control socket
# answers at once, keepalives (1 s interval, 3 missed = lost) keep the link up, the job status
# shows the change in flight, both arcs run in parallel (the switchover takes about one arc,
# not two) and the P2P rule holds (both devices reach their P2P state before either is
# asked for STOP_COPY). Then a cancel during the slow arc waits for it and rolls back: the
# source devices RUNNING with their content intact, the destination's reset.
. "$(dirname "$0")/lib.sh"
it_begin migrate_slowarc

ARC_MS=2500
it_config hosta hosta \
	'[device "a0"]' 'backend = sim' \
	"spec = size=2M,seed=3,slow_arc_ms=$ARC_MS,slow_arc=PRE_COPY_P2P>STOP_COPY" \
	'[device "a1"]' 'backend = sim' \
	"spec = size=1M,flags=stop_copy|p2p,seed=4,slow_arc_ms=$ARC_MS,slow_arc=STOP>STOP_COPY"
it_config hostb hostb \
	'[device "b0"]' 'backend = sim' 'spec = size=2M' \
	'[device "b1"]' 'backend = sim' 'spec = size=1M,flags=stop_copy|p2p'
it_start hosta
it_start hostb

# polls JOB on hosta until a device is in the slow arc; fails after 10 s
wait_slow_arc() {
	end=$(($(date +%s) + 10))
	while [ "$(date +%s)" -le "$end" ]; do
		it_ok hosta job-status job="$1"
		printf '%s\n' "$IT_OUT" | grep -q '^device\.[01]\.changing_to=STOP_COPY$' && return 0
		sleep 0.02
	done
	it_fail "no device of job $1 entered the slow STOP_COPY arc: $IT_OUT"
}

# while the job's devices are in the slow arc: every round trip (status, info) under 500 ms
probe_during_arc() {
	n=0 worst=0
	while :; do
		it_round_trip hosta job-status job="$1"
		rtt=$(cat "$IT_DIR/rtt")
		printf '%s\n' "$IT_OUT" | grep -q '^device\.[01]\.changing_to=STOP_COPY$' || break
		[ "$rtt" -gt "$worst" ] && worst=$rtt
		it_round_trip hosta info
		rtt=$(cat "$IT_DIR/rtt")
		[ "$rtt" -gt "$worst" ] && worst=$rtt
		n=$((n + 1))
		sleep 0.1
	done
	it_log "$n status+info round trips during the slow arc, the slowest $worst ms"
	[ "$n" -ge 3 ] || it_fail "only $n round trips during a $ARC_MS ms arc"
	[ "$worst" -lt 500 ] || it_fail "a control round trip took $worst ms during the slow arc"
}

before0=$(it_digest hosta a0)
before1=$(it_digest hosta a1)

# ---- a migration through the slow arcs ----
it_prepare hostb b0,b1
it_migrate hosta hostb a0:b0,a1:b1
wait_slow_arc "$IT_JOB"
it_expect phase 'PRECOPY|SWITCHOVER_PENDING'
it_has "$IT_OUT" '^device\.0\.changing_ms=[0-9]+$'
# the change is shown while it runs, and the log says so after a second
it_expect_log hosta "job $IT_JOB: device a[01]: (PRE_COPY|RUNNING)_P2P -> STOP_COPY running for [0-9]+ s" 3
probe_during_arc "$IT_JOB"
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
downtime=$(it_get downtime_ms)
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
for pair in a0:b0 a1:b1; do
	s=${pair%:*} d=${pair#*:}
	[ "$(it_digest hosta "$s")" = "$(it_digest hostb "$d")" ] || it_fail "$s and $d differ"
	it_device hosta "$s" STOP 0
	it_device hostb "$d" RUNNING 0
done

# in parallel: the switchover (to RESUMED) took about one arc, not two
it_log "source downtime $downtime ms with two $ARC_MS ms arcs"
[ "$downtime" -ge "$ARC_MS" ] || it_fail "downtime $downtime ms: shorter than the arc itself"
# one after the other they take two full arcs (5000 ms) at least, however fast the machine:
# under that bound they overlapped; the rest of the switchover gets the other 2500 ms
[ "$downtime" -lt $((ARC_MS * 2)) ] ||
	it_fail "downtime $downtime ms: the arcs ran one after the other"
for d in 'a0: PRE_COPY_P2P' 'a1: RUNNING_P2P'; do
	ms=$(sed -n "s/.*job $IT_JOB: device $d -> STOP_COPY (\([0-9]*\) ms).*/\1/p" "$IT_DIR/hosta.log")
	[ -n "$ms" ] && [ "$ms" -ge "$ARC_MS" ] || it_fail "device ${d%%:*}: no STOP_COPY arc of $ARC_MS ms or more"
	it_log "device $d -> STOP_COPY took $ms ms"
done

# the P2P rule: both devices in their P2P state before either was asked for STOP_COPY
last_p2p=$(grep -nE "job $IT_JOB: device a[01]: (PRE_COPY|RUNNING) -> (PRE_COPY|RUNNING)_P2P \(" \
	"$IT_DIR/hosta.log" | tail -n 1 | cut -d: -f1)
first_stop=$(grep -nE "job $IT_JOB: device a[01]: .* -> STOP_COPY posted" "$IT_DIR/hosta.log" |
	head -n 1 | cut -d: -f1)
[ -n "$last_p2p" ] && [ -n "$first_stop" ] || it_fail "P2P or STOP_COPY lines missing in the log"
[ "$(grep -cE "job $IT_JOB: device a[01]: (PRE_COPY|RUNNING) -> (PRE_COPY|RUNNING)_P2P \(" \
	"$IT_DIR/hosta.log")" -eq 2 ] || it_fail "not both devices went through P2P"
[ "$last_p2p" -lt "$first_stop" ] || it_fail "a device was asked for STOP_COPY before both were in P2P"

# ---- a cancel during the slow arc: it waits for the arc, then rolls back ----
it_ok hosta device-set-state id=a0 state=running
it_ok hosta device-set-state id=a1 state=running
[ "$(it_digest hosta a0)" = "$before0" ] || it_fail "a0 changed on its way back"
it_prepare hostb b0,b1
it_migrate hosta hostb a0:b0,a1:b1
wait_slow_arc "$IT_JOB"
it_round_trip hosta job-cancel job="$IT_JOB"
it_log "cancel answered in $(cat "$IT_DIR/rtt") ms during the slow arc"
[ "$(cat "$IT_DIR/rtt")" -lt 500 ] || it_fail "the cancel took $(cat "$IT_DIR/rtt") ms to answer"
it_ok hosta job-status job="$IT_JOB"
it_expect phase ABORTING
it_expect_log hosta "job $IT_JOB: device a[01]: .* -> STOP_COPY \([0-9]+ ms\)" 5
it_wait_job hosta "$IT_JOB" 20
it_expect phase CANCELLED
it_expect device.0.state RUNNING
it_expect device.1.state RUNNING
it_expect device.0.reset 0
it_expect device.1.reset 0
it_device hosta a0 RUNNING 0
it_device hosta a1 RUNNING 0
[ "$(it_digest hosta a0)" = "$before0" ] || it_fail "a0 content changed by the cancelled migration"
[ "$(it_digest hosta a1)" = "$before1" ] || it_fail "a1 content changed by the cancelled migration"
it_wait_job hostb "$IT_DJOB" 10
it_expect phase CANCELLED
it_device hostb b0 RUNNING 0
it_device hostb b1 RUNNING 0
it_expect_log hosta "job $IT_JOB: rolled back: a0 RUNNING, a1 RUNNING"

# keepalives kept the link up through every slow arc
! grep -Eq 'no answer to [0-9]+ keepalives|link to .* was lost' "$IT_DIR/hosta.log" "$IT_DIR/hostb.log" ||
	it_fail "the peer link was lost during the slow arcs"
it_ok hosta peer-list
it_has "$IT_OUT" 'state=READY'
it_alive hosta
it_alive hostb
it_pass
