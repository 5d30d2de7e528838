#!/bin/bash
# The control socket of a real daemon through ctlprobe: every operation's reply, a device
# passed as an fd, hostile bytes closing only their own connection, and the socket file's
# mode and removal at exit.
. "$(dirname "$0")/lib.sh"
it_begin ctlprobe

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=64K'
it_start hosta
sock=$IT_DIR/hosta.sock
[ "$(stat -c %a "$sock")" = 660 ] || it_fail "socket mode is $(stat -c %a "$sock"), not 660"

it_ok hosta hello
it_has "$IT_OUT" '^name=vfio-migd '
it_err hosta INCOMPATIBLE hello version=3 min_version=2
it_has "$IT_OUT" 'upgrade vfio-migd'
it_ok hosta info
it_has "$IT_OUT" '^host_identity=hosta$'
it_has "$IT_OUT" '^device_count=1$'

it_ok hosta device-add sim=size=16K
it_has "$IT_OUT" '^id=sim0$'
it_ok hosta device-add id=vm1 sim=size=16K,flags=stop_copy
it_ok hosta device-list
it_has "$IT_OUT" '^devices=3$'
it_has "$IT_OUT" '^device.2.id=vm1$'
it_err hosta ALREADY_EXISTS device-add id=vm1 sim=
it_err hosta NOT_FOUND device-add id=nodev path=/dev/vfio/devices/vfio4242
it_err hosta INVALID_ARGUMENT device-add fd=/dev/null
it_has "$IT_OUT" 'not a VFIO device'

it_ok hosta device-set-state id=s0 state=stop
it_has "$IT_OUT" '^state=STOP$'
it_ok hosta device-set-state id=s0 state=stop_copy
it_err hosta INVALID_ARGUMENT device-set-state id=s0 state=pre_copy
it_has "$IT_OUT" 'STOP_COPY -> PRE_COPY refused'
it_ok hosta device-set-state id=s0 state=running
it_ok hosta device-info id=s0
it_has "$IT_OUT" '^digest=[0-9a-f]{64}$'
it_ok hosta device-remove id=vm1
it_err hosta NOT_FOUND device-info id=vm1
it_has "$IT_OUT" "device 'vm1' not found"
it_err hosta PEER_UNREACHABLE peer-connect address=127.0.0.1:1
it_has "$IT_OUT" '127.0.0.1:1'
it_ok hosta peer-list
it_has "$IT_OUT" '^peers='

# hostile bytes: an error reply with serial 0, the connection closed, the daemon unharmed
it_ctl hosta raw "00000000 0999 0000"
it_has "$IT_OUT" '^error=PROTOCOL$'
it_has "$IT_OUT" 'unknown frame type 0x0999'
it_has "$IT_OUT" '^closed=1$'
it_ctl hosta raw "00000002 0101 0000 0809"
it_has "$IT_OUT" '^serial=9$'
it_has "$IT_OUT" 'request 9 is invalid: op: missing'
it_has "$IT_OUT" '^closed=1$'
it_ctl hosta raw "00440001 0101 0000"
it_has "$IT_OUT" 'above the 4456448-byte cap'
it_expect_log hosta 'control: client pid=[0-9]+ uid=[0-9]+: unknown frame type 0x0999; closing'
it_alive hosta

kill -TERM "$(it_pid hosta)"
for _ in $(seq 50); do [ -e "$sock" ] || break; sleep 0.1; done
[ ! -e "$sock" ] || it_fail "the control socket was left behind at exit"
it_pass
