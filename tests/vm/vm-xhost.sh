#!/bin/sh
# vm-xhost.sh - the cross-host scenarios inside the test VM (staged as /bin/vm-xhost, run by
# vm-init.sh for an "xhost" phase with four vmigtest mdevs created).
#
# Two "hosts" in one VM: network namespaces nsA and nsB joined by a veth pair (10.99.0.1/24
# and 10.99.0.2/24, the addresses the test certificates carry), one vfio-migd in each
# (hosta, hostb: certificates from tests/pki/make-pki.sh, kTLS on, control sockets in /tmp),
# each owning its own mdevs: hosta A (a0) and C (a1), hostb B (b0) and D (b1). Every control
# call goes through ctl(), which runs vfio-migctl (ctlprobe where the tool is not staged);
# device content is written and read with vm_region while no daemon owns the device (6.1: a
# group opens once at a time), so a scenario adds the devices to the daemons after filling
# them and removes them before reading them back.
#
# Usage: vm-xhost [SCENARIO...]   (default: single multi reject kill)
#   single  one device hosta -> hostb over TLS: destination content == source content, source
#           STOP, destination RUNNING, kTLS engaged
#   multi   two devices per side in one job: both contents, and the P2P ordering (every
#           source device RUNNING_P2P before any STOP_COPY; every destination device
#           RUNNING_P2P before any RUNNING)
#   reject  the driver corrupts the source's save stream (corrupt=4): the destination driver
#           refuses it at RESUMING -> STOP, the job fails naming the device, the source runs
#           again with its content, the destination device is reset
#   kill    hostb SIGKILLed mid-stream: the source job fails, the source runs with its content;
#           hostb restarted holds no migrated state
# With VM_CORRUPT=N (the tier's "can fail" variant: the driver was loaded with corrupt=N),
# "single" must report the corruption instead of completing, and nothing else runs.
# Prints one "xhost: PASS|FAIL NAME: ..." line per scenario; exit 0 only if all passed.
set -u
# shellcheck source=/dev/null
. /vm.conf
VM_CORRUPT=${VM_CORRUPT:-}

D=/tmp/xhost
ADDR_A=10.99.0.1
ADDR_B=10.99.0.2
PORT=7790
# Patterns: source devices and destination devices get different ones, so a migration that
# moved nothing cannot look like one that worked.
SEED_A0=101 SEED_A1=102 SEED_B0=201 SEED_B1=202
# PID_hosta, PID_hostb: the daemons (set and read through eval by start and stop)
# shellcheck disable=SC2034
NS_A="" NS_B="" PID_hosta="" PID_hostb=""
WHY=""
npass=0
nfail=0

say() { echo "xhost: $*"; }

