#!/bin/bash
# A corrupted device stream (the sim fault corrupt_at flips one byte of the source device's
# save stream as the device produces it) is caught on the destination, which answers
# LOAD_FAILED: both sides roll back, the source device runs again with its content, the
# destination device is reset, and the error names the device on both sides. The stream's
# SHA-256 covers the bytes as the source read them, so this corruption passes END and is the
# driver's to find at RESUMING -> STOP (DEVICE_FAILED); corruption on the way (INTEGRITY) is
# the stream tests' subject. The same pair then migrates cleanly.
. "$(dirname "$0")/lib.sh"
it_begin migrate_corrupt

it_config hosta hosta \
	'[device "s0"]' 'backend = sim' 'spec = size=1M,seed=41,corrupt_at=300000' \
	'[device "s1"]' 'backend = sim' 'spec = size=1M,seed=42' \
	'[device "s2"]' 'backend = sim' 'spec = size=1M,seed=43'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=1M' \
	'[device "d2"]' 'backend = sim' 'spec = size=1M,fail_arc=STOP>RUNNING_P2P'
it_start hosta
it_start hostb
before=$(it_digest hosta s0)

it_prepare hostb d0
it_migrate hosta hostb s0:d0
it_wait_job hostb "$IT_DJOB" 20
it_expect phase FAILED
it_expect error_code DEVICE_FAILED
code=DEVICE_FAILED
it_expect error_device d0
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0
it_expect_log hostb "job $IT_DJOB: failed: $code: device d0 rejected the migrated state \(RESUMING -> STOP\)"
it_expect_log hostb "job $IT_DJOB: rolled back: d0 RUNNING \(reset\)"

it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code "$code"
it_expect error_device s0
it_has "$IT_OUT" "error_message=the destination could not load device s0 \(its d0\): "
it_expect device.0.reset 0
it_device hosta s0 RUNNING 0
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"

# the destination device is usable again
it_prepare hostb d0
it_migrate hosta hostb s1:d0
it_wait_job hosta "$IT_JOB" 20
it_expect phase COMPLETED
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
[ "$(it_digest hosta s1)" = "$(it_digest hostb d0)" ] || it_fail "s1 and d0 differ"

# past COMMIT nothing is rolled back: a destination device that will not start leaves both
# copies stopped, the source is told, and its orchestrator may restart its own copy
it_prepare hostb d2
it_migrate hosta hostb s2:d2
it_wait_job hostb "$IT_DJOB" 20
it_expect phase FAILED
it_expect error_code DEVICE_FAILED
it_has "$IT_OUT" 'error_message=device d2 could not start after COMMIT: .*the devices here stay stopped with the migrated state'
it_expect device.0.reset 0
it_device hostb d2 STOP 0
it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code DEVICE_FAILED
it_has "$IT_OUT" 'error_message=past COMMIT, the destination failed \(device d2 could not start.*; nothing was rolled back: the source devices stay stopped with their state'
it_device hosta s2 STOP 0
it_ok hosta device-set-state id=s2 state=running
it_expect state RUNNING
it_pass
