#!/bin/bash
# vfio-migctl against real daemons: every subcommand once, human and --json output (each
# JSON document validated), --help of every command, the exit codes of the command line
# contract (usage 2, no daemon 3, no permission 3, daemon refusal 1, job FAILED 4, job
# CANCELLED 5, timeout 6, Ctrl-C 130), a full migration with migrate --wait (plain progress
# lines when not a terminal, then the summary) whose digests match, a job cancelled from a
# second vfio-migctl while the first waits, the terminal progress display under script(1),
# and Ctrl-C on a job watch that is not on a terminal (detach, the job keeps running), also
# while the daemon is stopped (Ctrl-C must not wait for -t); TERM=dumb gets plain lines.
. "$(dirname "$0")/lib.sh"
it_begin migctl

[ -n "${VFIO_MIGCTL:-}" ] && [ -x "$VFIO_MIGCTL" ] || it_fail "VFIO_MIGCTL is not set"

# mc HOST ARGS...: runs vfio-migctl against HOST; stdout in $MC_OUT, stderr in $MC_ERR,
# exit code in $MC_RC.
mc() {
	host=$1
	shift
	MC_OUT=$("$VFIO_MIGCTL" -s "$IT_DIR/$host.sock" "$@" 2>"$IT_DIR/mc.err")
	MC_RC=$?
	MC_ERR=$(cat "$IT_DIR/mc.err")
	cat "$IT_DIR/mc.err" >>"$IT_DIR/migctl.log" # sanitizer reports fail the test (lib.sh)
}

# mc_rc CODE HOST ARGS...: mc and fail unless it exits CODE.
mc_rc() {
	want=$1
	shift
	mc "$@"
	[ "$MC_RC" -eq "$want" ] ||
		it_fail "vfio-migctl $*: expected exit $want, got $MC_RC: $MC_OUT / $MC_ERR"
}

# sigint_caught PID: waits (5 s at most) until the process has its SIGINT handler in place
# (SigCgt in /proc), so that a Ctrl-C sent next tests the handler, not how fast the process
# got that far on a loaded machine (before it, SIGINT kills it: also exit 130, no message).
sigint_caught() {
	for _ in $(seq 100); do
		cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
		[ -n "$cgt" ] && [ $((0x$cgt & 2)) -ne 0 ] && return 0
		sleep 0.05
	done
	it_fail "process $1 never caught SIGINT"
}

# JSON is read with perl's JSON::PP (what json_pp uses; perl is on every Debian system).
perl -MJSON::PP -e 1 2>/dev/null || { it_log "SKIP: perl's JSON::PP is needed to read JSON"; exit 77; }

# json_ok TEXT: fails unless TEXT is one valid JSON document.
json_ok() {
	printf '%s\n' "$1" | perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' 2>/dev/null ||
		it_fail "not JSON: $1"
}

# json_get TEXT PATH: a value from a JSON document; PATH as in '["devices"][0]["state"]'.
# Booleans print as true/false.
json_get() {
	path=$(printf '%s' "$2" | sed -e 's/\["\([^"]*\)"\]/{"\1"}/g')
	printf '%s\n' "$1" | perl -MJSON::PP -e 'local $/; my $v = decode_json(<STDIN>);
		my $r = eval "\$v->$ARGV[0]"; print ref($r) ? ($r ? "true" : "false") : $r, "\n"' \
		"$path"
}

# mcj CODE HOST ARGS...: mc_rc with --json, and the output must be valid JSON.
mcj() {
	want=$1 host=$2
	shift 2
	mc_rc "$want" "$host" --json "$@"
	json_ok "$MC_OUT"
}

it_config hosta hosta \
	'[device "s0"]' 'backend = sim' 'spec = size=4M,dirty_rate=1M,seed=7' \
	'[device "s1"]' 'backend = sim' 'spec = size=1M,seed=41,corrupt_at=300000' \
	'[device "s2"]' 'backend = sim' 'spec = size=8M,seed=21'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=4M' \
	'[device "d1"]' 'backend = sim' 'spec = size=1M' \
	'[device "d2"]' 'backend = sim' 'spec = size=8M'
it_start hosta
it_start hostb
peer_b=127.0.0.1:$(it_port hostb)

# ---- --help for every command: exit 0, names its options ----
help_has() {
	out=$("$VFIO_MIGCTL" "$@" --help 2>&1) || it_fail "vfio-migctl $* --help exited $?"
	it_has "$out" "^Usage: vfio-migctl"
}
help_has
for c in info status "device list" "device info" "device remove" "device set-state" \
	"peer list" "job list" "job status" "job watch" "job cancel" "job switchover" \
	"job resume" "job bandwidth"; do
	# shellcheck disable=SC2086
	help_has $c
