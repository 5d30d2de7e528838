#!/bin/bash
# bench-migrate.sh - the migration benchmark of issue #4: real vfio-migd daemons migrate sim
# devices over TLS 1.3 on loopback, interleaved with a socat OPENSSL baseline that moves the
# same number of bytes with the same certificates and the same TLS 1.3 cipher suite.
#
#   tests/bench/bench-migrate.sh [BUILD_DIR]          (default: build/ under the source root)
#
# Environment (all optional):
#   BENCH_SIZES="1G 4G"      device sizes (K/M/G suffixes, binary)
#   BENCH_RUNS=5             runs per size (daemon and socat alternate who goes first)
#   BENCH_PRECOPY_SIZE=1G    the pre-copy run's device size
#   BENCH_DIRTY_RATE=64M     its dirty rate, bytes per second
#   BENCH_DOWNTIME_MS=300    its downtime limit
#   BENCH_SOCAT_BLOCK=       socat -b (block size); empty = socat's default (8192)
#   BENCH_KEEP=1             keep the work folder (logs) instead of removing it
#   BENCH_PERF=DIR           record both daemons with perf (-g) per size into DIR/perf-SIZE.data
#                            (profiling only: perf's overhead is in that run's numbers)
#
# It builds nothing: BUILD_DIR must hold daemon/vfio-migd, tests/integration/ctlprobe and
# tests/bench/stream_bench. Per size it starts two fresh daemons (so VmHWM is that size's
# peak), and per run: adds a sim device on each side (no pre-copy, dirty rate 0, so the
# measured part is the stop-copy stream), prepares, migrates, waits for both jobs, and checks
# that the destination's content digest equals the source's. It measures the job's stream
# throughput (bytes / first stream start to last stream end, from job-status), its own wall
# clock (migrate request to job-wait returning), the CPU of both daemons (utime + stime from
# /proc/PID/stat) and, per size, both daemons' VmHWM. The socat baseline is an OPENSSL-LISTEN
# server writing to /dev/null and an OPENSSL client reading the same byte count from
# /dev/zero; its wall clock runs from the client's start to the server's exit, its CPU is both
# processes' user + system time (/usr/bin/time). The ratios use the job's stream throughput.
#
# Exit status: 0 when every run moved the right bytes; 1 on a broken run (failed migration,
# digest mismatch, socat failure, wrong TLS version or suite); 2 on a usage or setup error.
# Performance numbers are reported, never asserted.
#
# shellcheck shell=bash disable=SC2317,SC2154,SC2015

set -u

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCDIR/build}
SIZES=${BENCH_SIZES:-1G 4G}
RUNS=${BENCH_RUNS:-5}
PRE_SIZE=${BENCH_PRECOPY_SIZE:-1G}
DIRTY=${BENCH_DIRTY_RATE:-64M}
DOWNTIME=${BENCH_DOWNTIME_MS:-300}
SOCAT_BLOCK=${BENCH_SOCAT_BLOCK:-}
PERF_DIR=${BENCH_PERF:-}

VFIO_MIGD=$BUILD/daemon/vfio-migd
CTLPROBE=$BUILD/tests/integration/ctlprobe
STREAM_BENCH=$BUILD/tests/bench/stream_bench
TICK=$(getconf CLK_TCK)
DIR=""
PIDS=""
BROKEN=0

say() { printf '%s\n' "$*"; }
die() {
	say "bench-migrate: $*" >&2
	exit 2
}
broken() {
	say "bench-migrate: BROKEN RUN: $*" >&2
	BROKEN=1
	exit 1
}

