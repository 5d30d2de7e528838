#!/bin/bash
# The README's main job, smaller: tests/demo/cross-host-demo.sh must print a verified migration
# (two daemons as two hosts, every step through vfio-migctl, digests compared).
. "$(dirname "$0")/lib.sh"
it_begin demo

# demo_daemons: pids of this build's daemons started by a demo (the demo's folder in their
# command line), so that a daemon the demo leaves behind is seen
demo_daemons() {
	ps -eo pid=,args= | awk -v m="$BUILDDIR/daemon/vfio-migd -c /tmp/vfio-migd-demo." \
		'{ pid = $1; sub(/^ *[0-9]+ /, "") } index($0, m) == 1 { print pid }' | sort
}
before=$(demo_daemons)
out=$(DEMO_SIZES="24M 16M" DEMO_DIRTY="4M 2M" "$SRCDIR/tests/demo/cross-host-demo.sh" "$BUILDDIR" 2>&1)
rc=$?
printf '%s\n' "$out" >"$IT_DIR/demo.log"
left=$(comm -13 <(printf '%s\n' "$before") <(demo_daemons) | grep . | tr '\n' ' ')
if [ -n "$left" ]; then
	# shellcheck disable=SC2086 # one word per pid
	kill -TERM $left 2>/dev/null
	it_fail "the demo left its daemons running (pids $left)"
fi
[ "$rc" -eq 0 ] || it_fail "the demo failed (exit $rc): $out"
it_has "$out" 'job 1 COMPLETED: elapsed .*downtime [0-9]+ ms, throughput'
it_has "$out" 'vm1-gpu0 -> slot0: [0-9a-f]{64}  MATCH'
it_has "$out" 'vm1-gpu1 -> slot1: [0-9a-f]{64}  MATCH'
it_has "$out" '^VERIFIED: 2 devices migrated hosta -> hostb'
it_pass
