#!/bin/bash
# The README's main job, smaller: tests/demo/cross-host-demo.sh must print a verified migration
# (two daemons as two hosts, every step through vfio-migctl, digests compared).
. "$(dirname "$0")/lib.sh"
it_begin demo
out=$(DEMO_SIZES="24M 16M" DEMO_DIRTY="4M 2M" "$SRCDIR/tests/demo/cross-host-demo.sh" "$BUILDDIR" 2>&1)
rc=$?
printf '%s\n' "$out" >"$IT_DIR/demo.log"
[ "$rc" -eq 0 ] || it_fail "the demo failed (exit $rc): $out"
it_has "$out" 'job 1 COMPLETED: elapsed .*downtime [0-9]+ ms, throughput'
it_has "$out" 'vm1-gpu0 -> slot0: [0-9a-f]{64}  MATCH'
it_has "$out" 'vm1-gpu1 -> slot1: [0-9a-f]{64}  MATCH'
it_has "$out" '^VERIFIED: 2 devices migrated hosta -> hostb'
it_pass