cleanup() {
	for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	if [ "$BROKEN" -ne 0 ] && [ -n "$DIR" ]; then
		for f in "$DIR"/*.log; do
			[ -f "$f" ] || continue
			say "----- $f" >&2
			tail -n 30 "$f" >&2
		done
	fi
	if [ -n "$DIR" ] && [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "bench-migrate: logs kept in $DIR" >&2
	elif [ -n "$DIR" ]; then
		rm -rf "$DIR"
	fi
}

# bytes SIZE: a K/M/G size in bytes.
bytes() {
	case "$1" in
	*[kK]) echo $((${1%?} << 10)) ;;
	*[mM]) echo $((${1%?} << 20)) ;;
	*[gG]) echo $((${1%?} << 30)) ;;
	*) echo $(($1)) ;;
	esac
}

now_ns() { date +%s%N; }

# cpu_ticks PID: utime + stime of the whole process (every thread), in clock ticks. The
# command name is skipped first: it sits in parentheses and could hold spaces.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# kib FIELD PID: a kB field of /proc/PID/status (VmHWM, VmRSS).
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

# median of the arguments (the middle one, or the mean of the middle two).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# fmt FORMAT EXPR: awk arithmetic, printed with FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---- daemons ----

# config HOST: HOST.conf, listening on 127.0.0.1 port 0, trusting hosta and hostb.
config() {
	pki=$DIR/pki
	{
		printf '[daemon]\nlog_level = info\nlog_target = stderr\nhost_identity = %s\n' "$1"
		printf '[control]\nsocket = %s/%s.sock\ngroup =\n' "$DIR" "$1"
		printf '[peer]\nlisten = 127.0.0.1:0\n'
		printf '[tls]\nca = %s/ca.crt\ncert = %s/%s.crt\nkey = %s/%s.key\n' \
			"$pki" "$pki" "$1" "$pki" "$1"
		printf 'allow = dns:hosta.test dns:hostb.test\n'
	} >"$DIR/$1.conf"
}

# wait_log FILE PATTERN SECONDS
wait_log() {
	end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$end" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start HOST TAG: a fresh daemon; sets PID_HOST; its log is HOST-TAG.log.
start() {
	log=$DIR/$1-$2.log
	"$VFIO_MIGD" -c "$DIR/$1.conf" >"$log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$1=$pid LOG_$1=$log"
	wait_log "$log" "ready:" 10 || broken "$1 did not become ready (log: $log)"
}

stop() {
	pid=$(eval "echo \$PID_$1")
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PIDS=$(for p in $PIDS; do [ "$p" = "$pid" ] || printf '%s ' "$p"; done)
}

port() {
	sed -n 's/.*peer listener 127\.0\.0\.1:\([0-9]*\): listening.*/\1/p' \
		"$(eval "echo \$LOG_$1")" | head -n 1
}

# ctl HOST OP ...: ctlprobe; the reply in $OUT; a broken run unless the reply is OK.
ctl() {
	host=$1
	shift
	OUT=$("$CTLPROBE" -t 600 "$DIR/$host.sock" "$@" 2>&1) ||
		broken "ctlprobe $host $*: $OUT"
}

get() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -n 1; }

# job_wait HOST JOB: waits for the job; it must have completed.
job_wait() {
	ctl "$1" job-wait job="$2" timeout=590000
	[ "$(get phase)" = COMPLETED ] ||
		broken "$1 job $2 did not complete: $(get phase) $(get error_message)"
}

