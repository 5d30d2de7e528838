#!/bin/bash
# The daemon's limits on migrations: the host-wide bandwidth cap ([limits] bandwidth, shared
# by every stream) slows a job, and a SIGHUP lifting it speeds the running job up; the job
# limit ([limits] max_jobs) refuses a second job while the first runs.
. "$(dirname "$0")/lib.sh"
it_begin migrate_limits

devs_a=('[device "s0"]' 'backend = sim' 'spec = size=8M,seed=61' \
	'[device "s1"]' 'backend = sim' 'spec = size=64K')
it_config hosta hosta "${devs_a[@]}" '[limits]' 'bandwidth = 512K' 'max_jobs = 1'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=8M' \
	'[device "d1"]' 'backend = sim' 'spec = size=64K'
it_start hosta
it_start hostb

it_prepare hostb d0
it_migrate hosta hostb s0:d0
it_wait_phase hosta "$IT_JOB" PRECOPY 10
# unlimited, 8 MiB move in a fraction of a second; at 512 KiB/s the job is still at it
sleep 1
it_ok hosta job-status job="$IT_JOB"
it_expect phase PRECOPY
sent=$(it_get device.0.bytes_sent)
[ "$sent" -le 2097152 ] || it_fail "$sent bytes sent in about 1 s under a 512 KiB/s cap"

# one job at a time on hosta
it_prepare hostb d1
it_err hosta RESOURCE_EXHAUSTED migrate peer=127.0.0.1:"$(it_port hostb)" token="$IT_TOKEN" map=s1:d1
it_has "$IT_OUT" 'max_jobs'
it_ok hostb job-cancel job="$IT_DJOB"

# lifting the host cap applies to the running job: under the cap the 4 MiB or more still to
# send need 8 s at least; a wait already begun for one 1 MiB frame (2 s at most) still runs
# out, then the rest moves at once: done within 6 s (room for a loaded machine) is faster
# than the cap allows
it_ok hosta job-status job="$IT_JOB"
sent=$(it_get device.0.bytes_sent)
[ "$sent" -le 4194304 ] || it_fail "$sent bytes sent before the reload under a 512 KiB/s cap"
it_config hosta hosta "${devs_a[@]}" '[limits]' 'bandwidth = unlimited' 'max_jobs = 1'
kill -HUP "$(it_pid hosta)"
it_expect_log hosta 'reload: configuration applied'
it_wait_job hosta "$IT_JOB" 6
it_expect phase COMPLETED
it_pass