done
help_has device add; for o in --id --path --pci --mdev --sim --fd; do it_has "$out" -- "$o"; done
help_has peer connect; it_has "$out" -- --expect-host
help_has prepare; for o in --source --device --expiry; do it_has "$out" -- "$o"; done
help_has migrate
for o in --peer --token --map --metadata --downtime-limit --bandwidth --no-precopy \
	--switchover --resume --timeout --wait; do it_has "$out" -- "$o"; done
help_has job wait; it_has "$out" -- --timeout
help_has job metadata; it_has "$out" -- --output
help_has events; it_has "$out" -- --job
out=$("$VFIO_MIGCTL" device --help) || it_fail "device --help"
it_has "$out" 'set-state'

# ---- usage errors: exit 2 ----
mc_rc 2 hosta
mc_rc 2 hosta frobnicate
it_has "$MC_ERR" "unknown command 'frobnicate'"
mc_rc 2 hosta device
mc_rc 2 hosta device info
mc_rc 2 hosta device info a b
mc_rc 2 hosta device set-state s0 sideways
it_has "$MC_ERR" "'sideways' is not a state"
mc_rc 2 hosta device add --sim size=1M --pci 0000:00:01.0
mc_rc 2 hosta job status abc
mc_rc 2 hosta job bandwidth 1 fast
mc_rc 2 hosta migrate --peer "$peer_b" --token x --map s0
it_has "$MC_ERR" "expected SRC=DST"
mc_rc 2 hosta migrate --peer "$peer_b" --map s0=d0
mc_rc 2 hosta --bogus info
mc_rc 2 hosta prepare --device d0
mcj 2 hosta job status 0
[ "$(json_get "$MC_OUT" '["error"]["code"]')" = USAGE ] || it_fail "usage JSON: $MC_OUT"

# ---- cannot reach the daemon: exit 3 with what to do ----
MC_OUT=$("$VFIO_MIGCTL" -s "$IT_DIR/nothing.sock" info 2>&1)
[ $? -eq 3 ] || it_fail "missing socket: expected exit 3: $MC_OUT"
it_has "$MC_OUT" "daemon not running\? no socket at $IT_DIR/nothing.sock; start it with systemctl start vfio-migd"
MC_OUT=$(VFIOMIG_SOCKET="$IT_DIR/nothing.sock" "$VFIO_MIGCTL" --json device list 2>/dev/null)
[ $? -eq 3 ] || it_fail "missing socket (env): expected exit 3"
json_ok "$MC_OUT"
it_has "$MC_OUT" '"code": ?"NOT_RUNNING"'
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 0755 "$IT_DIR"
	chmod 0600 "$IT_DIR/hosta.sock"
	MC_OUT=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$VFIO_MIGCTL" \
		-s "$IT_DIR/hosta.sock" info 2>&1)
	rc=$?
	chmod 0700 "$IT_DIR"
	[ $rc -eq 3 ] || it_fail "socket without permission: expected exit 3, got $rc: $MC_OUT"
	it_has "$MC_OUT" "permission denied on $IT_DIR/hosta.sock: join the group .* or run as root"
else
	it_log "note: not root or no setpriv: the permission case is skipped"
fi