# migrate_once SRCDEV DSTDEV SIZE SEED [ARGS...]: one migration of a fresh pair of sim devices
# (the extra ARGS go to migrate); checks digests, removes the devices. Sets M_JOB_BPS,
# M_WALL_S, M_CPU_S (both daemons), M_BYTES, M_DOWNTIME, M_STATUS, M_GROW_A and M_GROW_B (kB
# the daemon's RSS peaked above its RSS with the devices added, i.e. what the migration itself
# took); raises M_RSS_A/B (RSS with the devices added) and M_GROWMAX_A/B to this run's values.
migrate_once() {
	sdev=$1 ddev=$2 msize=$3 seed=$4
	shift 4
	ctl hosta device-add id="$sdev" sim="size=$msize,seed=$seed,$SIM_EXTRA"
	ctl hostb device-add id="$ddev" sim="size=$msize"
	# VmHWM restarts from the current RSS, so after the job it is this migration's peak
	echo 5 >"/proc/$PID_hosta/clear_refs" && echo 5 >"/proc/$PID_hostb/clear_refs" ||
		broken "cannot reset VmHWM through /proc/PID/clear_refs"
	dev_rss_a=$(kib VmRSS "$PID_hosta") dev_rss_b=$(kib VmRSS "$PID_hostb")
	ctl hostb prepare source=dns:hosta.test devices="$ddev" expiry=600
	token=$(get token)
	djob=$(get job_id)
	c0=$(($(cpu_ticks "$PID_hosta") + $(cpu_ticks "$PID_hostb")))
	t0=$(now_ns)
	ctl hosta migrate peer=127.0.0.1:"$(port hostb)" token="$token" map="$sdev:$ddev" "$@"
	sjob=$(get job_id)
	job_wait hosta "$sjob"
	t1=$(now_ns)
	M_STATUS=$OUT
	job_wait hostb "$djob"
	c1=$(($(cpu_ticks "$PID_hosta") + $(cpu_ticks "$PID_hostb")))
	M_GROW_A=$(($(kib VmHWM "$PID_hosta") - dev_rss_a))
	M_GROW_B=$(($(kib VmHWM "$PID_hostb") - dev_rss_b))
	[ "$dev_rss_a" -gt "${M_RSS_A:-0}" ] && M_RSS_A=$dev_rss_a
	[ "$dev_rss_b" -gt "${M_RSS_B:-0}" ] && M_RSS_B=$dev_rss_b
	[ "$M_GROW_A" -gt "${M_GROWMAX_A:-0}" ] && M_GROWMAX_A=$M_GROW_A
	[ "$M_GROW_B" -gt "${M_GROWMAX_B:-0}" ] && M_GROWMAX_B=$M_GROW_B
	OUT=$M_STATUS
	M_JOB_BPS=$(get throughput_bps)
	M_BYTES=$(get device.0.bytes_sent)
	M_DOWNTIME=$(get downtime_ms)
	M_WALL_S=$(calc '%.3f' "($t1 - $t0) / 1e9")
	M_CPU_S=$(calc '%.2f' "($c1 - $c0) / $TICK")
	ctl hosta device-info id="$sdev"
	da=$(get digest)
	ctl hostb device-info id="$ddev"
	db=$(get digest)
	[ -n "$da" ] && [ "$da" = "$db" ] ||
		broken "digests differ after job $sjob: source $da, destination $db"
	ctl hosta device-remove id="$sdev"
	ctl hostb device-remove id="$ddev"
}

# ---- the socat baseline ----

# openssl_conf SUITE: an OpenSSL configuration for socat: TLS 1.3 only, that one suite.
# socat 1.7.4 has min/max-proto-version options but none for TLS 1.3 suites (its cipher=
# sets the TLS 1.2 list), so the suite is forced through OPENSSL_CONF's system_default.
openssl_conf() {
	cat >"$DIR/openssl-bench.cnf" <<EOF
openssl_conf = bench_conf
[bench_conf]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
MinProtocol = TLSv1.3
MaxProtocol = TLSv1.3
Ciphersuites = $1
EOF
}

# socat_once BYTES: one baseline transfer. Sets S_WALL_S, S_CPU_S.
socat_once() {
	n=$1 pki=$DIR/pki
	blk=${SOCAT_BLOCK:+-b $SOCAT_BLOCK}
	tls="cafile=$pki/ca.crt,openssl-min-proto-version=TLS1.3,openssl-max-proto-version=TLS1.3"
	for _ in 1 2 3 4 5; do
		p=$((20000 + RANDOM % 30000))
		: >"$DIR/socat-srv.log"
		# shellcheck disable=SC2086
		OPENSSL_CONF=$DIR/openssl-bench.cnf /usr/bin/time -f '%e %U %S' -o "$DIR/srv.time" \
			socat -d -d $blk -u "OPENSSL-LISTEN:$p,bind=127.0.0.1,reuseaddr,verify=1,$tls,cert=$pki/hostb.crt,key=$pki/hostb.key" \
			OPEN:/dev/null,wronly 2>"$DIR/socat-srv.log" &
		spid=$!
		if wait_log "$DIR/socat-srv.log" "listening on" 5; then break; fi
		wait "$spid" 2>/dev/null
		spid=""
	done
	[ -n "$spid" ] || broken "socat server did not listen: $(cat "$DIR/socat-srv.log")"
	t0=$(now_ns)
	# shellcheck disable=SC2086
	OPENSSL_CONF=$DIR/openssl-bench.cnf /usr/bin/time -f '%e %U %S' -o "$DIR/cli.time" \
		socat -d -d $blk -u OPEN:/dev/zero,readbytes="$n" \
		"OPENSSL:127.0.0.1:$p,$tls,commonname=hostb.test,cert=$pki/hosta.crt,key=$pki/hosta.key" \
		2>"$DIR/socat-cli.log" || broken "socat client failed: $(tail -n 5 "$DIR/socat-cli.log")"
	wait "$spid" || broken "socat server failed: $(tail -n 5 "$DIR/socat-srv.log")"
	t1=$(now_ns)
	for f in cli srv; do
		grep -q "SSL proto version used: TLSv1.3" "$DIR/socat-$f.log" ||
			broken "socat $f did not use TLS 1.3: $(grep -i 'ssl' "$DIR/socat-$f.log")"
		grep -q "SSL connection using $SUITE\$" "$DIR/socat-$f.log" ||
			broken "socat $f did not use $SUITE: $(grep 'connection using' "$DIR/socat-$f.log")"
	done
	S_WALL_S=$(calc '%.3f' "($t1 - $t0) / 1e9")
	S_CPU_S=$(cat "$DIR/cli.time" "$DIR/srv.time" | awk '{ c += $2 + $3 } END { printf "%.2f", c }')
}

