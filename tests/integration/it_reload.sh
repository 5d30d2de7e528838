#!/bin/bash
# SIGHUP reload: new certificates are used for new connections while an existing link stays
# up; a broken reload is refused and the last good material stays in force.
. "$(dirname "$0")/lib.sh"
it_begin reload
pki=$IT_DIR/pki

it_config hosta hosta
it_config hostb hostb
it_start hosta
it_start hostb
pb=$(it_port hostb)
it_ok hosta peer-connect address=127.0.0.1:"$pb"
old=$(printf '%s\n' "$IT_OUT" | sed -n 's/^fingerprint=//p')

# a new certificate for hostb from the same CA, written over the configured files
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=hostb \
	-keyout "$IT_DIR/new.key" -out "$IT_DIR/new.csr" >/dev/null 2>&1 || it_fail "openssl req"
printf 'subjectAltName=DNS:hostb.test,URI:vfio-migd://hostb,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n' >"$IT_DIR/ext"
openssl x509 -req -in "$IT_DIR/new.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
	-CAcreateserial -days 30 -extfile "$IT_DIR/ext" -out "$IT_DIR/new.crt" >/dev/null 2>&1 ||
	it_fail "openssl x509"
new=$(openssl x509 -in "$IT_DIR/new.crt" -outform DER | sha256sum | cut -d' ' -f1)
[ "$new" != "$old" ] || it_fail "new certificate has the old fingerprint"
cp "$IT_DIR/new.crt" "$pki/hostb.crt"
cp "$IT_DIR/new.key" "$pki/hostb.key"
kill -HUP "$(it_pid hostb)"
it_expect_log hostb 'reload: configuration applied'

# a new connection sees the new certificate ...
it_config hostc hosta
it_start hostc
it_ok hostc peer-connect address=127.0.0.1:"$pb"
it_has "$IT_OUT" "^fingerprint=$new$"
# ... while the link made before the reload is still up and keeps its certificate
sleep 2
it_ok hosta peer-list
it_has "$IT_OUT" '^peers=1$'
it_has "$IT_OUT" 'state=READY$'
it_has "$IT_OUT" "fingerprint=$old$"

# a broken certificate file: the reload is refused, the last good material stays
echo garbage >"$pki/hostb.crt"
kill -HUP "$(it_pid hostb)"
it_expect_log hostb 'reload refused'
it_config hostd hosta
it_start hostd
it_ok hostd peer-connect address=127.0.0.1:"$pb"
it_has "$IT_OUT" "^fingerprint=$new$"
it_alive hostb
it_pass
