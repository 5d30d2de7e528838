#!/bin/bash
# The link lost around COMMIT (architecture.md, peer protocol step 7): whatever happens, no
# device runs on both hosts and no state is lost.
#  1. The source dies while the destination is loading (before COMMIT, which therefore never
#     comes): the destination rolls back, its device reset.
#  2. The destination dies after COMMIT, while it starts its device: the source cannot know
#     whether the device runs there, so it rolls nothing back: its device stays STOPPED with
#     its state intact (digest unchanged, not reset), the job FAILED saying so, and the
#     orchestrator decides.
#  3. As 2, but the source device's STOP_COPY -> STOP fails too: past COMMIT the daemon never
#     resets (a reset would discard what may be the only copy): the device stays STOP_COPY with
#     its state, and the job's error says so.
# The slow arcs (sim slow_arc_ms) hold each destination in the phase where the kill lands.
. "$(dirname "$0")/lib.sh"
it_begin migrate_commit

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=4M,seed=61' \
	'[device "s1"]' 'backend = sim' 'spec = size=4M,seed=62,fail_arc=STOP_COPY>STOP'
it_config hostb hostb \
	'[device "d0"]' 'backend = sim' 'spec = size=4M,slow_arc_ms=3000,slow_arc=RESUMING>STOP' \
	'[device "d1"]' 'backend = sim' 'spec = size=4M,slow_arc_ms=3000,slow_arc=STOP>RUNNING_P2P' \
	'[device "d2"]' 'backend = sim' 'spec = size=4M,slow_arc_ms=3000,slow_arc=STOP>RUNNING_P2P'
it_start hosta
it_start hostb
before=$(it_digest hosta s0)

# 1. the source SIGKILLed while the destination loads (RESUMING -> STOP in flight)
it_prepare hostb d0
it_migrate hosta hostb s0:d0 precopy=0
it_wait_phase hostb "$IT_DJOB" LOADING 10
kill -KILL "$(it_pid hosta)"
it_wait_job hostb "$IT_DJOB" 15
it_expect phase FAILED
it_expect error_code PEER_UNREACHABLE
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0
it_expect_log hostb "job $IT_DJOB: rolled back: d0 RUNNING \(reset\)"

# 2. the destination SIGKILLed after COMMIT, while STOP -> RUNNING_P2P is in flight
it_start hosta
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the restarted source's device differs"
it_prepare hostb d1
it_migrate hosta hostb s0:d1 precopy=0
it_wait_phase hostb "$IT_DJOB" STARTING 15
it_expect_log hosta "job $IT_JOB: commit: the destination loaded every device"
kill -KILL "$(it_pid hostb)"
it_wait_job hosta "$IT_JOB" 15
it_expect phase FAILED
it_expect error_code PEER_UNREACHABLE
it_has "$IT_OUT" "error_message=past COMMIT, the link to .* was lost \(.*\) (after the destination acknowledged COMMIT|and whether the destination got COMMIT is not known); nothing was rolled back: the source devices stay stopped with their state"
it_expect device.0.state STOP
it_expect device.0.reset 0
it_device hosta s0 STOP 0
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source's state changed after a lost COMMIT"
it_expect_log hosta "audit: job=$IT_JOB role=source event=end .* outcome=FAILED .*error=PEER_UNREACHABLE"
# the orchestrator, told the destination died, starts the device here again: nothing was lost
it_ok hosta device-set-state id=s0 state=RUNNING
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source's state changed on restart"

# 3. as 2, and the source device cannot even leave STOP_COPY: no reset, ever
it_start hostb
before1=$(it_digest hosta s1)
it_prepare hostb d2
it_migrate hosta hostb s1:d2 precopy=0
it_wait_phase hostb "$IT_DJOB" STARTING 15
kill -KILL "$(it_pid hostb)"
it_wait_job hosta "$IT_JOB" 15
it_expect phase FAILED
it_has "$IT_OUT" "error_message=past COMMIT, .*; nothing was rolled back: .*; device s1 could not go to STOP and stays STOP_COPY"
it_expect device.0.reset 0
it_device hosta s1 STOP_COPY 0
[ "$(it_digest hosta s1)" = "$before1" ] || it_fail "the source's state changed after a failed stop"
it_expect_log hosta "device s1: left STOP_COPY \(a reset would discard its state\)"
it_pass
