#!/bin/bash
# Manual switchover and manual resume: the source converges and waits in SWITCHOVER_PENDING
# (still pre-copying) until its orchestrator switches over; the destination loads, commits
# and waits in RESUME_PENDING (devices stopped, holding the state) until its orchestrator
# resumes. Operations asked of the wrong side or past COMMIT are refused clearly.
. "$(dirname "$0")/lib.sh"
it_begin migrate_manual

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=2M,dirty_rate=256K,seed=11'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=2M'
it_start hosta
it_start hostb

it_prepare hostb d0
it_migrate hosta hostb s0:d0 switchover=manual resume=manual
it_wait_phase hosta "$IT_JOB" SWITCHOVER_PENDING 15
it_expect switchover MANUAL
it_expect resume MANUAL
sleep 0.5
it_ok hosta job-status job="$IT_JOB"
it_expect phase SWITCHOVER_PENDING
it_expect device.0.state PRE_COPY
it_wait_phase hostb "$IT_DJOB" PRECOPY 5

# the wrong side, the wrong phase
it_err hosta INVALID_ARGUMENT job-resume job="$IT_JOB"
it_has "$IT_OUT" 'resume is asked of the destination job'
it_err hostb INVALID_ARGUMENT job-switchover job="$IT_DJOB"
it_has "$IT_OUT" 'switchover is asked of the source job'
it_err hostb INVALID_ARGUMENT job-resume job="$IT_DJOB"
it_has "$IT_OUT" 'resume is for RESUME_PENDING'

it_ok hosta job-switchover job="$IT_JOB"
it_expect_log hosta "job $IT_JOB: switchover requested by pid=[0-9]+ uid=[0-9]+"
it_expect_log hosta "job $IT_JOB: switchover \(requested\): stopping 1 device"
# the source completes on COMMIT_ACK: the destination owns the devices from COMMIT on
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_expect device.0.state STOP
it_wait_phase hostb "$IT_DJOB" RESUME_PENDING 5
it_device hostb d0 STOP "$IT_DJOB"
it_err hostb INVALID_ARGUMENT job-cancel job="$IT_DJOB"
it_has "$IT_OUT" 'past COMMIT'

sleep 0.5
it_ok hostb job-resume job="$IT_DJOB"
it_expect_log hostb "job $IT_DJOB: resume requested by pid=[0-9]+ uid=[0-9]+"
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
it_expect device.0.state RUNNING
[ "$(it_get downtime_ms)" -ge 500 ] || it_fail "downtime $(it_get downtime_ms) ms: the wait for resume is downtime"
it_device hostb d0 RUNNING 0
it_device hosta s0 STOP 0
# the device content is shown once no job holds the device (no race with a stream)
da=$(it_digest hosta s0)
db=$(it_digest hostb d0)
[ -n "$da" ] && [ "$da" = "$db" ] || it_fail "the loaded state differs: '$da' '$db'"
it_expect_log hosta "job $IT_JOB: COMMIT acknowledged; the destination waits for a manual resume"
it_pass