# ctl HOST OP [key=value...]: the one way this script talks to a daemon, with the operator's
# tool vfio-migctl (--json, flattened by json_kv), or with the raw client ctlprobe where the
# tool is not staged. OP and its arguments are ctlprobe's (device-add id= mdev=, prepare
# source= devices=a,b, migrate peer= token= map=a:b,c:d [bandwidth=], job-wait job=
# timeout=MS, ...). OUT gets the reply as key=value lines (device.0.reset=1, peer.0.ktls_tx=1,
# error_code=...), RC 0 for a reply (a waited-for job that FAILED included), 1 for a refusal,
# 2 for a transport or usage failure.
ctl() {
	_c_h=$1
	shift
	if [ ! -x /bin/vfio-migctl ]; then
		OUT=$(/bin/ctlprobe -t 90 "$D/$_c_h.sock" "$@" 2>&1)
		RC=$?
		return
	fi
	_c_op=$1
	shift
	_c_id="" _c_mdev="" _c_src="" _c_devs="" _c_peer="" _c_tok="" _c_map="" _c_bw=""
	_c_job="" _c_ms=60000
	for _c_kv in "$@"; do
		case $_c_kv in
		id=*) _c_id=${_c_kv#*=} ;;
		mdev=*) _c_mdev=${_c_kv#*=} ;;
		source=*) _c_src=${_c_kv#*=} ;;
		devices=*) _c_devs=${_c_kv#*=} ;;
		peer=*) _c_peer=${_c_kv#*=} ;;
		token=*) _c_tok=${_c_kv#*=} ;;
		map=*) _c_map=${_c_kv#*=} ;;
		bandwidth=*) _c_bw=${_c_kv#*=} ;;
		job=*) _c_job=${_c_kv#*=} ;;
		timeout=*) _c_ms=${_c_kv#*=} ;;
		*)
			OUT="ctl: unknown argument '$_c_kv' for $_c_op"
			RC=2
			return
			;;
		esac
	done
	case $_c_op in
	device-add) set -- device add --id "$_c_id" --mdev "$_c_mdev" ;;
	device-remove) set -- device remove "$_c_id" ;;
	device-info) set -- device info "$_c_id" ;;
	device-list) set -- device list ;;
	peer-list) set -- peer list ;;
	info) set -- info ;;
	job-status) set -- job status "$_c_job" ;;
	job-list) set -- job list ;;
	job-cancel) set -- job cancel "$_c_job" ;;
	job-wait) set -- job wait "$_c_job" --timeout $((_c_ms / 1000)) ;;
	prepare)
		set -- prepare --source "$_c_src"
		for _c_d in $(echo "$_c_devs" | tr ',' ' '); do set -- "$@" --device "$_c_d"; done
		;;
	migrate)
		set -- migrate --peer "$_c_peer" --token "$_c_tok"
		for _c_p in $(echo "$_c_map" | tr ',' ' '); do set -- "$@" --map "${_c_p%%:*}=${_c_p#*:}"; done
		[ -n "$_c_bw" ] && set -- "$@" --bandwidth "$_c_bw"
		;;
	*)
		OUT="ctl: no vfio-migctl command for $_c_op"
		RC=2
		return
		;;
	esac
	_c_json=$(/bin/vfio-migctl --json -t 90 -s "$D/$_c_h.sock" "$@" 2>"$D/ctl.err")
	RC=$?
	OUT=$(printf '%s\n' "$_c_json" | json_kv | sed -e 's/^devices\./device./' \
		-e 's/^peers\./peer./' -e 's/^jobs\./job./' -e 's/^error\.\([a-z]*\)=/error_\1=/')
	case $RC in
	0 | 1) ;;
	4 | 5) RC=0 ;; # job wait: the job ended FAILED or CANCELLED; the call worked
	*)
		RC=2
		OUT="$OUT $(cat "$D/ctl.err")"
		;;
	esac
}

# json_kv: a JSON document on stdin as "path=value" lines, arrays indexed by number
# ({"a":[{"b":true}]} gives a.0.b=1), booleans 1/0, null empty. Enough for vfio-migctl's
# output; not a general JSON validator.
json_kv() {
	awk '
	function scalar(v,   p, i) {
		if (depth > 0 && kind[depth] == "a")
			key[depth] = idx[depth]++
		p = ""
		for (i = 1; i <= depth; i++)
			p = p (p == "" ? "" : ".") key[i]
		print p "=" v
		want_key = (depth > 0 && kind[depth] == "o")
	}
	BEGIN { RS = "\001" }
	{
		s = $0
		n = length(s)
		for (i = 1; i <= n;) {
			c = substr(s, i, 1)
			if (c == "\"") {
				str = ""
				for (j = i + 1; j <= n; j++) {
					d = substr(s, j, 1)
					if (d == "\\") {
						e = substr(s, ++j, 1)
						str = str (e == "n" || e == "t" ? " " : e)
					} else if (d == "\"") {
						break
					} else {
						str = str d
					}
				}
				i = j + 1
				if (want_key) {
					key[depth] = str
					want_key = 0
				} else {
					scalar(str)
				}
			} else if (c == "{" || c == "[") {
				if (depth > 0 && kind[depth] == "a")
					key[depth] = idx[depth]++
				kind[++depth] = c == "{" ? "o" : "a"
				idx[depth] = 0
				want_key = c == "{"
				i++
			} else if (c == "}" || c == "]") {
				depth--
				want_key = 0
				i++
			} else if (c == ",") {
				want_key = depth > 0 && kind[depth] == "o"
				i++
			} else if (c ~ /[-0-9a-z]/) {
				for (j = i; j <= n && substr(s, j, 1) ~ /[-+.0-9a-zA-Z]/; j++)
					;
				v = substr(s, i, j - i)
				scalar(v == "true" ? 1 : v == "false" ? 0 : v == "null" ? "" : v)
				i = j
			} else {
				i++
			}
		}
	}'
}

