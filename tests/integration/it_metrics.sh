#!/bin/bash
# The Prometheus endpoint ([daemon] metrics_listen) on two real daemons: scraped with curl
# before, during and after a pre-copy migration with a dirty rate. During it the source shows
# the job in PRECOPY and a byte counter that grows; after it the duration and downtime
# histograms count the job once with the job's own elapsed and downtime, and the byte counter
# equals the bytes the job reports. Refused TLS handshakes (a certificate from another CA, a
# plaintext client) count by reason; the certificate expiry gauge is the certificate's
# notAfter; other paths get 404, other methods 405; the output is well-formed.
. "$(dirname "$0")/lib.sh"
it_begin metrics

command -v curl >/dev/null || it_fail "curl is missing: run packaging/install-deps.sh"

it_config hosta hosta '[device "s0"]' 'backend = sim' 'spec = size=4M,dirty_rate=1M,seed=3'
it_config hostb hostb '[device "d0"]' 'backend = sim' 'spec = size=4M'
it_start hosta --set daemon.metrics_listen=127.0.0.1:0
it_start hostb --set daemon.metrics_listen=127.0.0.1:0
pki=$IT_DIR/pki

# mport HOST: the metrics port the daemon bound (port 0 in the config: the kernel picked it)
mport() {
	sed -n 's|.*metrics: serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' \
		"$IT_DIR/$1.log" | head -n 1
}
pa=$(mport hosta)
pb=$(mport hostb)
[ -n "$pa" ] && [ -n "$pb" ] || it_fail "no 'metrics: serving' line in the logs"

# scrape HOST: GET /metrics into $IT_DIR/HOST.prom, checked for well-formedness
scrape() {
	f=$IT_DIR/$1.prom
	code=$(curl -s -o "$f" -w '%{http_code} %{content_type}' --max-time 5 \
		"http://127.0.0.1:$(mport "$1")/metrics") || it_fail "$1: curl failed"
	[ "$code" = "200 text/plain; version=0.0.4; charset=utf-8" ] ||
		it_fail "$1: GET /metrics answered '$code'"
	bad=$(grep -Ev '^(# (HELP|TYPE) vfio_migd_[a-z_]+ .+|vfio_migd_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|\+Inf|NaN))$' "$f")
	[ -z "$bad" ] || it_fail "$1: malformed exposition lines: $bad"
}

# metric HOST 'name{labels}': the sample's value from the last scrape (fails if absent)
metric() {
	v=$(awk -v k="$2" '$1 == k { print $2 }' "$IT_DIR/$1.prom")
	[ -n "$v" ] || it_fail "$1: no sample $2 in: $(cat "$IT_DIR/$1.prom")"
	printf '%s\n' "$v"
}

# expect_metric HOST 'name{labels}' VALUE
expect_metric() {
	v=$(metric "$1" "$2")
	[ "$v" = "$3" ] || it_fail "$1: $2 is $v, expected $3"
}

# ---- before: idle daemons
scrape hosta
expect_metric hosta 'vfio_migd_devices{state="RUNNING"}' 1
expect_metric hosta 'vfio_migd_jobs{role="source",phase="PRECOPY"}' 0
expect_metric hosta 'vfio_migd_transferred_bytes_total{role="source"}' 0
expect_metric hosta 'vfio_migd_migration_duration_seconds_count{role="source"}' 0
expect_metric hosta 'vfio_migd_ktls_configured' 0
not_after=$(date -u -d "$(openssl x509 -noout -enddate -in "$pki/hosta.crt" | cut -d= -f2)" +%s)
expect_metric hosta 'vfio_migd_tls_certificate_expiry_timestamp_seconds' "$not_after"
grep -q '^# TYPE vfio_migd_migration_downtime_seconds histogram$' "$IT_DIR/hosta.prom" ||
	it_fail "no histogram TYPE line for the downtime"

# ---- during: a 2 MiB/s cap keeps the 4 MiB device in PRECOPY for about two seconds
it_prepare hostb d0 expiry=60
it_migrate hosta hostb s0:d0 downtime=300 bandwidth=2097152
it_wait_phase hosta "$IT_JOB" PRECOPY 10
scrape hosta
expect_metric hosta 'vfio_migd_jobs{role="source",phase="PRECOPY"}' 1
expect_metric hosta 'vfio_migd_devices{state="PRE_COPY"}' 1
expect_metric hosta 'vfio_migd_peer_links' 1
b1=$(metric hosta 'vfio_migd_transferred_bytes_total{role="source"}')
sleep 0.6
scrape hosta
b2=$(metric hosta 'vfio_migd_transferred_bytes_total{role="source"}')
[ "$b2" -gt "$b1" ] || it_fail "bytes transferred did not grow during pre-copy: $b1 -> $b2"
it_ctl hosta job-status job="$IT_JOB"
it_expect phase PRECOPY
scrape hostb
expect_metric hostb 'vfio_migd_jobs{role="destination",phase="PRECOPY"}' 1
expect_metric hostb 'vfio_migd_devices{state="RESUMING"}' 1

