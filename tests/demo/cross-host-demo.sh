#!/bin/bash
# cross-host-demo.sh BUILD_DIR - the README's main job: a live migration between two vfio-migd
# daemons acting as two hosts, driven only by vfio-migctl, verified by content digests.
#
#   hosta and hostb each run in their own network namespace, joined by a veth pair
#   (10.99.0.1 <-> 10.99.0.2); where namespaces cannot be made (no privilege), they run on
#   127.0.0.1 and 127.0.0.2 instead. Each has its own certificate from tests/pki/make-pki.sh
#   and accepts only the other. hosta owns two simulated devices that dirty their state while
#   they run; hostb owns two empty devices of the same sizes. The demo prepares the incoming
#   migration on hostb, starts it on hosta with a live progress display, then proves that
#   every destination device holds exactly what its source held when it stopped.
#
# Environment: DEMO_SIZES ("384M 256M"), DEMO_DIRTY ("24M 12M" bytes/s), DEMO_DOWNTIME (ms).
# Every address it uses lives in namespaces it made itself, or on loopback.
set -u

build=${1:?usage: cross-host-demo.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
migd=$build/daemon/vfio-migd
ctl=$build/client/tool/vfio-migctl
read -r -a sizes <<<"${DEMO_SIZES:-384M 256M}"
read -r -a dirty <<<"${DEMO_DIRTY:-24M 12M}"
downtime=${DEMO_DOWNTIME:-300}

dir=$(mktemp -d /tmp/vfio-migd-demo.XXXXXX)
ns_a=vmigd-demo-a-$$
ns_b=vmigd-demo-b-$$
netns=0
pids=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() {
	printf 'demo: FAILED: %s\n' "$*" >&2
	for h in hosta hostb; do
		[ -f "$dir/$h.log" ] && { echo "----- $h.log (last lines)"; tail -n 20 "$dir/$h.log"; }
	done
	exit 1
}

cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$netns" -eq 1 ]; then
		ip netns del "$ns_a" 2>/dev/null
		ip netns del "$ns_b" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_hosts() {
	if ip netns add "$ns_a" 2>/dev/null && ip netns add "$ns_b" 2>/dev/null &&
		ip link add "vmd$$a" type veth peer name "vmd$$b" 2>/dev/null; then
		netns=1
		ip link set "vmd$$a" netns "$ns_a" && ip link set "vmd$$b" netns "$ns_b" || die "veth"
		ip -n "$ns_a" addr add 10.99.0.1/24 dev "vmd$$a" && ip -n "$ns_a" link set "vmd$$a" up &&
			ip -n "$ns_a" link set lo up || die "configuring $ns_a"
		ip -n "$ns_b" addr add 10.99.0.2/24 dev "vmd$$b" && ip -n "$ns_b" link set "vmd$$b" up &&
			ip -n "$ns_b" link set lo up || die "configuring $ns_b"
		addr_a=10.99.0.1 addr_b=10.99.0.2
		echo "hosta: network namespace $ns_a, 10.99.0.1; hostb: $ns_b, 10.99.0.2 (veth pair)"
	else
		ip netns del "$ns_a" 2>/dev/null
		addr_a=127.0.0.1 addr_b=127.0.0.2
		echo "no network namespaces here (needs root): hosta on 127.0.0.1, hostb on 127.0.0.2"
	fi
}

# config HOST ADDR DEVICE-SECTIONS...
config() {
	host=$1 addr=$2
	shift 2
	{
		printf '[daemon]\nlog_level = info\nlog_target = stderr\nhost_identity = %s\n' "$host"
		printf '[control]\nsocket = %s/%s.sock\ngroup =\n' "$dir" "$host"
		printf '[peer]\nlisten = %s:7800\n' "$addr"
		printf '[tls]\nca = %s/pki/ca.crt\ncert = %s/pki/%s.crt\nkey = %s/pki/%s.key\n' \
			"$dir" "$dir" "$host" "$dir" "$host"
		if [ "$host" = hosta ]; then echo 'allow = dns:hostb.test'; else echo 'allow = dns:hosta.test'; fi
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$dir/$host.conf"
	"$migd" -n -c "$dir/$host.conf" >/dev/null || die "$host.conf does not check"
}

# start HOST: the daemon in the background, in the host's namespace when there are namespaces.
# Started as a plain command (ip netns exec execs it), never through a shell function: a
# function in the background is a subshell, $! would be that subshell, and cleanup's SIGTERM
# would leave the daemon running.
start() {
	host=$1
	if [ "$netns" -eq 0 ]; then
		"$migd" -c "$dir/$host.conf" >"$dir/$host.log" 2>&1 &
	elif [ "$host" = hosta ]; then
		ip netns exec "$ns_a" "$migd" -c "$dir/$host.conf" >"$dir/$host.log" 2>&1 &
	else
		ip netns exec "$ns_b" "$migd" -c "$dir/$host.conf" >"$dir/$host.log" 2>&1 &
	fi
	pids="$pids $!"
	for _ in $(seq 100); do
		[ -S "$dir/$host.sock" ] && "$ctl" -s "$dir/$host.sock" -q info >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "$host did not start"
}

# digest HOST DEVICE: the device's content digest, as vfio-migctl reports it
digest() {
	"$ctl" -s "$dir/$1.sock" device info "$2" | sed -n 's/^ *digest: *//p'
}

[ -x "$migd" ] && [ -x "$ctl" ] || die "build first: $migd and $ctl are missing"
"$root/tests/pki/make-pki.sh" "$dir/pki" >/dev/null || die "making the demo certificates"

say "Two hosts"
make_hosts
secs_a=() secs_b=() map=() prep=()
for i in "${!sizes[@]}"; do
	secs_a+=("[device \"vm1-gpu$i\"]" 'backend = sim' "spec = size=${sizes[$i]},dirty_rate=${dirty[$i]:-0},seed=$((i + 11))")
	secs_b+=("[device \"slot$i\"]" 'backend = sim' "spec = size=${sizes[$i]}")
	map+=(--map "vm1-gpu$i=slot$i")
	prep+=(--device "slot$i")
done
config hosta "$addr_a" "${secs_a[@]}"
config hostb "$addr_b" "${secs_b[@]}"
start hosta
start hostb
A=("$ctl" -s "$dir/hosta.sock")
B=("$ctl" -s "$dir/hostb.sock")
"${A[@]}" status || die "vfio-migctl status on hosta"
"${B[@]}" device list || die "vfio-migctl device list on hostb"

say "hostb: prepare the incoming migration (a single-use token for hosta's identity)"
echo "\$ vfio-migctl prepare --source dns:hosta.test ${prep[*]} --expiry 120"
token=$("${B[@]}" -q prepare --source dns:hosta.test "${prep[@]}" --expiry 120) ||
	die "prepare on hostb"
echo "token: $token"

say "hosta: migrate (pre-copy while the devices dirty their state, downtime limit ${downtime} ms)"
echo "\$ vfio-migctl migrate --peer $addr_b:7800 --token ... ${map[*]} --downtime-limit $downtime --wait"
"${A[@]}" migrate --peer "$addr_b:7800" --token "$token" "${map[@]}" \
	--downtime-limit "$downtime" --timeout 300 --wait
rc=$?
[ "$rc" -eq 0 ] || die "the migration did not complete (vfio-migctl exit $rc)"

say "Verification: every destination device holds what its source held at stop time"
ok=1
for i in "${!sizes[@]}"; do
	da=$(digest hosta "vm1-gpu$i")
	db=$(digest hostb "slot$i")
	if [ -n "$da" ] && [ "$da" = "$db" ]; then
		printf 'vm1-gpu%d -> slot%d: %s  MATCH\n' "$i" "$i" "$da"
	else
		printf 'vm1-gpu%d -> slot%d: source %s, destination %s  MISMATCH\n' "$i" "$i" "$da" "$db"
		ok=0
	fi
done
"${A[@]}" device list
"${B[@]}" device list
[ "$ok" -eq 1 ] || die "digests differ"
echo
echo "VERIFIED: ${#sizes[@]} devices migrated hosta -> hostb over mutually authenticated TLS;"
echo "          the sources are stopped with their state intact, the destinations run it."
