#!/bin/bash
# What a job's status reports, checked against what the devices did:
#  - bytes remaining comes from the device: PRECOPY_INFO while pre-copying, MIG_DATA_SIZE
#    minus what moved in stop-copy (sim devices have both; dirty rate 0, so what was sent plus
#    what remains is the device's stream size: its content plus per-page headers, under 1 %
#    more, less at most the one 1 MiB chunk read but not yet sent);
#  - the measured downtime of a completed job: a stop-copy held to 2 MiB/s for a 4 MiB
#    device cannot take less than ~2 s, and the downtime must show it on both sides;
#  - finished jobs stay queryable for [limits] finished_job_ttl (3 s here), then are gone.
. "$(dirname "$0")/lib.sh"
it_begin migrate_status

SIZE=8388608 MIB=1048576
it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=8M,seed=91' \
	'[device "s1"]' 'backend = sim' 'spec = size=4M,seed=92'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=8M' \
	'[device "d1"]' 'backend = sim' 'spec = size=4M'
it_start hosta
it_start hostb --set limits.finished_job_ttl=3s

# sent + remaining: the device's stream size, within one chunk; remaining not 0
check_remaining() {
	sent=$(it_get device.0.bytes_sent)
	left=$(it_get device.0.bytes_remaining)
	sum=$((sent + left))
	it_log "$1: sent $sent, remaining $left"
	[ "$left" -gt 0 ] && [ "$left" -lt "$SIZE" ] || it_fail "$1: remaining $left: $IT_OUT"
	[ "$sum" -ge $((SIZE - MIB)) ] && [ "$sum" -le $((SIZE + SIZE / 100)) ] ||
		it_fail "$1: sent $sent + remaining $left is not the stream size of $SIZE bytes"
}

# PRECOPY at 1 MiB/s: PRECOPY_INFO (initial + dirty bytes)
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576
it_wait_phase hosta "$IT_JOB" PRECOPY 10
sleep 2.5
it_ok hosta job-status job="$IT_JOB"
it_expect device.0.state PRE_COPY
check_remaining PRECOPY
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10

# STOP_COPY at 1 MiB/s: MIG_DATA_SIZE minus what moved since the device stopped
it_prepare hostb d0
it_migrate hosta hostb s0:d0 bandwidth=1048576 precopy=0
it_wait_phase hosta "$IT_JOB" STOP_COPY 10
sleep 2.5
it_ok hosta job-status job="$IT_JOB"
it_expect device.0.state STOP_COPY
check_remaining STOP_COPY
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_wait_job hostb "$IT_DJOB" 10

# downtime: a 4 MiB stop-copy at 2 MiB/s
it_prepare hostb d1
it_migrate hosta hostb s1:d1 bandwidth=2097152 precopy=0
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
src_dt=$(it_get downtime_ms)
elapsed=$(it_get elapsed_ms)
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
dst_dt=$(it_get downtime_ms)
it_log "downtime: source $src_dt ms, destination $dst_dt ms (job $elapsed ms)"
[ "$src_dt" -ge 1500 ] && [ "$src_dt" -le "$elapsed" ] || it_fail "source downtime $src_dt ms"
[ "$dst_dt" -ge 1500 ] && [ "$dst_dt" -le 30000 ] || it_fail "destination downtime $dst_dt ms"
it_device hostb d1 RUNNING 0

# the finished destination job stays for the TTL, then is gone
it_ok hostb job-status job="$IT_DJOB"
sleep 4
it_err hostb NOT_FOUND job-status job="$IT_DJOB"
it_has "$IT_OUT" "finished more than 3000 ms ago"
it_ok hostb job-list
it_expect jobs 0
# the source's TTL is the default (10 min): its job is still there
it_ok hosta job-status job="$IT_JOB"
it_expect phase COMPLETED
it_pass
