# lib.sh - helpers for the integration tests: real vfio-migd daemons on loopback with real
# certificates, driven through ctlprobe (control socket) and peerprobe (peer port).
#
# A test script sources this file, then calls it_begin NAME. Everything lives in a fresh
# temporary folder that is removed at exit; daemons are killed at exit; on failure every log
# is printed. Environment (set by tests/integration/meson.build): VFIO_MIGD, CTLPROBE,
# PEERPROBE, SRCDIR.
#
# shellcheck shell=bash

set -u

IT_NAME=""
IT_DIR=""
IT_PIDS=""
IT_FAILED=0
IT_NETNS=""

it_log() { printf '%s: %s\n' "$IT_NAME" "$*"; }

it_cleanup() {
	for pid in $IT_PIDS; do
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $IT_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in $IT_NETNS; do
		ip netns del "$ns" 2>/dev/null
	done
	# a sanitizer report from a daemon (sanitizer builds) fails the test, leaks included
	for f in "$IT_DIR"/*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			it_log "FAIL: sanitizer report in $(basename "$f")"
			IT_FAILED=1
		fi
	done
	if [ "$IT_FAILED" -ne 0 ] && [ -n "$IT_DIR" ]; then
		for f in "$IT_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f"
			tail -n 60 "$f"
		done
	fi
	[ -n "$IT_DIR" ] && rm -rf "$IT_DIR"
	[ "$IT_FAILED" -eq 0 ] || exit 1
}

it_fail() {
	it_log "FAIL: $*"
	IT_FAILED=1
	exit 1
}

it_pass() {
	it_log "PASS"
	exit 0
}

# it_begin NAME: temp folder, test PKI, traps.
it_begin() {
	IT_NAME=$1
	IT_DIR=$(mktemp -d "/tmp/vfio-migd-it.XXXXXX")
	trap it_cleanup EXIT
	trap 'IT_FAILED=1; exit 1' INT TERM
	"$SRCDIR/tests/pki/make-pki.sh" "$IT_DIR/pki" >/dev/null || it_fail "make-pki.sh failed"
}

# it_config HOST CERTNAME [EXTRA_INI_LINES...]: writes $IT_DIR/HOST.conf. The daemon listens on
# 127.0.0.1 port 0 (the kernel picks; it_port reads it from the log), trusts hosta and hostb.
it_config() {
	host=$1 cert=$2
	shift 2
	pki=$IT_DIR/pki
	{
		printf '[daemon]\nlog_level = debug\nlog_target = stderr\nhost_identity = %s\n' "$host"
		printf '[control]\nsocket = %s/%s.sock\ngroup =\n' "$IT_DIR" "$host"
		printf '[peer]\nlisten = 127.0.0.1:0\n'
		printf 'keepalive_interval = 1s\nkeepalive_count = 3\nhandshake_timeout = 3s\n'
		printf '[tls]\nca = %s/ca.crt\ncert = %s/%s.crt\nkey = %s/%s.key\n' \
			"$pki" "$pki" "$cert" "$pki" "$cert"
		printf 'allow = dns:hosta.test dns:hostb.test\n'
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$IT_DIR/$host.conf"
}

# it_start HOST [ARGS...]: starts vfio-migd -c HOST.conf, waits until it says it is ready.
it_start() {
	host=$1
	shift
	"$VFIO_MIGD" -c "$IT_DIR/$host.conf" "$@" >"$IT_DIR/$host.log" 2>&1 &
	pid=$!
	IT_PIDS="$IT_PIDS $pid"
	eval "IT_PID_$host=$pid"
	it_wait_log "$host" "ready:" 10 || it_fail "$host did not become ready"
}

it_pid() { eval "echo \$IT_PID_$1"; }

# it_port HOST: the peer port the daemon bound.
it_port() {
	sed -n 's/.*peer listener 127\.0\.0\.1:\([0-9]*\): listening.*/\1/p' "$IT_DIR/$1.log" | head -n 1
}

