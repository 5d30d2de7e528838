#!/bin/bash
# The destination bounds a job from PREPARE to COMMIT, so a source that goes silent while its
# link stays up (keepalives answered) cannot hold the target devices forever:
#  - by the source's time left, sent in PREPARE (plus a 5 s grace): peerprobe plays a source
#    that sends PREPARE with 1.5 s left and then only answers PINGs;
#  - by [limits] dest_timeout: a real source whose orchestrator never switches over
#    (switchover manual, no job timeout); the destination's ABORT rolls the source back too;
#  - never after COMMIT: a destination waiting for a manual resume outlives its bound.
# Each time: FAILED with TIMEOUT naming the bound, device reset and released, source intact.
. "$(dirname "$0")/lib.sh"
it_begin migrate_desttimeout

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=1M,seed=61'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=1M' \
	'[limits]' 'dest_timeout = 30s'
it_start hosta
it_start hostb
it_ok hostb device-info id=d0
model=$(it_get model)

# 1. the source's time left: 1.5 s + 5 s grace, then ABORT to the (silent) source
it_prepare hostb d0 expiry=60
t0=$(date +%s%N)
"$PEERPROBE" 127.0.0.1 "$(it_port hostb)" "$IT_DIR/pki/ca.crt" "$IT_DIR/pki/hosta.crt" \
	"$IT_DIR/pki/hosta.key" dns:hostb.test hello expect-hello \
	"prepare=$IT_TOKEN,d0,1500,$model" expect-abort=30 >"$IT_DIR/probe.txt" 2>&1 ||
	it_fail "peerprobe: $(cat "$IT_DIR/probe.txt")"
ms=$((($(date +%s%N) - t0) / 1000000))
it_log "source-bound timeout detected after $ms ms (bound 6500 ms)"
grep -q 'event=prepare-reply dest_job=[1-9].* code=OK' "$IT_DIR/probe.txt" ||
	it_fail "PREPARE not accepted: $(cat "$IT_DIR/probe.txt")"
grep -q 'event=abort code=TIMEOUT reason=no COMMIT from the source' "$IT_DIR/probe.txt" ||
	it_fail "no TIMEOUT abort: $(cat "$IT_DIR/probe.txt")"
[ "$ms" -ge 6000 ] && [ "$ms" -le 13000 ] || it_fail "timeout after $ms ms, bound 6500 ms"
it_wait_job hostb "$IT_DJOB" 5
it_expect phase FAILED
it_expect error_code TIMEOUT
it_has "$IT_OUT" "error_message=no COMMIT from the source dns:hosta.test within 6500 ms of its PREPARE \(phase PREPARING; bound: the source's job timeout\)"
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0

# 2. [limits] dest_timeout (4 s here) with a real source stuck in SWITCHOVER_PENDING
pid=$(it_pid hostb)
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
mv "$IT_DIR/hostb.log" "$IT_DIR/hostb-1.log"
it_start hostb --set limits.dest_timeout=4s
before=$(it_digest hosta s0)
it_prepare hostb d0 expiry=60
it_migrate hosta hostb s0:d0 switchover=manual
it_wait_phase hosta "$IT_JOB" SWITCHOVER_PENDING 10
t0=$(date +%s%N)
it_wait_job hostb "$IT_DJOB" 15
ms=$((($(date +%s%N) - t0) / 1000000))
it_log "dest_timeout detected ${ms} ms after the source reached SWITCHOVER_PENDING (bound 4000 ms from PREPARE)"
it_expect phase FAILED
it_expect error_code TIMEOUT
it_has "$IT_OUT" "error_message=no COMMIT from the source dns:hosta.test within 4000 ms of its PREPARE \(phase PRECOPY; bound: \[limits\] dest_timeout\)"
it_expect device.0.reset 1
it_device hostb d0 RUNNING 0
[ "$ms" -le 8000 ] || it_fail "dest_timeout took $ms ms"
it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code TIMEOUT
it_has "$IT_OUT" 'error_message=.*no COMMIT from the source'
it_expect device.0.reset 0
it_device hosta s0 RUNNING 0
[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"

# 3. after COMMIT the bound no longer applies: resume manual, wait past it, then resume
it_prepare hostb d0 expiry=60
it_migrate hosta hostb s0:d0 resume=manual timeout=60
it_wait_phase hostb "$IT_DJOB" RESUME_PENDING 10
sleep 5
it_ok hostb job-status job="$IT_DJOB"
it_expect phase RESUME_PENDING
it_device hostb d0 STOP "$IT_DJOB"
it_ok hostb job-resume job="$IT_DJOB"
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
it_device hostb d0 RUNNING 0
[ "$(it_digest hostb d0)" = "$before" ] || it_fail "the destination content differs"
it_alive hosta
it_alive hostb
it_pass
