#!/bin/bash
# vfio-migd -n: a good configuration passes; each kind of bad one fails with exit status 1 and
# one line naming the file, the line and the key; nothing is started.
. "$(dirname "$0")/lib.sh"
it_begin check_config

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=4M'
out=$("$VFIO_MIGD" -n -c "$IT_DIR/hosta.conf" 2>&1) || it_fail "good config refused: $out"
it_has "$out" "configuration OK"
[ ! -e "$IT_DIR/hosta.sock" ] || it_fail "-n created the control socket"

# bad_config NAME EXPECTED_REGEX EXTRA_LINES...: must be refused with that message
bad_config() {
	name=$1 want=$2
	shift 2
	it_config "$name" hosta "$@"
	out=$("$VFIO_MIGD" -n -c "$IT_DIR/$name.conf" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || it_fail "$name: expected exit 1, got $rc: $out"
	it_has "$out" "$want"
}

bad_config typo "$IT_DIR/typo.conf:[0-9]+: .*keepalive_intervall" '[peer]' 'keepalive_intervall = 5s'
bad_config duration "$IT_DIR/duration.conf:[0-9]+: \[peer\] connect_timeout" '[peer]' \
	'connect_timeout = soon'
bad_config simspec "$IT_DIR/simspec.conf:[0-9]+: \[device \"s0\"\] spec" '[device "s0"]' \
	'backend = sim' 'spec = size=banana'
bad_config section "$IT_DIR/section.conf:[0-9]+: .*nosuch" '[nosuch]'

# TLS material is really loaded: a key that does not match the certificate is refused
it_config tlsbad hosta
sed -i "s|key = .*|key = $IT_DIR/pki/hostb.key|" "$IT_DIR/tlsbad.conf"
out=$("$VFIO_MIGD" -n -c "$IT_DIR/tlsbad.conf" 2>&1) && it_fail "mismatched key accepted"
it_has "$out" "\[tls\]"

# --set overrides are checked the same way
out=$("$VFIO_MIGD" -n -c "$IT_DIR/hosta.conf" --set peer.keepalive_count=abc 2>&1) &&
	it_fail "bad override accepted"
it_has "$out" "peer.keepalive_count"
out=$("$VFIO_MIGD" -n -c "$IT_DIR/hosta.conf" --set nonsense 2>&1) && it_fail "bad --set accepted"
it_has "$out" "SECTION.KEY=VALUE"

# a missing file says so
out=$("$VFIO_MIGD" -n -c "$IT_DIR/none.conf" 2>&1) && it_fail "missing file accepted"
it_has "$out" "none.conf"
it_pass