# it_wait_log HOST PATTERN SECONDS: waits for an extended regex in the host's log.
it_wait_log() {
	end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$end" ]; do
		grep -Eq -- "$2" "$IT_DIR/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# it_wait_file FILE PATTERN [SECONDS]: waits (default 5 s) for an extended regex in FILE.
# For files written a moment after the event they record, such as socat's copy of the
# NOTIFY_SOCKET datagrams (a forked child writes each one): never grep those just once.
it_wait_file() {
	wf_end=$(($(date +%s) + ${3:-5}))
	while [ "$(date +%s)" -le "$wf_end" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# it_expect_log HOST PATTERN [SECONDS]: fails the test unless the pattern shows up.
it_expect_log() {
	it_wait_log "$1" "$2" "${3:-5}" || it_fail "$1: no log line matching '$2'"
}

# it_ctl HOST OP [key=value...]: runs ctlprobe against the host; output in $IT_OUT, status in $IT_RC.
it_ctl() {
	host=$1
	shift
	IT_OUT=$("$CTLPROBE" "$IT_DIR/$host.sock" "$@" 2>&1)
	IT_RC=$?
}

# it_ok HOST OP ...: it_ctl and fail unless the reply is OK.
it_ok() {
	it_ctl "$@"
	[ "$IT_RC" -eq 0 ] || it_fail "ctlprobe $*: expected OK, got ($IT_RC): $IT_OUT"
}

# it_err HOST CODE OP ...: it_ctl and fail unless the reply is the error CODE.
it_err() {
	host=$1 code=$2
	shift 2
	it_ctl "$host" "$@"
	[ "$IT_RC" -eq 1 ] || it_fail "ctlprobe $*: expected error $code, got ($IT_RC): $IT_OUT"
	printf '%s\n' "$IT_OUT" | grep -q "^error=$code" ||
		it_fail "ctlprobe $*: expected error $code, got: $IT_OUT"
}

# it_round_trip HOST OP...: the time one control round trip takes, in ms, into $IT_DIR/rtt; the reply in $IT_OUT. ctlprobe
# measures it from its connect to the reply (-r): the daemon's answer time, without the
# probe's own start, which a loaded machine (or a sanitizer build) stretches by itself
it_round_trip() {
	host=$1
	shift
	IT_OUT=$("$CTLPROBE" -r "$IT_DIR/$host.sock" "$@" 2>&1)
	IT_RC=$?
	[ "$IT_RC" -eq 0 ] || it_fail "ctlprobe $*: expected OK, got ($IT_RC): $IT_OUT"
	rtt=$(it_get probe_rtt_ms)
	[ -n "$rtt" ] || it_fail "ctlprobe -r printed no probe_rtt_ms: $IT_OUT"
	echo "$rtt" >"$IT_DIR/rtt"
}

# it_has TEXT PATTERN: fails unless TEXT matches the extended regex.
it_has() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || it_fail "expected '$2' in: $1"
}

# it_probe HOST CERT ACTION...: peerprobe to the host's peer port as CERT; output in $IT_OUT.
it_probe() {
	host=$1 cert=$2
	shift 2
	pki=$IT_DIR/pki
	IT_OUT=$("$PEERPROBE" 127.0.0.1 "$(it_port "$host")" "$pki/ca.crt" "$pki/$cert.crt" \
		"$pki/$cert.key" "dns:$host.test" "$@" 2>&1)
	IT_RC=$?
}

# it_alive HOST: the daemon still runs and answers on its control socket.
it_alive() {
	kill -0 "$(it_pid "$1")" 2>/dev/null || it_fail "$1 is not running any more"
	it_ok "$1" info
}

# ---- migrations (it_migrate*.sh) ----

# it_get KEY: the value of the first KEY= line in $IT_OUT.
it_get() {
	printf '%s\n' "$IT_OUT" | sed -n "s/^$1=//p" | head -n 1
}

# it_expect KEY VALUE: fails unless $IT_OUT has KEY=VALUE (VALUE an extended regex).
it_expect() {
	printf '%s\n' "$IT_OUT" | grep -Eq -- "^$1=($2)\$" ||
		it_fail "expected $1=$2, got '$(it_get "$1")' in: $IT_OUT"
}

# it_prepare DEST DEVICES [ARGS...]: prepare_incoming on DEST for source hosta; sets IT_TOKEN
# and IT_DJOB (the destination job).
it_prepare() {
	host=$1 devs=$2
	shift 2
	it_ok "$host" prepare source=dns:hosta.test devices="$devs" "$@"
	IT_TOKEN=$(it_get token)
	IT_DJOB=$(it_get job_id)
}

# it_migrate SRC DEST MAP [ARGS...]: migrate from SRC to DEST with $IT_TOKEN; sets IT_JOB.
it_migrate() {
	src=$1 dst=$2 map=$3
	shift 3
	it_ok "$src" migrate peer=127.0.0.1:"$(it_port "$dst")" token="$IT_TOKEN" map="$map" "$@"
	IT_JOB=$(it_get job_id)
}

# it_wait_job HOST JOB [SECONDS]: waits until the job finished; $IT_OUT holds its status.
it_wait_job() {
	secs=${3:-30}
	IT_OUT=$("$CTLPROBE" -t $((secs + 5)) "$IT_DIR/$1.sock" job-wait job="$2" \
		timeout=$((secs * 1000)) 2>&1)
	IT_RC=$?
	[ "$IT_RC" -eq 0 ] || it_fail "$1: job $2 did not finish within ${secs}s: $IT_OUT"
}

# it_wait_phase HOST JOB PHASE [SECONDS]: polls the job until it is in PHASE (a regex).
it_wait_phase() {
	end=$(($(date +%s) + ${4:-10}))
	while [ "$(date +%s)" -le "$end" ]; do
		it_ctl "$1" job-status job="$2"
		printf '%s\n' "$IT_OUT" | grep -Eq "^phase=($3)\$" && return 0
		sleep 0.05
	done
	it_fail "$1: job $2 never reached phase $3: $IT_OUT"
}

# it_digest HOST DEVICE: prints the device's content digest.
it_digest() {
	it_ok "$1" device-info id="$2"
	it_get digest
}

# it_device HOST DEVICE STATE [OWNER]: fails unless the device is in STATE (and OWNER job).
it_device() {
	it_ok "$1" device-info id="$2"
	it_expect state "$3"
	[ -z "${4:-}" ] || it_expect owner_job "$4"
}

# it_device_free HOST DEVICE STATE: fails unless the device is in STATE and no job holds it.
it_device_free() {
	it_ok "$1" device-info id="$2"
	it_expect owner_job 0
	it_expect state "$3"
}

# it_finished_ms HOST JOB: the job's finished_at_ms (Unix ms), 0 while it runs.
it_finished_ms() {
	it_ok "$1" job-status job="$2"
	it_get finished_at_ms
}

# it_now_ms: Unix time in milliseconds.
it_now_ms() { date +%s%3N; }

# ---- network namespaces (it_migrate_netcut.sh) ----

# it_netns_pair NSA NSB ADDRA ADDRB: two fresh network namespaces joined by a veth pair,
# "vma" in NSA with ADDRA/24 and "vmb" in NSB with ADDRB/24, loopback up in both; they are
# deleted at exit. (The daemons' peer-connect is the reachability check: no ping here.) The test is skipped (exit 77) when namespaces cannot be made here.
it_netns_pair() {
	ip netns add "$1" 2>/dev/null || { it_log "SKIP: cannot create network namespaces"; exit 77; }
	IT_NETNS="$IT_NETNS $1"
	ip netns add "$2" || it_fail "ip netns add $2"
	IT_NETNS="$IT_NETNS $2"
	ip link add vma netns "$1" type veth peer name vmb netns "$2" ||
		it_fail "cannot make a veth pair between $1 and $2"
	ip -n "$1" addr add "$3/24" dev vma || it_fail "address $3"
	ip -n "$2" addr add "$4/24" dev vmb || it_fail "address $4"
	for ns in "$1" "$2"; do ip -n "$ns" link set lo up; done
	ip -n "$1" link set vma up || it_fail "vma up"
	ip -n "$2" link set vmb up || it_fail "vmb up"
}

# it_listen_on HOST ADDR: makes HOST.conf listen on ADDR (port 0) instead of loopback.
it_listen_on() {
	sed -i "s/^listen = 127\.0\.0\.1:0$/listen = $2:0/" "$IT_DIR/$1.conf"
}

# it_port_at HOST ADDR: the peer port the daemon bound on ADDR.
it_port_at() {
	sed -n "s/.*peer listener ${2//./\\.}:\([0-9]*\): listening.*/\1/p" "$IT_DIR/$1.log" |
		head -n 1
}

# it_start_in NS HOST [ARGS...]: it_start inside network namespace NS (the control socket is
# a file, so ctlprobe reaches it from anywhere).
it_start_in() {
	ns=$1 host=$2
	shift 2
	ip netns exec "$ns" "$VFIO_MIGD" -c "$IT_DIR/$host.conf" "$@" >"$IT_DIR/$host.log" 2>&1 &
	pid=$!
	IT_PIDS="$IT_PIDS $pid"
	eval "IT_PID_$host=$pid"
	it_wait_log "$host" "ready:" 10 || it_fail "$host did not become ready in $ns"
}
