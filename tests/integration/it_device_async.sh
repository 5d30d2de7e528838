#!/bin/bash
# Device operations asked for on the control socket run off the event loop (issue #4: the
# loop never blocks): a manual state change whose driver takes 4 s (sim slow_arc_ms), a
# large device being added, a remove and the content digest. While a change runs the control
# socket answers at once, the device shows as free but every operation that would race it is
# refused with BUSY (remove, another change, a job that wants it) and says why; an add holds
# its id until it is registered; a client that leaves mid-change loses only the reply; a
# daemon stopped mid-change waits for it and exits cleanly.
. "$(dirname "$0")/lib.sh"
it_begin device_async

ARC_MS=4000
it_config hosta hosta \
	'[device "a0"]' 'backend = sim' "spec = size=2M,flags=stop_copy,seed=5,slow_arc_ms=$ARC_MS,slow_arc=RUNNING>STOP" \
	'[device "a1"]' 'backend = sim' 'spec = size=1M'
it_start hosta

# slow_change [TIMEOUT_S]: a0 RUNNING -> STOP in the background, once the sim is in its slow
# walk; output in $IT_DIR/change.out, the exit status in $IT_DIR/change.rc once it returned
slow_change() {
	rm -f "$IT_DIR/change.rc"
	n=$(grep -c 'sim a0: the walk to STOP takes' "$IT_DIR/hosta.log")
	("$CTLPROBE" -t "${1:-30}" "$IT_DIR/hosta.sock" device-set-state id=a0 state=stop \
		>"$IT_DIR/change.out" 2>&1
	echo $? >"$IT_DIR/change.rc") &
	end=$(($(date +%s) + 5))
	while [ "$(grep -c 'sim a0: the walk to STOP takes' "$IT_DIR/hosta.log")" -le "$n" ]; do
		[ "$(date +%s)" -le "$end" ] || it_fail "a0 never started its slow walk to STOP"
		sleep 0.02
	done
}

# wait_change SECONDS: waits for the background change to return; its output in $IT_OUT
wait_change() {
	end=$(($(date +%s) + $1))
	while [ ! -f "$IT_DIR/change.rc" ] && [ "$(date +%s)" -le "$end" ]; do sleep 0.05; done
	[ -f "$IT_DIR/change.rc" ] || it_fail "the device change never returned"
	IT_OUT=$(cat "$IT_DIR/change.out")
	IT_RC=$(cat "$IT_DIR/change.rc")
}

# big_add_start HOST: adds a 768 MiB sim device "big" in the background, once its add runs
big_add_start() {
	rm -f "$IT_DIR/add.rc"
	("$CTLPROBE" "$IT_DIR/$1.sock" device-add id=big sim=size=768M,seed=9 >"$IT_DIR/add.out" 2>&1
	echo $? >"$IT_DIR/add.rc") &
	it_expect_log "$1" 'request [0-9]+ device_add: runs in a worker' 5
}

# big_add_wait HOST: waits for that add to answer OK; big is then RUNNING and free
big_add_wait() {
	end=$(($(date +%s) + 30))
	while [ ! -f "$IT_DIR/add.rc" ] && [ "$(date +%s)" -le "$end" ]; do sleep 0.05; done
	[ "$(cat "$IT_DIR/add.rc" 2>/dev/null)" = 0 ] || it_fail "$1: adding big failed: $(cat "$IT_DIR/add.out")"
	it_device_free "$1" big RUNNING
}

before=$(it_digest hosta a0)

# ---- a slow manual change: the loop keeps answering, the device is out of reach ----
start_ms=$(it_now_ms)
slow_change
worst=0
for op in info device-list "device-info id=a1" "device-info id=a0"; do
	# shellcheck disable=SC2086
	it_round_trip hosta $op
	rtt=$(cat "$IT_DIR/rtt")
	[ "$rtt" -gt "$worst" ] && worst=$rtt
