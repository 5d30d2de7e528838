#!/bin/bash
# A daemon freezes (SIGSTOP) in the middle of a migration's data stream, on loopback: first
# the destination, then, in a second run, the source. The other side must notice within the
# keepalive bound ((3 + 1) x 1 s = 4 s; TCP_USER_TIMEOUT 3 s on the streams; this test allows
# twice that) and roll back. After SIGCONT the frozen daemon finds its link gone and rolls
# back too. Either way: the source device runs again with exactly its content (dirty rate
# 0), the destination device is reset and released, both jobs FAILED with a clear code.
. "$(dirname "$0")/lib.sh"
it_begin migrate_freeze

BOUND_MS=4000
TUNE=(--set peer.tcp_user_timeout=3s --set peer.tcp_keepalive_idle=1s
	--set peer.tcp_keepalive_interval=1s --set peer.tcp_keepalive_count=3)
it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=64M,seed=81'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=64M'
it_start hosta "${TUNE[@]}"
it_start hostb "${TUNE[@]}"
before=$(it_digest hosta s0)

# freeze WHO: WHO (hosta or hostb) is stopped 1 s into PRECOPY at 4 MiB/s.
freeze() {
	who=$1
	if [ "$who" = hostb ]; then other=hosta; else other=hostb; fi
	it_prepare hostb d0 expiry=60
	it_migrate hosta hostb s0:d0 bandwidth=4194304
	it_wait_phase hosta "$IT_JOB" PRECOPY 10
	it_wait_phase hostb "$IT_DJOB" PRECOPY 10
	sleep 1
	it_ok hostb job-status job="$IT_DJOB"
	[ "$(it_get device.0.bytes_sent)" -gt 0 ] || it_fail "nothing streamed before the freeze"
	if [ "$who" = hostb ]; then ojob=$IT_JOB fjob=$IT_DJOB; else ojob=$IT_DJOB fjob=$IT_JOB; fi
	t0=$(it_now_ms)
	kill -STOP "$(it_pid "$who")"
	it_log "$who frozen"

	it_wait_job "$other" "$ojob" 20
	ms=$(($(it_get finished_at_ms) - t0))
	it_expect phase FAILED
	it_expect error_code 'PEER_UNREACHABLE|TIMEOUT|INTEGRITY'
	it_log "$who frozen: $other failed after $ms ms ($(it_get error_code): $(it_get error_message))"
	[ "$ms" -le $((2 * BOUND_MS)) ] || it_fail "$other took $ms ms to notice"
	[ "$ms" -ge 2500 ] || it_fail "$other failed after $ms ms, before 3 keepalives could go"
	if [ "$other" = hosta ]; then
		it_device_free hosta s0 RUNNING
		[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"
	else
		it_expect device.0.reset 1
		it_device_free hostb d0 RUNNING
	fi

	t1=$(it_now_ms)
	kill -CONT "$(it_pid "$who")"
	it_wait_job "$who" "$fjob" 20
	ms=$(($(it_get finished_at_ms) - t1))
	it_expect phase FAILED
	it_expect error_code 'PEER_UNREACHABLE|TIMEOUT|INTEGRITY|CANCELLED'
	it_log "$who woke up: failed its job $((ms < 0 ? 0 : ms)) ms after SIGCONT ($(it_get error_code): $(it_get error_message))"
	[ "$ms" -le $((2 * BOUND_MS)) ] || it_fail "$who took $ms ms after SIGCONT"
	it_device_free hosta s0 RUNNING
	[ "$(it_digest hosta s0)" = "$before" ] || it_fail "the source content changed"
	it_ok hostb job-status job="$IT_DJOB"
	it_expect device.0.reset 1
	it_device_free hostb d0 RUNNING
	[ "$(it_digest hostb d0)" != "$before" ] || it_fail "the destination kept the state"
	it_alive hosta
	it_alive hostb
}

freeze hostb
freeze hosta
it_pass