# ---- after: the histograms count the job once, the bytes are the job's
it_ok hosta job-bandwidth job="$IT_JOB" bps=0
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
sent=$(it_get device.0.bytes_sent)
elapsed=$(it_get elapsed_ms)
downtime=$(it_get downtime_ms)
scrape hosta
expect_metric hosta 'vfio_migd_jobs{role="source",phase="PRECOPY"}' 0
expect_metric hosta 'vfio_migd_migrations_total{role="source",result="completed"}' 1
expect_metric hosta 'vfio_migd_migrations_total{role="source",result="failed"}' 0
expect_metric hosta 'vfio_migd_transferred_bytes_total{role="source"}' "$sent"
expect_metric hosta 'vfio_migd_migration_duration_seconds_count{role="source"}' 1
expect_metric hosta 'vfio_migd_migration_duration_seconds_bucket{role="source",le="+Inf"}' 1
expect_metric hosta 'vfio_migd_migration_downtime_seconds_count{role="source"}' 1
expect_metric hosta 'vfio_migd_migration_duration_seconds_sum{role="source"}' \
	"$(awk -v v="$elapsed" 'BEGIN { printf "%.15g", v / 1000 }')"
expect_metric hosta 'vfio_migd_migration_downtime_seconds_sum{role="source"}' \
	"$(awk -v v="$downtime" 'BEGIN { printf "%.15g", v / 1000 }')"
# the job's duration falls in exactly the buckets at or above it
awk -v e="$elapsed" -F'[{}" ]+' '$1 == "vfio_migd_migration_duration_seconds_bucket" &&
	$3 == "source" && $5 != "+Inf" { want = (e / 1000 <= $5) ? 1 : 0;
	if ($6 != want) { print "le=" $5 ": " $6 " != " want; bad = 1 } } END { exit bad }' \
	"$IT_DIR/hosta.prom" || it_fail "duration buckets do not match elapsed_ms=$elapsed"
expect_metric hosta 'vfio_migd_devices{state="STOP"}' 1
it_wait_job hostb "$IT_DJOB" 10
scrape hostb
expect_metric hostb 'vfio_migd_migrations_total{role="destination",result="completed"}' 1
expect_metric hostb 'vfio_migd_migration_duration_seconds_count{role="destination"}' 1
expect_metric hostb 'vfio_migd_transferred_bytes_total{role="destination"}' "$sent"
expect_metric hostb 'vfio_migd_devices{state="RUNNING"}' 1

# ---- TLS handshake failures by reason, on hostb's peer port
scrape hostb
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="refused"}' 0
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="protocol"}' 0
peer=$(it_port hostb)
n=$(grep -c 'TLS handshake failed' "$IT_DIR/hostb.log")
timeout 10 openssl s_client -connect 127.0.0.1:"$peer" -CAfile "$pki/ca.crt" -tls1_3 \
	-cert "$pki/other.crt" -key "$pki/other.key" </dev/null >"$IT_DIR/s_client.out" 2>&1
it_wait_log hostb "TLS handshake failed.*(unable to get local issuer|unknown ca)" 5 ||
	it_fail "hostb did not refuse the certificate from another CA"
scrape hostb
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="refused"}' 1
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="protocol"}' 0
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 socat - TCP:127.0.0.1:"$peer" >/dev/null 2>&1
end=$(($(date +%s) + 5))
while [ "$(grep -c 'TLS handshake failed' "$IT_DIR/hostb.log")" -lt $((n + 2)) ]; do
	[ "$(date +%s)" -le "$end" ] || it_fail "hostb did not log the plaintext client's failure"
	sleep 0.05
done
scrape hostb
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="refused"}' 1
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="protocol"}' 1
expect_metric hostb 'vfio_migd_tls_handshake_failures_total{reason="timeout"}' 0
# the good link hosta made is not a failure anywhere
scrape hosta
expect_metric hosta 'vfio_migd_tls_handshake_failures_total{reason="refused"}' 0

# ---- HTTP rules
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$pa/")
[ "$code" = 404 ] || it_fail "GET / answered $code, expected 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$pa/metrics/x")
[ "$code" = 404 ] || it_fail "GET /metrics/x answered $code, expected 404"
hdr=$(curl -s -D - -o /dev/null -X POST --max-time 5 "http://127.0.0.1:$pa/metrics")
it_has "$hdr" '^HTTP/1\.1 405 '
it_has "$hdr" '^Allow: GET, HEAD'

# a non-loopback address is refused before anything starts
it_ctl hosta info
out=$("$VFIO_MIGD" -n -c "$IT_DIR/hosta.conf" --set daemon.metrics_listen=0.0.0.0:9474 2>&1) &&
	it_fail "vfio-migd -n accepted metrics_listen = 0.0.0.0:9474"
it_has "$out" "is not a loopback address"

it_alive hosta
it_alive hostb
it_pass
