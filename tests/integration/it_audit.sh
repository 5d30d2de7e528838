#!/bin/bash
# The audit trail: every migration's start, switchover, commit, cancel and outcome is one
# "audit:" line of key=value fields on each daemon, naming who asked (the control client's
# credentials), the peer and its TLS identity, the devices, and at the end the outcome, the
# bytes, the downtime and the error. Checked for a completed, a cancelled and a failed
# migration, on both sides.
. "$(dirname "$0")/lib.sh"
it_begin audit

it_config hosta hosta \
	'[device "s0"]' 'backend = sim' 'spec = size=2M,seed=3' \
	'[device "s1"]' 'backend = sim' 'spec = size=8M,seed=4' \
	'[device "s2"]' 'backend = sim' 'spec = size=1M,seed=5,corrupt_at=300000'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=2M' \
	'[device "d1"]' 'backend = sim' 'spec = size=8M' '[device "d2"]' 'backend = sim' 'spec = size=1M'
it_start hosta
it_start hostb
by='by="pid=[0-9]+ uid=[0-9]+( gid=[0-9]+)?"'

# completed
it_prepare hostb d0
it_expect_log hostb "audit: job=$IT_DJOB role=destination event=prepare $by peer=dns:hosta.test identity=dns:hosta.test devices=d0\$"
it_migrate hosta hostb s0:d0 downtime=300
it_wait_job hosta "$IT_JOB" 20
sent=$(it_get device.0.bytes_sent)
down=$(it_get downtime_ms)
it_expect_log hosta "audit: job=$IT_JOB role=source event=start $by peer=127\.0\.0\.1:[0-9]+ identity=- devices=s0->d0\$"
it_expect_log hosta "audit: job=$IT_JOB role=source event=switchover $by peer=127\.0\.0\.1:[0-9]+ identity=dns:hostb\.test devices=s0->d0\$"
it_expect_log hosta "audit: job=$IT_JOB role=source event=commit $by .*devices=s0->d0\$"
it_expect_log hosta "audit: job=$IT_JOB role=source event=end $by peer=127\.0\.0\.1:[0-9]+ identity=dns:hostb\.test devices=s0->d0 outcome=COMPLETED bytes=$sent elapsed_ms=[0-9]+ downtime_ms=$down error=OK\$"
it_wait_job hostb "$IT_DJOB" 10
it_expect_log hostb "audit: job=$IT_DJOB role=destination event=commit .*devices=s0->d0\$"
it_expect_log hostb "audit: job=$IT_DJOB role=destination event=end .* outcome=COMPLETED bytes=$sent elapsed_ms=[0-9]+ downtime_ms=[0-9]+ error=OK\$"

# cancelled (on the source, in pre-copy): who cancelled, and the outcome on both sides
it_prepare hostb d1
it_migrate hosta hostb s1:d1 bandwidth=1048576
it_wait_phase hosta "$IT_JOB" PRECOPY 10
it_ok hosta job-cancel job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 10
it_expect_log hosta "audit: job=$IT_JOB role=source event=cancel $by .*devices=s1->d1\$"
it_expect_log hosta "audit: job=$IT_JOB role=source event=end .* outcome=CANCELLED bytes=[0-9]+ elapsed_ms=[0-9]+ downtime_ms=0 error=CANCELLED message=\"cancelled by pid=[0-9]+ uid=[0-9]+ in phase PRECOPY\"\$"
it_wait_job hostb "$IT_DJOB" 10
it_expect_log hostb "audit: job=$IT_DJOB role=destination event=end .*devices=s1->d1 outcome=CANCELLED .*error=CANCELLED message=\"the source aborted the migration: cancelled by"
grep -q "audit: job=$IT_JOB role=source event=commit" "$IT_DIR/hosta.log" &&
	it_fail "a cancelled job has a commit audit line"

# failed (the destination driver rejects the stream)
it_prepare hostb d2
it_migrate hosta hostb s2:d2
it_wait_job hosta "$IT_JOB" 20
it_expect phase FAILED
it_expect_log hosta "audit: job=$IT_JOB role=source event=end .*devices=s2->d2 outcome=FAILED .*error=DEVICE_FAILED message=\"the destination could not load device s2 \(its d2\): "
it_wait_job hostb "$IT_DJOB" 10
it_expect_log hostb "audit: job=$IT_DJOB role=destination event=end .*outcome=FAILED .*error=DEVICE_FAILED message=\"device d2 rejected the migrated state"
it_pass