# get KEY: the value of KEY in OUT
get() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -n 1; }

# why TEXT: records why the running scenario fails; returns 1 so that "|| { why ..; return 1; }"
# reads naturally
why() {
	WHY=$*
	return 1
}

# ok HOST OP ...: ctl, and fail unless the reply is OK
ok() {
	ctl "$@"
	[ "$RC" -eq 0 ] || why "$1 $2: expected OK, got ($RC): $(echo "$OUT" | tr '\n' ' ')"
}

# ---- the two hosts ----

# netns_spawn VAR: a process in a new network namespace, whose pid (in VAR) names it
netns_spawn() {
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 &
	_p=$!
	eval "$1=$_p"
	# the namespace exists once the child's differs from ours
	for _ in $(seq 100); do
		[ "$(readlink /proc/$_p/ns/net)" != "$(readlink /proc/$$/ns/net)" ] && return 0
		sleep 0.05
	done
	why "no network namespace for $1"
}

# in_ns PID CMD...: CMD in PID's network namespace
in_ns() {
	_p=$1
	shift
	nsenter -t "$_p" -n "$@"
}

net_up() {
	modprobe veth || why "modprobe veth failed" || return 1
	netns_spawn NS_A && netns_spawn NS_B || return 1
	ip link add xa type veth peer name xb || why "cannot create the veth pair" || return 1
	# busybox's ip ignores "peer name": the peer then comes out as veth0
	ip link show xb >/dev/null 2>&1 || ip link set veth0 name xb ||
		why "cannot rename the veth peer" || return 1
	ip link set xa netns "$NS_A" && ip link set xb netns "$NS_B" ||
		why "cannot move the veth ends into the namespaces" || return 1
	in_ns "$NS_A" ip link set lo up && in_ns "$NS_A" ip addr add $ADDR_A/24 dev xa &&
		in_ns "$NS_A" ip link set xa up || why "cannot configure nsA" || return 1
	in_ns "$NS_B" ip link set lo up && in_ns "$NS_B" ip addr add $ADDR_B/24 dev xb &&
		in_ns "$NS_B" ip link set xb up || why "cannot configure nsB" || return 1
	in_ns "$NS_A" ping -c 1 -W 5 $ADDR_B >/dev/null ||
		why "nsA cannot reach $ADDR_B over the veth" || return 1
	# the namespaces are really apart: the root namespace has no route to either address
	ip route get $ADDR_B >/dev/null 2>&1 && why "the root namespace reaches $ADDR_B" && return 1
	return 0
}

# conf HOST ADDR: the daemon's configuration (kTLS on)
conf() {
	cat >"$D/$1.conf" <<EOF
[daemon]
log_level = debug
log_target = stderr
host_identity = $1
[control]
socket = $D/$1.sock
group =
[peer]
listen = $2:$PORT
keepalive_interval = 1s
keepalive_count = 3
handshake_timeout = 20s
[tls]
ca = /pki/ca.crt
cert = /pki/$1.crt
key = /pki/$1.key
allow = dns:hosta.test dns:hostb.test
ktls = yes
EOF
}

# start HOST NSPID: vfio-migd in the namespace, ready within 30 s
start() {
	# a restarted daemon's earlier log is kept aside, so "ready:" is this start's
	[ -f "$D/$1.log" ] && mv "$D/$1.log" "$D/$1.log.$(cut -d" " -f1 /proc/uptime)"
	# nsenter execs the daemon: $! is the daemon's pid (for stop and SIGKILL)
	nsenter -t "$2" -n /bin/vfio-migd -c "$D/$1.conf" >>"$D/$1.log" 2>&1 &
	eval "PID_$1=$!"
	for _ in $(seq 300); do
		grep -q 'ready:' "$D/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	why "$1 did not become ready: $(tail -n 5 "$D/$1.log" | tr '\n' ' ')"
}

# alive PID: the process runs (exists and is not a zombie)
alive() {
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c 1)" != Z ]
}