# ---- the phases ----

# suite_probe: a small migration to learn the TLS version and suite the daemons negotiate
# (the dialing daemon logs them for every data stream).
suite_probe() {
	SIM_EXTRA="dirty_rate=0"
	migrate_once probe-s probe-d 16M 1 precopy=0
	line=$(grep -E 'data stream for job [0-9]+ device 0: connected' "$LOG_hosta" | tail -n 1)
	TLSVER=$(printf '%s\n' "$line" | sed -n 's/.*connected (\([^,]*\), \([^,]*\), kTLS.*/\1/p')
	SUITE=$(printf '%s\n' "$line" | sed -n 's/.*connected (\([^,]*\), \([^,]*\), kTLS.*/\2/p')
	[ "$TLSVER" = TLSv1.3 ] && [ -n "$SUITE" ] ||
		broken "cannot tell the data stream's TLS version and suite from: $line"
	openssl_conf "$SUITE"
}

# bench_size SIZE: fresh daemons, RUNS interleaved daemon and socat runs, peak RSS.
bench_size() {
	sz=$1 n=$(bytes "$1") sn=""
	start hosta "$sz"
	start hostb "$sz"
	rss0_a=$(kib VmRSS "$PID_hosta") rss0_b=$(kib VmRSS "$PID_hostb")
	[ -n "${SUITE:-}" ] || suite_probe
	SIM_EXTRA="dirty_rate=0"
	M_RSS_A=0 M_RSS_B=0 M_GROWMAX_A=0 M_GROWMAX_B=0
	perf_pid=""
	if [ -n "$PERF_DIR" ]; then
		perf record -q -F 999 -g -o "$PERF_DIR/perf-$sz.data" -p "$PID_hosta,$PID_hostb" \
			>"$DIR/perf.log" 2>&1 &
		perf_pid=$!
		sleep 1
	fi
	d_mbps="" d_wmbps="" d_cpu="" s_mbps="" s_cpu=""
	for r in $(seq 1 "$RUNS"); do
		# run 1 goes daemon first: its stream length (device bytes plus the sim stream's
		# page headers) is the byte count socat moves in every run
		order="daemon socat"
		[ $((r % 2)) -eq 0 ] && order="socat daemon"
		for what in $order; do
			if [ "$what" = daemon ]; then
				migrate_once "s$r" "d$r" "$sz" "$r" precopy=0
				[ -n "$sn" ] || sn=$M_BYTES
				[ "$M_BYTES" = "$sn" ] && [ "$sn" -ge "$n" ] ||
					broken "$sz run $r: $M_BYTES stream bytes, run 1 sent $sn"
				gib=$(calc '%.6f' "$sn / 1073741824")
				mb=$(calc '%.0f' "$M_JOB_BPS / 1e6")
				wmb=$(calc '%.0f' "$sn / $M_WALL_S / 1e6")
				cpu=$(calc '%.2f' "$M_CPU_S / $gib")
				d_mbps="$d_mbps $mb" d_wmbps="$d_wmbps $wmb" d_cpu="$d_cpu $cpu"
				say "  $sz run $r daemon: $mb MB/s (job), $wmb MB/s (wall ${M_WALL_S}s)," \
					"$cpu CPU s/GiB, RSS +$M_GROW_A/+$M_GROW_B kB"
			else
				socat_once "$sn"
				mb=$(calc '%.0f' "$sn / $S_WALL_S / 1e6")
				cpu=$(calc '%.2f' "$S_CPU_S / $gib")
				s_mbps="$s_mbps $mb" s_cpu="$s_cpu $cpu"
				say "  $sz run $r socat:  $mb MB/s (wall ${S_WALL_S}s), $cpu CPU s/GiB"
			fi
		done
	done
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid"
		say "  perf profile of both daemons: $PERF_DIR/perf-$sz.data"
	fi
	stop hosta
	stop hostb
	# shellcheck disable=SC2086
	{
		dm=$(median $d_mbps) dw=$(median $d_wmbps) dc=$(median $d_cpu)
		sm=$(median $s_mbps) sc=$(median $s_cpu)
	}
	ROWS_T="$ROWS_T$(printf '| %s | %.0f | %.0f | %.0f | %.2f | %.2f |' "$sz" "$dm" "$dw" "$sm" \
		"$(calc '%.4f' "$dm / $sm")" "$(calc '%.4f' "$dw / $sm")")
"
	ROWS_C="$ROWS_C$(printf '| %s | %.2f | %.2f | %.2f |' "$sz" "$dc" "$sc" \
		"$(calc '%.4f' "$dc / $sc")")
"
	ROWS_M="$ROWS_M$(printf '| %s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f |' "$sz" \
		"$(calc '%f' "$rss0_a / 1024")" "$(calc '%f' "$M_RSS_A / 1024")" \
		"$(calc '%f' "$M_GROWMAX_A / 1024")" "$(calc '%f' "$rss0_b / 1024")" \
		"$(calc '%f' "$M_RSS_B / 1024")" "$(calc '%f' "$M_GROWMAX_B / 1024")")
"
	ROWS_R="$ROWS_R| $sz | daemon job MB/s:$d_mbps; daemon wall MB/s:$d_wmbps; socat MB/s:$s_mbps; daemon CPU s/GiB:$d_cpu; socat CPU s/GiB:$s_cpu |
"
}

