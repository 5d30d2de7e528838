#!/bin/bash
# Failures that nobody asks for: the job's own timeout, and either daemon dying in the middle
# of pre-copy (SIGKILL: its links and streams drop). The survivor fails its job and rolls
# back: a source device runs again with its content, a destination device is reset.
. "$(dirname "$0")/lib.sh"
it_begin migrate_linkloss

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=8M,seed=51'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=8M'
it_start hosta
it_start hostb
before=$(it_digest hosta s0)

# the job timeout passes in PRECOPY (1 MiB/s for 8 MiB): both sides roll back
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576 timeout=1
it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code TIMEOUT
it_has "$IT_OUT" 'error_message=the job timeout \(1000 ms\) passed in phase PRECOPY'
it_device hosta s0 RUNNING 0
it_wait_job hostb "$IT_DJOB" 10
it_expect phase FAILED
it_expect error_code TIMEOUT
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0

# the destination dies in PRECOPY
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576
it_wait_phase hosta "$IT_JOB" PRECOPY 10
kill -KILL "$(it_pid hostb)"
it_wait_job hosta "$IT_JOB" 15
it_expect phase FAILED
it_expect error_code PEER_UNREACHABLE
it_expect device.0.reset 0
it_device hosta s0 RUNNING 0
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"

# the source dies in PRECOPY (the destination restarted first)
it_start hostb
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576
it_wait_phase hostb "$IT_DJOB" PRECOPY 10
kill -KILL "$(it_pid hosta)"
it_wait_job hostb "$IT_DJOB" 15
it_expect phase FAILED
# whichever the destination notices first: the control link or the data stream cut short
it_expect error_code 'PEER_UNREACHABLE|INTEGRITY'
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0
it_alive hostb
it_pass