# stop HOST: SIGTERM, and wait until it is gone (the mdevs are free then); fails unless the
# daemon stopped by itself with status 0 within 10 s
stop() {
	eval "_p=\$PID_$1"
	[ -n "$_p" ] || return 0
	eval "PID_$1="
	kill -TERM "$_p" 2>/dev/null
	for _ in $(seq 100); do
		alive "$_p" || break
		sleep 0.1
	done
	if alive "$_p"; then
		kill -KILL "$_p"
		wait "$_p" 2>/dev/null
		why "$1 did not stop within 10 s of SIGTERM"
		return 1
	fi
	wait "$_p"
	_rc=$?
	[ "$_rc" -eq 0 ] || why "$1 exited with status $_rc on SIGTERM: $(tail -n 3 "$D/$1.log" |
		tr '\n' ' ')"
}

# ---- devices ----

# region OP UUID [SEED]: vm_region; sets SUM (sha256), ZERO (0/1), STATE
region() {
	_out=$(/bin/vm_region "$@" 2>&1) || why "vm_region $*: $_out" || return 1
	SUM=$(echo "$_out" | sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p')
	ZERO=$(echo "$_out" | sed -n 's/.* zero=\([01]\).*/\1/p')
	STATE=$(echo "$_out" | sed -n 's/.* state=\([A-Z0-9_]*\).*/\1/p')
	[ -n "$SUM" ] || why "vm_region $*: no digest in '$_out'"
}

# own HOST ID UUID: the daemon adds the mdev as device ID
own() { ok "$1" device-add id="$2" mdev="$3"; }

# release HOST ID: the daemon lets the device go (its content stays in the driver)
release() { ok "$1" device-remove id="$2"; }

# state_is HOST ID STATE: the daemon reports the device in STATE, held by no job
state_is() {
	ok "$1" device-info id="$2" || return 1
	[ "$(get state)" = "$3" ] || why "$1 $2 is $(get state), expected $3" || return 1
	[ "$(get owner_job)" = 0 ] || why "$1 $2 still held by job $(get owner_job)"
}

# ---- jobs ----

# migrate DEST_DEVICES MAP [ARGS...]: prepare on hostb, migrate from hosta; sets JOB, DJOB
migrate() {
	_devs=$1 _map=$2
	shift 2
	ok hostb prepare source=dns:hosta.test devices="$_devs" || return 1
	_tok=$(get token)
	DJOB=$(get job_id)
	ok hosta migrate peer=$ADDR_B:$PORT token="$_tok" map="$_map" "$@" || return 1
	JOB=$(get job_id)
}

# wait_job HOST JOB: until the job finished; OUT holds its status
wait_job() {
	ok "$1" job-wait job="$2" timeout=60000 ||
		why "$1: job $2 did not finish: $(echo "$OUT" | tr '\n' ' ')"
}

# expect KEY VALUE: OUT has KEY=VALUE (VALUE an extended regex)
expect() {
	printf '%s\n' "$OUT" | grep -Eq "^$1=($2)\$" ||
		why "expected $1=$2, got '$(get "$1")' ($(get error_message))"
}

# ktls_check: kTLS on the job's data streams (hosta sends, hostb receives) and on the control
# link; sets KTLS. Sending on the data streams must use kTLS. Reported, not required: RX
# (OpenSSL 3.0 offloads TLS 1.3 in the sending direction only) and the control link: it is
# the VM's first TLS connection, both daemons make the kernel autoload tls.ko for it at the
# same moment, and one side sometimes comes up without kTLS (seen in about 2 runs of 5; likely
# the second modprobe returning while the module is still initialising).
ktls_check() {
	ok hosta peer-list || return 1
	_ctl="tx=$(get peer.0.ktls_tx) rx=$(get peer.0.ktls_rx)"
	_n=$(grep -c "data stream for job $JOB device [0-9]*: connected" "$D/hosta.log")
	_tx=$(grep -c "data stream for job $JOB device [0-9]*: connected (.*kTLS tx on" \
		"$D/hosta.log")
	# hostb's side of a data stream: its "TLS up" line from the source's address
	_rx=$(grep "TLS up: .*kTLS" "$D/hostb.log" | tail -n 1 | sed 's/.*kTLS/kTLS/')
	KTLS="kTLS: $_tx of $_n data stream(s) sending with kTLS, receiver ${_rx:-?},"
	KTLS="$KTLS control link $_ctl"
	if [ "$_n" -lt 1 ] || [ "$_tx" -ne "$_n" ]; then
		why "kTLS not engaged: $KTLS"
	fi
}

# ---- scenarios (each returns 0 or 1 with WHY set; RESULT is the success text) ----

sc_single() {
	region fill "$VM_UUID_A" $SEED_A0 || return 1
	src=$SUM
	region fill "$VM_UUID_B" $SEED_B0 || return 1
	own hosta a0 "$VM_UUID_A" && own hostb b0 "$VM_UUID_B" || return 1
	migrate b0 a0:b0 || return 1
	wait_job hosta "$JOB" || return 1
	if [ -n "$VM_CORRUPT" ]; then
		corrupt_outcome "$VM_CORRUPT" || return 1
		RESULT="corruption reported: $RESULT"
		return 0
	fi
	expect phase COMPLETED || return 1
	wait_job hostb "$DJOB" && expect phase COMPLETED || return 1
	state_is hosta a0 STOP && state_is hostb b0 RUNNING || return 1
	ktls_check || return 1
	release hosta a0 && release hostb b0 || return 1
	region sum "$VM_UUID_A" && [ "$SUM" = "$src" ] ||
		why "source content changed: ${SUM:-?} != $src" || return 1
	region sum "$VM_UUID_B" || return 1
	[ "$SUM" = "$src" ] || why "destination content ${SUM} != source ${src}" || return 1
	RESULT="$(($(cat /sys/module/vmigtest/parameters/state_kb) / 1024)) MiB a0 -> b0 over TLS"
	RESULT="$RESULT $ADDR_A -> $ADDR_B, sha256 ${src%"${src#????????????}"}... equal;"
	RESULT="$RESULT source STOP, destination RUNNING; $KTLS"
}

# corrupt_outcome MODE: after a job whose source stream the driver corrupted: both jobs FAILED
# naming the device, source a0 RUNNING with its content, destination b0 reset (zeroed)
corrupt_outcome() {
	if printf '%s\n' "$OUT" | grep -q '^phase=COMPLETED$'; then
		why "vmigtest was set to corrupt the save stream (corrupt=$1) but the job COMPLETED:" \
			"corruption not detected"
		return 1
	fi
	expect phase FAILED && expect error_code DEVICE_FAILED && expect error_device a0 ||
		return 1
	msg=$(get error_message)
	wait_job hostb "$DJOB" && expect phase FAILED && expect error_device b0 &&
		expect device.0.reset 1 || return 1
	state_is hosta a0 RUNNING && state_is hostb b0 RUNNING || return 1
	dmesg | grep -q 'resume rejected' || why "the kernel log has no 'resume rejected'" ||
		return 1
	release hosta a0 && release hostb b0 || return 1
	region sum "$VM_UUID_A" || return 1
	[ "$SUM" = "$src" ] || why "source content changed after the rollback" || return 1
	[ "$STATE" = RUNNING ] || why "source device is $STATE after release" || return 1
	region sum "$VM_UUID_B" || return 1
	[ "$ZERO" = 1 ] || why "destination content not reset (sha256 $SUM)" || return 1
	RESULT="job FAILED DEVICE_FAILED: '$msg'; $(dmesg | grep 'resume rejected' | tail -n 1 |
		sed 's/^\[[^]]*\] //'); source a0 RUNNING, content intact; destination b0 reset"
}

sc_reject() {
	region fill "$VM_UUID_A" $SEED_A0 || return 1
	src=$SUM
	region fill "$VM_UUID_B" $SEED_B0 || return 1
	own hosta a0 "$VM_UUID_A" && own hostb b0 "$VM_UUID_B" || return 1
	echo 4 >/sys/module/vmigtest/parameters/corrupt
	migrate b0 a0:b0
	_r=$?
	[ $_r -eq 0 ] && wait_job hosta "$JOB"
	_r=$?
	echo 0 >/sys/module/vmigtest/parameters/corrupt
	[ $_r -eq 0 ] && corrupt_outcome 4
}

sc_multi() {
	region fill "$VM_UUID_A" $SEED_A0 || return 1
	s0=$SUM
	region fill "$VM_UUID_C" $SEED_A1 || return 1
	s1=$SUM
	region fill "$VM_UUID_B" $SEED_B0 && region fill "$VM_UUID_D" $SEED_B1 || return 1
	own hosta a0 "$VM_UUID_A" && own hosta a1 "$VM_UUID_C" || return 1
	own hostb b0 "$VM_UUID_B" && own hostb b1 "$VM_UUID_D" || return 1
	migrate b0,b1 a0:b0,a1:b1 || return 1
	wait_job hosta "$JOB" && expect phase COMPLETED && expect device.1.source_id a1 || return 1
	[ -z "$(get device.2.source_id)" ] || why "job $JOB has more than 2 devices" || return 1
	wait_job hostb "$DJOB" && expect phase COMPLETED || return 1
	for d in a0 a1; do state_is hosta $d STOP || return 1; done
	for d in b0 b1; do state_is hostb $d RUNNING || return 1; done
	order hosta "$JOB" 'a[01]' RUNNING_P2P STOP_COPY || return 1
	src_order=$ORDER
	order hostb "$DJOB" 'b[01]' RUNNING_P2P RUNNING || return 1
	for d in a0 a1; do release hosta $d || return 1; done
	for d in b0 b1; do release hostb $d || return 1; done
	region sum "$VM_UUID_B" && [ "$SUM" = "$s0" ] || why "b0 content != a0's" || return 1
	region sum "$VM_UUID_D" && [ "$SUM" = "$s1" ] || why "b1 content != a1's" || return 1
	RESULT="a0:b0,a1:b1 in job $JOB, both contents equal; source $src_order; destination $ORDER"
}

# order HOST JOB DEVS FIRST THEN: in HOST's log, every completed "device DEVS: X -> FIRST (N ms)"
# change of JOB comes before any completed "-> THEN" one, and each device has both (the
# "posted" lines of changes handed to a worker do not count); sets ORDER
order() {
	_log=$D/$1.log
	_first=$(grep -nE "job $2: device $3: [A-Z0-9_]+ -> $4 \([0-9]+ ms\)\$" "$_log" | cut -d: -f1)
	_then=$(grep -nE "job $2: device $3: [A-Z0-9_]+ -> $5 \([0-9]+ ms\)\$" "$_log" | cut -d: -f1)
	[ "$(echo "$_first" | grep -c .)" -eq 2 ] && [ "$(echo "$_then" | grep -c .)" -eq 2 ] ||
		why "$1: job $2: expected 2 '-> $4' and 2 '-> $5' device lines: $(grep \
"job $2: device" "$_log" | tr '\n' ' ')" || return 1
	_lastfirst=$(echo "$_first" | sort -n | tail -n 1)
	_firstthen=$(echo "$_then" | sort -n | head -n 1)
	[ "$_lastfirst" -lt "$_firstthen" ] ||
		why "$1: job $2: a device reached $5 before every device was $4: $(grep \
"job $2: device" "$_log" | tr '\n' ' ')" || return 1
	ORDER="both $4 before either $5"
}

sc_kill() {
	region fill "$VM_UUID_A" $SEED_A0 || return 1
	src=$SUM
	region fill "$VM_UUID_B" $SEED_B0 || return 1
	dst=$SUM
	own hosta a0 "$VM_UUID_A" && own hostb b0 "$VM_UUID_B" || return 1
	# 1 MiB/s: the 4 MiB state takes about 4 s
	migrate b0 a0:b0 bandwidth=1048576 || return 1
	# kill once the stream is under way: some bytes sent, the job still in STOP_COPY
	sent=0
	for _ in $(seq 200); do
		ok hosta job-status job="$JOB" || return 1
		sent=$(get device.0.bytes_sent)
		[ "$(get phase)" = STOP_COPY ] && [ "${sent:-0}" -gt 0 ] && break
		sleep 0.1
	done
	[ "$(get phase)" = STOP_COPY ] && [ "${sent:-0}" -gt 0 ] ||
		why "job $JOB never streamed: phase $(get phase), $sent bytes sent" || return 1
	sent="$sent of $(($(cat /sys/module/vmigtest/parameters/state_kb) * 1024 + 24)) bytes"
	[ "$(cat /proc/"$PID_hostb"/comm 2>/dev/null)" = vfio-migd ] ||
		why "pid $PID_hostb is not hostb's daemon" || return 1
	kill -KILL "$PID_hostb"
	wait "$PID_hostb" 2>/dev/null
	PID_hostb=""
	wait_job hosta "$JOB" && expect phase FAILED && expect error_code PEER_UNREACHABLE ||
		return 1
	code="$(get error_code): '$(get error_message)'"
	state_is hosta a0 RUNNING || return 1
	release hosta a0 || return 1
	region sum "$VM_UUID_A" && [ "$SUM" = "$src" ] || why "source content changed" || return 1
	# hostb again: it reopens the mdev, which holds nothing of the migration
	start hostb "$NS_B" && own hostb b0 "$VM_UUID_B" && state_is hostb b0 RUNNING &&
		release hostb b0 || return 1
	region sum "$VM_UUID_B" || return 1
	[ "$SUM" != "$src" ] || why "destination holds the migrated state after the kill" ||
		return 1
	if [ "$ZERO" = 1 ]; then
		what="reset (zeroed)"
	elif [ "$SUM" = "$dst" ]; then
		what="its own earlier content (the partial stream was discarded)"
	else
		why "destination content is neither its own nor zero nor the source's" || return 1
	fi
	RESULT="hostb SIGKILLed after $sent: job FAILED $code; source a0 RUNNING, content"
	RESULT="$RESULT intact; restarted hostb: b0 RUNNING with $what"
}

# run NAME: one scenario, one line
run() {
	WHY="" RESULT=""
	_t0=$(cut -d' ' -f1 /proc/uptime)
	if "sc_$1"; then
		npass=$((npass + 1))
		say "PASS $1: $RESULT ($(awk "BEGIN { printf \"%.1f\", $(cut -d' ' -f1 \
/proc/uptime) - $_t0 }")s)"
		return 0
	fi
	nfail=$((nfail + 1))
	say "FAIL $1: $WHY"
	for h in hosta hostb; do
		echo "----- last lines of $h's log"
		tail -n 25 "$D/$h.log" 2>/dev/null
	done
	# leave the devices free for the next scenario: jobs cancelled, devices removed
	for h in hosta hostb; do
		[ -S "$D/$h.sock" ] || continue
		ctl "$h" job-list
		for j in $(printf '%s\n' "$OUT" | sed -n 's/^job\.[0-9]*\.job_id=//p'); do
			ctl "$h" job-cancel job="$j"
		done
		for j in $(printf '%s\n' "$OUT" | sed -n 's/^job\.[0-9]*\.job_id=//p'); do
			ctl "$h" job-wait job="$j" timeout=10000
		done
		ctl "$h" device-list
		for id in $(printf '%s\n' "$OUT" | sed -n 's/^device\.[0-9]*\.id=//p'); do
			ctl "$h" device-remove id="$id"
		done
	done
	echo 0 >/sys/module/vmigtest/parameters/corrupt 2>/dev/null
	[ -n "$VM_CORRUPT" ] && echo "$VM_CORRUPT" >/sys/module/vmigtest/parameters/corrupt
	return 1
}