# ---- info, status, devices, peers ----
mc_rc 0 hosta info
it_has "$MC_OUT" '^host identity: +hosta'
it_has "$MC_OUT" '^tls: +READY'
it_has "$MC_OUT" "^listen: +127\.0\.0\.1:$(it_port hosta)"
mcj 0 hosta info
[ "$(json_get "$MC_OUT" '["tls"]["state"]')" = READY ] || it_fail "info JSON: $MC_OUT"
[ "$(json_get "$MC_OUT" '["tls"]["identity"]')" = dns:hosta.test ] || it_fail "info JSON: $MC_OUT"
[ "$(json_get "$MC_OUT" '["device_count"]')" = 3 ] || it_fail "info JSON: $MC_OUT"
mc_rc 0 hosta device list
it_has "$MC_OUT" '^ID +KIND +STATE'
it_has "$MC_OUT" '^s0 +SIM +RUNNING +-'
mcj 0 hosta device list
[ "$(json_get "$MC_OUT" '["devices"][0]["state"]')" = RUNNING ] || it_fail "$MC_OUT"
mc_rc 0 hosta -q device list
[ "$(printf '%s\n' "$MC_OUT" | tr '\n' ' ')" = "s0 s1 s2 " ] || it_fail "-q device list: $MC_OUT"
mc_rc 0 hosta device info s0
it_has "$MC_OUT" '^state: +RUNNING'
it_has "$MC_OUT" '^digest: +[0-9a-f]{64}$'
mcj 0 hosta device info s0
it_has "$MC_OUT" '"digest": ?"[0-9a-f]{64}"'
mc_rc 1 hosta device info nosuch
it_has "$MC_ERR" 'device info nosuch: NOT_FOUND: .*nosuch'
it_has "$MC_ERR" 'vfio-migctl device list'
mcj 1 hosta device info nosuch
[ "$(json_get "$MC_OUT" '["error"]["code"]')" = NOT_FOUND ] || it_fail "$MC_OUT"
[ "$(json_get "$MC_OUT" '["error"]["errno"]')" = 2 ] || it_fail "$MC_OUT"
mc_rc 0 hosta device add --id x0 --sim size=64K
it_has "$MC_OUT" '^id: +x0'
mc_rc 1 hosta device add --id x0 --sim size=64K
it_has "$MC_ERR" 'ALREADY_EXISTS'
mcj 0 hosta device set-state x0 STOP
[ "$(json_get "$MC_OUT" '["state"]')" = STOP ] || it_fail "$MC_OUT"
mc_rc 0 hosta device set-state x0 running
it_has "$MC_OUT" '^state: +RUNNING'
mcj 0 hosta device remove x0
[ "$(json_get "$MC_OUT" '["removed"]')" = x0 ] || it_fail "$MC_OUT"
mc_rc 1 hosta device remove x0
mc_rc 0 hosta peer list
it_has "$MC_OUT" 'no peer links'
mc_rc 0 hosta peer connect "$peer_b"
it_has "$MC_OUT" '^state: +READY'
it_has "$MC_OUT" '^identity: +dns:hostb.test'
mcj 0 hosta peer list
[ "$(json_get "$MC_OUT" '["peers"][0]["state"]')" = READY ] || it_fail "$MC_OUT"
mc_rc 1 hosta -t 10 peer connect 127.0.0.1:1
it_has "$MC_ERR" 'PEER_UNREACHABLE'
# a certificate problem on the peer link, as the daemon reports it: hostc presents a valid
# certificate whose identity is not on hosta's allow-list
it_config hostc intruder
it_start hostc
mc_rc 1 hosta -t 10 peer connect 127.0.0.1:"$(it_port hostc)"
it_has "$MC_ERR" "peer connect 127\.0\.0\.1:[0-9]+: TLS_FAILED: .*intruder"
it_has "$MC_ERR" 'hint: a certificate problem on the peer link'
mcj 1 hosta -t 10 peer connect 127.0.0.1:"$(it_port hostc)"
[ "$(json_get "$MC_OUT" '["error"]["code"]')" = TLS_FAILED ] || it_fail "$MC_OUT"
it_has "$(json_get "$MC_OUT" '["error"]["hint"]')" 'certificate problem'
mc_rc 0 hosta status
it_has "$MC_OUT" '^vfio-migd .* on hosta'
it_has "$MC_OUT" '^TLS: +READY'
it_has "$MC_OUT" '^peers: +1 link'
it_has "$MC_OUT" '^devices: +3, RUNNING 3 \(s0 s1 s2\)'
it_has "$MC_OUT" '^jobs: +0 active, 0 finished'
mcj 0 hosta status
[ "$(json_get "$MC_OUT" '["devices_by_state"]["RUNNING"]')" = 3 ] || it_fail "$MC_OUT"

# ---- a full migration: prepare on the destination, migrate --wait on the source ----
mc_rc 0 hostb prepare --source dns:hosta.test --device d0 --expiry 60
it_has "$MC_OUT" '^token: +[0-9a-f]{32}$'
djob=$(printf '%s\n' "$MC_OUT" | sed -n 's/^job: *//p')
mcj 0 hostb job status "$djob"
[ "$(json_get "$MC_OUT" '["phase"]')" = WAITING ] || it_fail "$MC_OUT"
mc_rc 0 hostb job cancel "$djob"
mcj 0 hostb prepare --source dns:hosta.test --device d0 --expiry 60
token=$(json_get "$MC_OUT" '["token"]')
djob=$(json_get "$MC_OUT" '["job_id"]')
printf 'vmm-config-blob' >"$IT_DIR/meta.bin"
mc_rc 0 hosta migrate --peer "$peer_b" --token "$token" --map s0=d0 \
	--metadata s0="$IT_DIR/meta.bin" --downtime-limit 300 --bandwidth 2M --wait
