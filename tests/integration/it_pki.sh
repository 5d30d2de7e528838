#!/bin/bash
# The site PKI procedure of vfio-migd(8), CERTIFICATES, with packaging/vfio-migd-pki: a CA,
# one certificate per host with the SANs the allow-list matches. Two daemons with those
# certificates link up and migrate a device (digest equal on both sides); a daemon holding a
# certificate for an allowed name but from another CA is refused, and so is one whose
# certificate the site CA revoked (crl.pem). The script's own refusals are checked too.
. "$(dirname "$0")/lib.sh"
it_begin pki

pkiscript=$SRCDIR/packaging/vfio-migd-pki
site=$IT_DIR/site
other=$IT_DIR/other

"$pkiscript" init-ca "$site" --cn "test site CA" >"$IT_DIR/pki.out" || it_fail "init-ca failed"
for h in hosta.site hostb.site hostc.site; do
	"$pkiscript" host "$site" "$h" --ip 127.0.0.1 --ip ::1 >>"$IT_DIR/pki.out" ||
		it_fail "host $h failed"
done
grep -q '^    dns:hosta\.site$' "$IT_DIR/pki.out" || it_fail "host printed no dns: entry"
grep -q '^    uri:vfio-migd://hosta\.site$' "$IT_DIR/pki.out" || it_fail "host printed no uri: entry"
grep -Eq '^    sha256:[0-9a-f]{64}$' "$IT_DIR/pki.out" || it_fail "host printed no sha256: entry"
[ "$(stat -c %a "$site/private/ca.key")" = 600 ] || it_fail "the CA key is not 0600"
[ "$(stat -c %a "$site/hosts/hosta.site/key.pem")" = 600 ] || it_fail "a host key is not 0600"
cp "$site/crl.pem" "$IT_DIR/crl-before.pem"
"$pkiscript" revoke "$site" hostc.site >>"$IT_DIR/pki.out" || it_fail "revoke failed"
hostc_dir=$(echo "$site"/hosts/hostc.site.revoked-*)
[ -f "$hostc_dir/cert.pem" ] || it_fail "the revoked certificate was not kept aside"
"$pkiscript" init-ca "$other" >/dev/null || it_fail "init-ca (other) failed"
"$pkiscript" host "$other" hostb.site --ip 127.0.0.1 >/dev/null || it_fail "host (other) failed"

# the script's refusals: exit 2 for usage, 1 for what cannot be done, each saying why
out=$("$pkiscript" host "$site" '*.site' 2>&1) && it_fail "a wildcard name was accepted"
it_has "$out" "'\*\.site' is not a DNS name"
out=$("$pkiscript" host "$site" hosta.site 2>&1) && it_fail "a second hosta.site was issued"
it_has "$out" "exists; 'vfio-migd-pki revoke .* hosta.site' first"
out=$("$pkiscript" init-ca "$site" 2>&1) && it_fail "init-ca overwrote a CA"
it_has "$out" 'already holds a CA'
out=$("$pkiscript" host "$IT_DIR/nothing" x 2>&1) && it_fail "host without a CA succeeded"
it_has "$out" 'holds no CA'
"$pkiscript" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || it_fail "an unknown command did not exit 2"
# show agrees with the fingerprint openssl prints
fp=$(openssl x509 -in "$site/hosts/hosta.site/cert.pem" -noout -fingerprint -sha256 |
	sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')
"$pkiscript" show "$site/hosts/hosta.site/cert.pem" | grep -qx "sha256:$fp" ||
	it_fail "show does not print the certificate's fingerprint"

# pki_config HOST CERTDIR CADIR DEVICE SEED [CRL]: a daemon configuration from a CA's files
pki_config() {
	{
		printf '[daemon]\nlog_level = debug\nlog_target = stderr\nhost_identity = %s\n' "$1"
		printf '[control]\nsocket = %s/%s.sock\ngroup =\n' "$IT_DIR" "$1"
		printf '[peer]\nlisten = 127.0.0.1:0\nhandshake_timeout = 3s\n'
		printf '[tls]\nca = %s/ca.crt\ncrl = %s\n' "$3" "${6:-$3/crl.pem}"
		printf 'cert = %s/cert.pem\nkey = %s/key.pem\n' "$2" "$2"
		printf 'allow = dns:hosta.site dns:hostb.site dns:hostc.site\n'
		printf '[device "%s"]\nbackend = sim\nspec = size=2M,seed=%s\n' "$4" "$5"
	} >"$IT_DIR/$1.conf"
}

pki_config hosta "$site/hosts/hosta.site" "$site" s0 17
pki_config hostb "$site/hosts/hostb.site" "$site" d0 1
it_start hosta
it_start hostb
it_ok hosta peer-connect address=127.0.0.1:"$(it_port hostb)"
it_has "$IT_OUT" '^state=READY$'
it_has "$IT_OUT" '^identity=dns:hostb\.site$'
it_ok hostb prepare source=dns:hosta.site devices=d0
IT_TOKEN=$(it_get token)
IT_DJOB=$(it_get job_id)
before=$(it_digest hosta s0)
it_migrate hosta hostb s0:d0
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
[ "$(it_digest hostb d0)" = "$before" ] || it_fail "the destination content differs"

# another CA, an allowed name: refused on both ends
pki_config hostx "$other/hosts/hostb.site" "$other" x0 2
it_start hostx
it_ctl hosta peer-connect address=127.0.0.1:"$(it_port hostx)"
[ "$IT_RC" -eq 1 ] || it_fail "a peer with another CA's certificate was accepted: $IT_OUT"
it_has "$IT_OUT" '^error=TLS_FAILED'
it_expect_log hosta 'unable to get local issuer certificate|unknown ca|certificate verify failed'
it_ctl hostx peer-connect address=127.0.0.1:"$(it_port hosta)"
[ "$IT_RC" -eq 1 ] || it_fail "hosta accepted a link from another CA's certificate: $IT_OUT"
it_expect_log hosta 'TLS handshake failed.*(unable to get local issuer certificate|unknown ca|self-signed certificate in certificate chain)'

# the revoked host: its certificate is the site's, but crl.pem lists it (hostc itself still
# has the CRL from before, or it would refuse to start with its own revoked certificate)
pki_config hostc "$hostc_dir" "$site" c0 3 "$IT_DIR/crl-before.pem"
it_start hostc
it_ctl hostc peer-connect address=127.0.0.1:"$(it_port hosta)"
[ "$IT_RC" -eq 1 ] || it_fail "hosta accepted a revoked certificate: $IT_OUT"
it_expect_log hosta 'TLS handshake failed.*certificate revoked'
it_alive hosta
it_pass