done
it_log "control round trips during a $ARC_MS ms manual change: the slowest $worst ms"
[ "$worst" -lt 500 ] || it_fail "a round trip took $worst ms: the loop waited for the arc"
[ -f "$IT_DIR/change.rc" ] && it_fail "the change returned before its slow arc ended: $(cat "$IT_DIR/change.out")"
# a0 is held: no digest, no second change, no remove, no job
it_ok hosta device-info id=a0
it_expect owner_job 0
it_expect state RUNNING
printf '%s\n' "$IT_OUT" | grep -q '^digest=' && it_fail "a digest of a device in motion: $IT_OUT"
it_err hosta BUSY device-set-state id=a0 state=running
it_has "$IT_OUT" 'busy with a device operation asked for on the control socket'
it_err hosta BUSY device-remove id=a0
it_has "$IT_OUT" 'try again when it has finished'
it_err hosta BUSY prepare source=dns:hostb.test devices=a0
it_has "$IT_OUT" "device 'a0' belongs to a device operation asked for on the control socket"
# the other device is not affected
it_ok hosta device-set-state id=a1 state=stop
it_ok hosta device-set-state id=a1 state=running

wait_change 10
took=$(($(it_now_ms) - start_ms))
[ "$IT_RC" -eq 0 ] || it_fail "the slow change failed: $IT_OUT"
it_expect state STOP
it_log "the manual change answered after $took ms"
[ "$took" -ge "$ARC_MS" ] || it_fail "the change answered after $took ms, before its arc ended"
it_device_free hosta a0 STOP
it_expect_log hosta "device a0: RUNNING -> STOP\$"
[ "$(it_digest hosta a0)" = "$before" ] || it_fail "a0's content changed"
it_ok hosta device-set-state id=a0 state=running

# ---- a client that leaves mid-change: the change completes, the device is released ----
slow_change 1
wait_change 10
[ "$IT_RC" -ne 0 ] || it_fail "a 1 s client timeout did not fire during a $ARC_MS ms change"
it_expect_log hosta 'the reply to request [0-9]+ device_set_state is dropped: its client has gone' 5
it_device_free hosta a0 STOP
it_ok hosta device-set-state id=a0 state=running

# ---- add: the id is taken while the device opens; remove ----
big_add_start hosta
it_err hosta ALREADY_EXISTS device-add id=big sim=size=1M
it_has "$IT_OUT" 'device id big is already in use'
big_add_wait hosta
it_ok hosta device-remove id=big
it_expect_log hosta 'device big removed'
it_err hosta NOT_FOUND device-info id=big
it_ok hosta device-add id=big sim=size=1M
it_ok hosta device-remove id=big

# ---- an add in flight holds a place: one more would go over max_devices, refused at once ----
it_config hostb hostb '[limits]' 'max_devices = 2' '[device "b0"]' 'backend = sim' 'spec = size=1M'
it_start hostb
big_add_start hostb
it_err hostb RESOURCE_EXHAUSTED device-add id=small sim=size=1M
it_has "$IT_OUT" 'device small: this daemon already owns 2 devices, its limit \(limits.max_devices\)'
big_add_wait hostb
it_err hostb NOT_FOUND device-info id=small

# ---- a stop during a slow change waits for it, then exits cleanly ----
slow_change
kill -TERM "$(it_pid hosta)"
it_expect_log hosta 'waiting for device operations still running' 5
end=$(($(date +%s) + 15))
while kill -0 "$(it_pid hosta)" 2>/dev/null && [ "$(date +%s)" -le "$end" ]; do sleep 0.1; done
kill -0 "$(it_pid hosta)" 2>/dev/null && it_fail "hosta did not stop after the change"
wait "$(it_pid hosta)"
rc=$?
[ "$rc" -eq 0 ] || it_fail "hosta exited with $rc after a stop during a device change"
it_expect_log hosta 'device a0: RUNNING -> STOP$'
it_pass