job=$(printf '%s\n' "$MC_OUT" | sed -n 's/^job \([0-9]*\): migrating.*/\1/p')
[ -n "$job" ] || it_fail "no job id in: $MC_OUT"
it_has "$MC_OUT" "^job $job: PRECOPY .* \( *[0-9]+%\) .*B/s ETA"
it_has "$MC_OUT" "^job $job COMPLETED: elapsed .*, downtime [0-9]+ ms, throughput .*B/s, .* sent"
it_has "$MC_OUT" '^  s0 -> d0  STOP  [0-9.]+ MiB sent, [0-9.]+ MiB acked, 0 B left'
mcj 0 hosta job status "$job"
[ "$(json_get "$MC_OUT" '["phase"]')" = COMPLETED ] || it_fail "$MC_OUT"
[ "$(json_get "$MC_OUT" '["devices"][0]["source_id"]')" = s0 ] || it_fail "$MC_OUT"
[ "$(json_get "$MC_OUT" '["bandwidth_bps"]')" = 2097152 ] || it_fail "$MC_OUT"
mc_rc 0 hostb job wait "$djob" --timeout 10
it_has "$MC_OUT" "^job $djob COMPLETED"
mcj 0 hostb job wait "$djob"
[ "$(json_get "$MC_OUT" '["devices"][0]["state"]')" = RUNNING ] || it_fail "$MC_OUT"
da=$(it_digest hosta s0)
db=$(it_digest hostb d0)
[ -n "$da" ] && [ "$da" = "$db" ] || it_fail "digests differ: source $da, destination $db"
mc_rc 0 hostb job metadata "$djob" d0
[ "$MC_OUT" = vmm-config-blob ] || it_fail "metadata: '$MC_OUT'"
mc_rc 0 hostb job metadata "$djob" s0 -o "$IT_DIR/meta.out"
cmp -s "$IT_DIR/meta.bin" "$IT_DIR/meta.out" || it_fail "metadata file differs"
mcj 0 hostb job metadata "$djob" d0
[ "$(json_get "$MC_OUT" '["length"]')" = 15 ] || it_fail "$MC_OUT"
mc_rc 1 hosta job cancel "$job"
it_has "$MC_ERR" 'INVALID_ARGUMENT'

# ---- back again with manual resume, migrate --wait --json in the background ----
mc_rc 0 hosta -q prepare --source dns:hostb.test --device s0
token=$MC_OUT
"$VFIO_MIGCTL" -s "$IT_DIR/hostb.sock" --json migrate --peer 127.0.0.1:"$(it_port hosta)" \
	--token "$token" --map d0=s0 --no-precopy --resume manual --wait >"$IT_DIR/back.json" 2>&1 &
back=$!
end=$(($(date +%s) + 10))
until [ "$("$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" -q job list | tail -n 1)" != "$job" ] &&
	mc_rc 0 hosta -q job status "$("$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" -q job list | tail -n 1)" &&
	[ "$MC_OUT" = RESUME_PENDING ]; do
	[ "$(date +%s)" -le "$end" ] || it_fail "the destination job never reached RESUME_PENDING"
	sleep 0.1
done
rjob=$("$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" -q job list | tail -n 1)
mc_rc 0 hosta job resume "$rjob"
it_has "$MC_OUT" "^job $rjob: resume requested"
wait "$back" || it_fail "migrate --wait --json back: exit $?: $(cat "$IT_DIR/back.json")"
json_ok "$(cat "$IT_DIR/back.json")"
[ "$(json_get "$(cat "$IT_DIR/back.json")" '["phase"]')" = COMPLETED ] ||
	it_fail "$(cat "$IT_DIR/back.json")"
[ "$(json_get "$(cat "$IT_DIR/back.json")" '["resume"]')" = manual ] ||
	it_fail "$(cat "$IT_DIR/back.json")"
mcj 0 hosta job watch "$rjob"
[ "$(json_get "$MC_OUT" '["role"]')" = DESTINATION ] || it_fail "$MC_OUT"
it_device_free hosta s0 RUNNING

