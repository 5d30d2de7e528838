#!/bin/bash
# The TLS negative list on a real daemon's peer port: no client certificate, a certificate
# from another CA, an expired one, an identity not on the allow-list, a plaintext client and a
# TLS 1.2-only client. Each is refused with a precise log line while the daemon keeps serving
# (a good link made first stays up, and a new good link still works afterwards).
. "$(dirname "$0")/lib.sh"
it_begin tls_reject

it_config hosta hosta
it_config hostb hostb
it_start hosta
it_start hostb
pb=$(it_port hostb)
pki=$IT_DIR/pki
it_ok hosta peer-connect address=127.0.0.1:"$pb"

# s_client ARGS...: one TLS attempt against hostb's peer port, nothing sent
s_client() {
	timeout 10 openssl s_client -connect 127.0.0.1:"$pb" -CAfile "$pki/ca.crt" "$@" \
		</dev/null >>"$IT_DIR/s_client.out" 2>&1
}

# expect_refusal N PATTERN: the Nth refusal line in hostb's log matches PATTERN
count_refusals() { grep -c 'TLS handshake failed' "$IT_DIR/hostb.log"; }

n=$(count_refusals)
s_client -tls1_3
it_expect_log hostb "TLS handshake failed.*(no certificate|did not return a certificate|certificate required)"

s_client -tls1_3 -cert "$pki/other.crt" -key "$pki/other.key"
it_expect_log hostb "TLS handshake failed.*unable to get local issuer certificate|TLS handshake failed.*unknown ca"

s_client -tls1_3 -cert "$pki/expired.crt" -key "$pki/expired.key"
it_expect_log hostb "TLS handshake failed.*certificate has expired"

s_client -tls1_3 -cert "$pki/intruder.crt" -key "$pki/intruder.key"
it_expect_log hostb "TLS handshake failed.*dns:intruder.test.*allow-list"

s_client -tls1_2 -cert "$pki/hosta.crt" -key "$pki/hosta.key"
it_expect_log hostb "TLS handshake failed.*(unsupported protocol|TLS 1\.3)"

printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 socat - TCP:127.0.0.1:"$pb" >/dev/null 2>&1
it_expect_log hostb "TLS handshake failed.*(wrong version number|not speaking TLS)"

[ "$(count_refusals)" -ge $((n + 6)) ] || it_fail "expected six refusals, log has $(count_refusals)"

# the daemon kept serving: the old link is up, a new one works
it_alive hostb
it_ok hostb peer-list
it_has "$IT_OUT" 'state=READY$'
it_config hostc hosta
it_start hostc
it_ok hostc peer-connect address=127.0.0.1:"$pb"
it_has "$IT_OUT" '^state=READY$'
it_pass
