#!/bin/bash
# Several devices in one job, and devices without pre-copy: a job moving a pre-copy device
# that dirties its state together with a STOP_COPY-only device (one data stream each, the
# second streaming only after the switchover), the same devices back again in two jobs at
# once, a job with pre-copy switched off, and a job that cannot converge by itself. Every
# destination device must hold what its source held when it stopped.
. "$(dirname "$0")/lib.sh"
it_begin migrate_multi

it_config hosta hosta \
	'[device "a0"]' 'backend = sim' 'spec = size=2M,dirty_rate=512K,seed=3' \
	'[device "a1"]' 'backend = sim' 'spec = size=1M,flags=stop_copy,seed=4' \
	'[device "a2"]' 'backend = sim' 'spec = size=1M,seed=5' \
	'[device "a3"]' 'backend = sim' 'spec = size=1M,seed=6' \
	'[device "a4"]' 'backend = sim' 'spec = size=4M,flags=stop_copy,seed=7'
it_config hostb hostb \
	'[device "b0"]' 'backend = sim' 'spec = size=2M' \
	'[device "b1"]' 'backend = sim' 'spec = size=1M,flags=stop_copy' \
	'[device "b2"]' 'backend = sim' 'spec = size=1M' \
	'[device "b3"]' 'backend = sim' 'spec = size=1M' \
	'[device "b4"]' 'backend = sim' 'spec = size=4M,flags=stop_copy'
it_start hosta
it_start hostb

# the destination lists its targets in another order than the source's map: PREPARE's order
# (the stream index) wins
it_prepare hostb b1,b0
it_migrate hosta hostb a0:b0,a1:b1
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_expect devices 2
it_expect device.0.source_id a0
it_expect device.1.source_id a1
it_expect device.1.target_id b1
[ "$(it_get device.1.bytes_sent)" -ge 1048576 ] || it_fail "a1 sent too little: $IT_OUT"
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
it_expect device.0.target_id b0
it_expect device.1.target_id b1
for pair in a0:b0 a1:b1; do
	s=${pair%:*} d=${pair#*:}
	[ "$(it_digest hosta "$s")" = "$(it_digest hostb "$d")" ] || it_fail "$s and $d differ"
	it_device hosta "$s" STOP 0
	it_device hostb "$d" RUNNING 0
done
it_expect_log hosta "job $IT_JOB: 2 data stream\(s\) connected; 1 device\(s\) pre-copying"
it_expect_log hosta "job $IT_JOB: device a1: RUNNING -> STOP_COPY"

# two jobs at once over the one control link (capped so that they overlap)
it_prepare hostb b0
t0=$IT_TOKEN d0job=$IT_DJOB
it_prepare hostb b1
t1=$IT_TOKEN d1job=$IT_DJOB
IT_TOKEN=$t0
it_ok hosta device-set-state id=a0 state=running
it_ok hosta device-set-state id=a1 state=running
it_migrate hosta hostb a0:b0 bandwidth=4194304
j0=$IT_JOB
IT_TOKEN=$t1
it_migrate hosta hostb a1:b1 bandwidth=4194304
j1=$IT_JOB
it_wait_phase hosta "$j0" 'PRECOPY|STOP_COPY' 10
it_ok hosta info
it_expect active_jobs 2
# one control link carries both (connections still in HELLO are data streams arriving)
it_ok hostb peer-list
[ "$(printf '%s\n' "$IT_OUT" | grep -c 'state=READY$')" -eq 1 ] ||
	it_fail "more than one control link: $IT_OUT"
for j in "$j0" "$j1"; do
	it_wait_job hosta "$j" 30
	it_expect phase COMPLETED
done
it_wait_job hostb "$d0job" 10
it_expect phase COMPLETED
it_wait_job hostb "$d1job" 10
it_expect phase COMPLETED
for pair in a0:b0 a1:b1; do
	s=${pair%:*} d=${pair#*:}
	[ "$(it_digest hosta "$s")" = "$(it_digest hostb "$d")" ] || it_fail "$s and $d differ"
done

# pre-copy off: straight to the switchover, every device stop-copy only
it_prepare hostb b2
it_migrate hosta hostb a2:b2 precopy=0
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_expect precopy_iterations 0
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
[ "$(it_digest hosta a2)" = "$(it_digest hostb b2)" ] || it_fail "a2 and b2 differ"
it_expect_log hosta "job $IT_JOB: 1 data stream\(s\) connected; 0 device\(s\) pre-copying"
it_expect_log hosta "job $IT_JOB: migration to .*; pre-copy off, switchover auto"

# a device without pre-copy that alone needs more than the downtime limit: the job says it
# cannot converge by itself, keeps pre-copying, and switches over when asked
it_prepare hostb b3,b4
it_migrate hosta hostb a3:b3,a4:b4 downtime=1
it_expect_log hosta "job $IT_JOB: the downtime limit \(1 ms\) cannot be met: the devices without pre-copy alone need about [0-9]+ ms"
it_ok hosta job-status job="$IT_JOB"
it_expect phase PRECOPY
it_ok hosta job-switchover job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_wait_job hostb "$IT_DJOB" 10
for pair in a3:b3 a4:b4; do
	s=${pair%:*} d=${pair#*:}
	[ "$(it_digest hosta "$s")" = "$(it_digest hostb "$d")" ] || it_fail "$s and $d differ"
done
it_pass
