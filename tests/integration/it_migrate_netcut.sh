#!/bin/bash
# The network between two hosts is cut in the middle of a migration: two daemons, each in its
# own network namespace, joined only by a veth pair (10.231.77.1 <-> 10.231.77.2, addresses
# that exist inside these namespaces only). The link goes down once during PRECOPY and, in a
# second run, during STOP_COPY. Both sides must notice within the configured bounds
# (keepalive 1 s x 3: (3 + 1) x 1 s = 4 s; TCP_USER_TIMEOUT 3 s on the data streams), and
# this test allows twice that. Both jobs end FAILED with a clear code; the source device runs
# again with exactly the content it had (dirty rate 0: its digest is fixed), the destination
# device is reset and released. Skipped (77) where network namespaces cannot be made.
. "$(dirname "$0")/lib.sh"
it_begin migrate_netcut

NSA=vmig-$$-a NSB=vmig-$$-b ADDRA=10.231.77.1 ADDRB=10.231.77.2
BOUND_MS=4000
it_netns_pair "$NSA" "$NSB" "$ADDRA" "$ADDRB"

TUNE=(--set peer.tcp_user_timeout=3s --set peer.tcp_keepalive_idle=1s
	--set peer.tcp_keepalive_interval=1s --set peer.tcp_keepalive_count=3)
it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=64M,seed=71'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=64M'
it_listen_on hosta "$ADDRA"
it_listen_on hostb "$ADDRB"
it_start_in "$NSA" hosta "${TUNE[@]}"
it_start_in "$NSB" hostb "${TUNE[@]}"
portb=$(it_port_at hostb "$ADDRB")
[ -n "$portb" ] || it_fail "hostb does not listen on $ADDRB"
before=$(it_digest hosta s0)
# the only path between them is the veth pair
it_ok hosta peer-connect address="$ADDRB:$portb"
it_has "$IT_OUT" '^state=READY$'

# cut PHASE [MIGRATE ARGS...]: migrate at 4 MiB/s, cut the link once both jobs are in PHASE,
# check detection time and the rollback on both sides, then bring the link back.
cut() {
	phase=$1
	shift
	it_prepare hostb d0 expiry=60
	it_ok hosta migrate peer="$ADDRB:$portb" token="$IT_TOKEN" map=s0:d0 bandwidth=4194304 "$@"
	IT_JOB=$(it_get job_id)
	it_wait_phase hosta "$IT_JOB" "$phase" 15
	it_wait_phase hostb "$IT_DJOB" "$phase" 10
	sleep 1
	it_ok hosta job-status job="$IT_JOB"
	[ "$(it_get device.0.bytes_sent)" -gt 0 ] || it_fail "nothing streamed before the cut"
	t0=$(it_now_ms)
	ip -n "$NSB" link set vmb down || it_fail "cannot take the link down"
	it_log "$phase: link cut"

	it_wait_job hosta "$IT_JOB" 20
	src_ms=$(($(it_get finished_at_ms) - t0))
	it_expect phase FAILED
	it_expect error_code 'PEER_UNREACHABLE|TIMEOUT'
	src_err="$(it_get error_code): $(it_get error_message)"
	it_expect device.0.reset 0
	it_wait_job hostb "$IT_DJOB" 20
	dst_ms=$(($(it_get finished_at_ms) - t0))
	it_expect phase FAILED
	it_expect error_code 'PEER_UNREACHABLE|TIMEOUT|INTEGRITY'
	dst_err="$(it_get error_code): $(it_get error_message)"
	it_expect device.0.reset 1
	it_log "$phase: source failed after $src_ms ms ($src_err)"
	it_log "$phase: destination failed after $dst_ms ms ($dst_err)"
	[ "$src_ms" -le $((2 * BOUND_MS)) ] || it_fail "$phase: source took $src_ms ms"
	[ "$dst_ms" -le $((2 * BOUND_MS)) ] || it_fail "$phase: destination took $dst_ms ms"

	it_device_free hosta s0 RUNNING
	[ "$(it_digest hosta s0)" = "$before" ] || it_fail "$phase: the source content changed"
	it_device_free hostb d0 RUNNING
	[ "$(it_digest hostb d0)" != "$before" ] || it_fail "$phase: the destination kept the state"
	it_alive hosta
	it_alive hostb
	# the control links die by keepalive too (whichever noticed first failed the jobs)
	for host in hosta hostb; do
		for _ in $(seq 100); do
			it_ok "$host" peer-list
			printf '%s\n' "$IT_OUT" | grep -q '^peers=0$' && break
			sleep 0.1
		done
		it_has "$IT_OUT" '^peers=0$'
	done
	it_log "$phase: both control links closed $(($(it_now_ms) - t0)) ms after the cut"
	ip -n "$NSB" link set vmb up || it_fail "cannot bring the link back"
	for _ in $(seq 50); do
		it_ctl hosta peer-connect address="$ADDRB:$portb"
		[ "$IT_RC" -eq 0 ] && break
		sleep 0.2
	done
	it_has "$IT_OUT" '^state=READY$'
}

cut PRECOPY
cut STOP_COPY precopy=0

# the link is back: a migration goes through, so nothing was left half-done
it_prepare hostb d0 expiry=60
it_ok hosta migrate peer="$ADDRB:$portb" token="$IT_TOKEN" map=s0:d0
IT_JOB=$(it_get job_id)
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
[ "$(it_digest hostb d0)" = "$before" ] || it_fail "the destination content differs"
it_pass