# bench_precopy: a pre-copy migration of a dirtying device with a downtime limit, RUNS times.
# Next to the measured downtime: the job's own estimate at convergence (remaining bytes /
# measured bandwidth, from its log) and the bytes that actually moved after convergence (final
# count minus the count in the CONVERGED event), i.e. what the downtime had to carry.
bench_precopy() {
	start hosta precopy
	start hostb precopy
	SIM_EXTRA="dirty_rate=$DIRTY"
	downs="" ests="" tails=""
	for r in $(seq 1 "$RUNS"); do
		: >"$DIR/events.txt"
		"$CTLPROBE" -t 600 "$DIR/hosta.sock" subscribe finished=1 >"$DIR/events.txt" 2>&1 &
		evpid=$!
		wait_log "$DIR/events.txt" "^error=OK" 10 || broken "event subscription failed"
		migrate_once "p$r" "q$r" "$PRE_SIZE" "$r" precopy=1 downtime="$DOWNTIME"
		wait "$evpid" || broken "events of job $sjob: $(cat "$DIR/events.txt")"
		est=$(grep -E "job $sjob: converged: estimated stop-copy time" "$LOG_hosta" |
			sed -n 's/.*estimated stop-copy time \([0-9]*\) ms.*/\1/p' | tail -n 1)
		at=$(sed -n 's/.*kind=CONVERGED .* bytes=\([0-9]*\).*/\1/p' "$DIR/events.txt")
		[ -n "$est" ] && [ -n "$at" ] ||
			broken "pre-copy job $sjob: no convergence estimate or CONVERGED event"
		tail_mb=$(calc '%.1f' "($M_BYTES - $at) / 1e6")
		downs="$downs $M_DOWNTIME" ests="$ests $est" tails="$tails $tail_mb"
		say "  pre-copy run $r: downtime $M_DOWNTIME ms (limit $DOWNTIME ms); estimate at" \
			"convergence $est ms; $tail_mb MB moved after convergence; $M_BYTES bytes in all"
	done
	stop hosta
	stop hostb
	# shellcheck disable=SC2086
	PRE_ROW="| $PRE_SIZE, dirty $DIRTY/s, limit $DOWNTIME ms | $(median $downs) | $(median $ests) | $(median $tails) | downtime:$downs; estimate:$ests; MB after:$tails |"
}