# cleanup: both daemons stopped (a daemon that does not stop cleanly fails the run), the
# namespaces' processes gone
cleanup() {
	for h in hosta hostb; do
		stop $h && continue
		say "FAIL stop: $WHY"
		nfail=$((nfail + 1))
	done
	for p in $NS_A $NS_B; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

list=${*:-single multi reject kill}
[ -n "$VM_CORRUPT" ] && list=single
rm -rf "$D"
mkdir -p "$D"
if ! net_up; then
	say "FAIL setup: $WHY"
	cleanup
	exit 1
fi
conf hosta $ADDR_A
conf hostb $ADDR_B
if ! start hosta "$NS_A" || ! start hostb "$NS_B"; then
	say "FAIL setup: $WHY"
	cleanup
	exit 1
fi
tool=ctlprobe
[ -x /bin/vfio-migctl ] && tool=$(/bin/vfio-migctl --version 2>&1 | head -n 1)
say "hosta in nsA ($ADDR_A), hostb in nsB ($ADDR_B), veth, TLS 1.3 with kTLS requested;" \
	"control client: $tool;" \
	"${VM_CORRUPT:+driver corrupt=$VM_CORRUPT (can-fail variant); }scenarios: $list"
for s in $list; do
	run "$s"
done
cleanup
say "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