# ---- device add --fd: an fd of vfio-migctl that is not a VFIO device; a closed one ----
MC_OUT=$("$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" device add --id f0 --fd 7 7</dev/null 2>&1)
[ $? -eq 1 ] || it_fail "device add --fd of /dev/null: expected exit 1: $MC_OUT"
mc_rc 2 hosta device add --fd 77
it_has "$MC_ERR" 'not an open file descriptor'
mc_rc 0 hosta job list
it_has "$MC_OUT" "^$job +SOURCE +COMPLETED"
mcj 0 hosta job list
[ "$(json_get "$MC_OUT" '["jobs"][0]["role"]')" = SOURCE ] || it_fail "$MC_OUT"
mc_rc 1 hosta job status 999
it_has "$MC_ERR" 'NOT_FOUND'

# ---- a failed job: the source stream is corrupted, the destination rejects it: exit 4 ----
token=$("$VFIO_MIGCTL" -s "$IT_DIR/hostb.sock" -q prepare --source dns:hosta.test --device d1)
[ ${#token} -eq 32 ] || it_fail "prepare -q: '$token'"
mc_rc 4 hosta migrate --peer "$peer_b" --token "$token" --map s1=d1 --wait
it_has "$MC_OUT" 'FAILED'
it_has "$MC_OUT" 'error: +DEVICE_FAILED \(device s1\): the destination could not load device s1'
job=$(printf '%s\n' "$MC_OUT" | sed -n 's/^job \([0-9]*\): migrating.*/\1/p')
mcj 0 hosta job status "$job"
[ "$(json_get "$MC_OUT" '["error"]["code"]')" = DEVICE_FAILED ] || it_fail "$MC_OUT"
mcj 4 hosta job wait "$job"
[ "$(json_get "$MC_OUT" '["phase"]')" = FAILED ] || it_fail "$MC_OUT"
it_device_free hosta s1 RUNNING

# ---- a cancelled job: job wait in one vfio-migctl, job cancel from another: exit 5 ----
mc_rc 0 hostb -q prepare --source dns:hosta.test --device d2
token=$MC_OUT
mc_rc 0 hosta -q migrate --peer "$peer_b" --token "$token" --map s2=d2 --bandwidth 1M
job=$MC_OUT
"$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" job wait "$job" >"$IT_DIR/wait.out" 2>&1 &
waiter=$!
mc_rc 6 hosta job wait "$job" --timeout 1
it_has "$MC_ERR" "timed out waiting for job $job"
mc_rc 0 hosta job bandwidth "$job" 2M
it_has "$MC_OUT" 'bandwidth cap 2.00 MiB/s'
mc_rc 1 hosta job resume "$job"
mc_rc 0 hosta job cancel "$job"
wait "$waiter"
rc=$?
[ $rc -eq 5 ] || it_fail "job wait of a cancelled job: expected exit 5, got $rc: $(cat "$IT_DIR/wait.out")"
it_has "$(cat "$IT_DIR/wait.out")" "^job $job CANCELLED"
it_device_free hosta s2 RUNNING

# ---- events: one JSON object per line; Ctrl-C ends them ----
"$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" --json events >"$IT_DIR/events.json" 2>&1 &
evp=$!
"$VFIO_MIGCTL" -s "$IT_DIR/hostb.sock" events --job 1 >"$IT_DIR/events.txt" 2>&1 &
evt=$!
sleep 0.5

# ---- the terminal display, under script(1): a redrawn block with a bar and an ETA ----
mc_rc 0 hostb -q prepare --source dns:hosta.test --device d0
token=$MC_OUT
mc_rc 0 hosta -q migrate --peer "$peer_b" --token "$token" --map s0=d0 --bandwidth 2M
job=$MC_OUT
if command -v script >/dev/null 2>&1; then
	script -qec "$VFIO_MIGCTL -s $IT_DIR/hosta.sock job watch $job" /dev/null \
		>"$IT_DIR/tty.out" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 0 ] || it_fail "job watch on a terminal: exit $rc: $(cat "$IT_DIR/tty.out")"
	tty_out=$(cat "$IT_DIR/tty.out")
	it_has "$tty_out" '\[#+\.*\] '
	it_has "$tty_out" 'ETA'
	printf '%s' "$tty_out" | grep -q $'\033\[[0-9]*A' || it_fail "no redraw on a terminal"
	it_has "$tty_out" "job $job COMPLETED"
else
	it_log "note: no script(1): the terminal display is not checked"
	mc_rc 0 hosta job wait "$job"
fi

kill -INT "$evp" "$evt"
wait "$evp"
rc=$?
[ $rc -eq 130 ] || it_fail "events after Ctrl-C: exit $rc"
wait "$evt"
while read -r line; do json_ok "$line"; done <"$IT_DIR/events.json"
it_has "$(cat "$IT_DIR/events.json")" "\"kind\": ?\"FINISHED\",\"job_id\": ?$job"
it_has "$(cat "$IT_DIR/events.json")" '"kind": ?"PROGRESS"'
it_has "$(cat "$IT_DIR/events.txt")" 'following the events of one job'

# ---- Ctrl-C on job watch that is not on a terminal: detach, exit 130, the job runs on ----
mc_rc 0 hostb -q prepare --source dns:hosta.test --device d2
token=$MC_OUT
mc_rc 0 hosta -q migrate --peer "$peer_b" --token "$token" --map s2=d2 --bandwidth 1M
job=$MC_OUT
"$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" job watch "$job" >"$IT_DIR/watch.out" 2>&1 </dev/null &
watcher=$!
"$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" --json job watch "$job" >"$IT_DIR/watch.json" \
	2>/dev/null </dev/null &
jwatcher=$!
it_wait_phase hosta "$job" PRECOPY 10
it_wait_file "$IT_DIR/watch.out" "^job $job: PRECOPY" 10 || it_fail "job watch never showed PRECOPY"
sigint_caught "$watcher"
sigint_caught "$jwatcher"
kill -INT "$watcher" "$jwatcher"
wait "$jwatcher"
rc=$?
[ $rc -eq 130 ] || it_fail "job watch --json after Ctrl-C: exit $rc: $(cat "$IT_DIR/watch.json")"
json_ok "$(cat "$IT_DIR/watch.json")"
[ "$(json_get "$(cat "$IT_DIR/watch.json")" '["error"]["code"]')" = INTERRUPTED ] ||
	it_fail "job watch --json after Ctrl-C: $(cat "$IT_DIR/watch.json")"
wait "$watcher"
rc=$?
watch_out=$(cat "$IT_DIR/watch.out")
[ $rc -eq 130 ] || it_fail "job watch after Ctrl-C: expected exit 130, got $rc: $watch_out"
it_has "$watch_out" "^job $job: PRECOPY"
it_has "$watch_out" "^vfio-migctl: job $job keeps running; follow it with: vfio-migctl -s $IT_DIR/hosta.sock job watch $job; cancel it with: vfio-migctl -s $IT_DIR/hosta.sock job cancel $job"
mc_rc 0 hosta -q job status "$job"
[ "$MC_OUT" = PRECOPY ] || it_fail "the job did not keep running: $MC_OUT"
mc_rc 0 hosta job switchover "$job"
mc_rc 0 hosta job cancel "$job"
mc_rc 5 hosta job watch "$job"
it_has "$MC_OUT" "^job $job CANCELLED"

# ---- TERM=dumb on a terminal: plain lines, no cursor movement ----
if command -v script >/dev/null 2>&1; then
	TERM=dumb script -qec "$VFIO_MIGCTL -s $IT_DIR/hosta.sock job watch $job" /dev/null \
		>"$IT_DIR/dumb.out" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 5 ] || it_fail "job watch with TERM=dumb: exit $rc: $(cat "$IT_DIR/dumb.out")"
	! grep -q $'\033\[' "$IT_DIR/dumb.out" || it_fail "TERM=dumb: escape sequences written"
	it_has "$(cat "$IT_DIR/dumb.out")" "job $job CANCELLED"
fi

# ---- Ctrl-C while the daemon does not answer (stopped): exit 130 at once, not at -t ----
kill -STOP "$(it_pid hosta)"
"$VFIO_MIGCTL" -s "$IT_DIR/hosta.sock" -t 6 job watch "$job" >"$IT_DIR/frozen.out" 2>&1 \
	</dev/null &
fw=$!
sigint_caught "$fw"
sleep 0.2 # into the blocking call
t0=$(date +%s%N)
kill -INT "$fw"
sleep 0.3
kill -INT "$fw" 2>/dev/null
wait "$fw"
rc=$?
t1=$(date +%s%N)
kill -CONT "$(it_pid hosta)"
[ $rc -eq 130 ] || it_fail "Ctrl-C with a stopped daemon: expected exit 130, got $rc: $(cat "$IT_DIR/frozen.out")"
[ $(((t1 - t0) / 1000000)) -lt 3000 ] ||
	it_fail "Ctrl-C with a stopped daemon took $(((t1 - t0) / 1000000)) ms"
it_has "$(cat "$IT_DIR/frozen.out")" "job $job keeps running"
mc_rc 5 hosta job watch "$job"
it_pass