# bench_raw: the sim device's own stream read throughput (stream_bench --raw).
bench_raw() {
	for sz in $SIZES; do
		out=$("$STREAM_BENCH" --raw --runs "$RUNS" "$sz" 2>&1) ||
			broken "stream_bench --raw $sz: $out"
		m=$(printf '%s\n' "$out" | sed -n 's/^median of [0-9]*: \([0-9]*\) MB\/s.*/\1/p')
		say "  raw $sz: $m MB/s"
		RAW_ROW="$RAW_ROW| $sz | $m |
"
	done
}

# ---- main ----

for f in "$VFIO_MIGD" "$CTLPROBE" "$STREAM_BENCH"; do
	[ -x "$f" ] || die "$f is missing: build $BUILD first (meson setup + ninja)"
done
for t in socat /usr/bin/time openssl awk; do
	command -v "$t" >/dev/null 2>&1 || die "$t is missing (packaging/install-deps.sh installs it)"
done
case "$RUNS" in '' | *[!0-9]* | 0) die "BENCH_RUNS=$RUNS: a positive number" ;; esac
if [ -n "$PERF_DIR" ]; then
	command -v perf >/dev/null 2>&1 || die "BENCH_PERF needs perf (Debian: linux-perf)"
	mkdir -p "$PERF_DIR" && PERF_DIR=$(cd "$PERF_DIR" && pwd) || die "cannot use $PERF_DIR"
fi
for sz in $SIZES $PRE_SIZE; do
	case "$sz" in [0-9]*[kKmMgG] | [0-9]*) ;; *) die "bad size '$sz' (e.g. 256M, 1G)" ;; esac
done

DIR=$(mktemp -d "/tmp/vfio-migd-bench.XXXXXX")
trap cleanup EXIT
trap 'exit 1' INT TERM
"$SRCDIR/tests/pki/make-pki.sh" "$DIR/pki" >/dev/null || die "make-pki.sh failed"
config hosta
config hostb

say "bench-migrate: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), $(uname -r)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
btype=$(grep -o '"name": "buildtype", "value": "[a-z]*"' "$BUILD/meson-info/intro-buildoptions.json" \
	2>/dev/null | sed 's/.*"value": "//; s/"$//')
say "build: $BUILD (buildtype ${btype:-unknown})"
ROWS_T="" ROWS_C="" ROWS_M="" ROWS_R="" RAW_ROW="" PRE_ROW=""
for sz in $SIZES; do
	say "size $sz: $RUNS runs, daemon and socat interleaved"
	bench_size "$sz"
done
say "pre-copy: $PRE_SIZE device dirtying $DIRTY/s, downtime limit $DOWNTIME ms"
bench_precopy
say "sim device raw stream read (stream_bench --raw):"
bench_raw

say ""
say "TLS: daemon data streams $TLSVER $SUITE; socat forced to the same (OPENSSL_CONF), checked per run"
say "socat block size: ${SOCAT_BLOCK:-8192 (default)}; MB = 10^6 bytes; medians of $RUNS runs"
say ""
say "| size | daemon MB/s (job) | daemon MB/s (wall) | socat MB/s | ratio job/socat | ratio wall/socat |"
say "|---|---|---|---|---|---|"
printf '%s' "$ROWS_T"
say ""
say "| size | daemon CPU s/GiB (both daemons) | socat CPU s/GiB (both ends) | ratio |"
say "|---|---|---|---|"
printf '%s' "$ROWS_C"
say ""
say "| size | source MiB: RSS idle / with device (max) / migration peak above that (max) | destination MiB: same |"
say "|---|---|---|"
printf '%s' "$ROWS_M"
say ""
say "| pre-copy run | downtime ms | estimate ms (remaining / bandwidth at convergence) | MB moved after convergence | runs |"
say "|---|---|---|---|---|"
say "$PRE_ROW"
say ""
say "| size | sim device raw read MB/s (median) |"
say "|---|---|"
printf '%s' "$RAW_ROW"
say ""
say "all runs:"
printf '%s' "$ROWS_R"
exit 0
