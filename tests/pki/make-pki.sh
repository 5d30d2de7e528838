#!/bin/sh
# make-pki.sh OUTDIR - throwaway test certificates for vfio-migd (unit and integration tests).
#
# Never use these anywhere but tests: the private keys sit next to the certificates.
# Needs only the openssl CLI (3.0). Every run regenerates everything (fresh keys, same file
# names), so it is idempotent; it takes well under a second. On success it prints the files it
# made, one per line, and nothing else; on failure it prints the openssl output and exits 1.
# Keys are mode 0600, certificates and the CRL 0644. All keys are ECDSA P-256.
#
# What it makes in OUTDIR (NAME.crt + NAME.key for every certificate):
#   ca          the test CA ("vfio-migd test CA"), valid 10 years
#   crl.pem     CRL of the test CA, valid 10 years; revokes "revoked"
#   hosta       host certificate: SAN DNS hosta.test, URI vfio-migd://hosta,
#   hostb         IP 127.0.0.1, ::1 and 10.99.0.1 (hosta) / 10.99.0.2 (hostb);
#               extendedKeyUsage serverAuth + clientAuth (a daemon both listens and connects)
#   expired     test CA, hosta's names, valid only during January 2020
#   future      test CA, hosta's names, valid only from 2099
#   wrong       test CA, SAN DNS wrong.test, URI vfio-migd://wrong (no IPs)
#   intruder    test CA, SAN DNS intruder.test, URI vfio-migd://intruder, IPs 127.0.0.1, ::1:
#               a valid certificate whose identity no test allow-list names
#   revoked     test CA, hosta's names, revoked in crl.pem
#   serveronly  test CA, hosta's names, extendedKeyUsage serverAuth only (unfit for a daemon)
#   other-ca    a second, unrelated CA
#   other       issued by other-ca, claiming hosta's names (an impostor from another CA)
# A TLS 1.2-only peer needs no certificate of its own: tests build it with OpenSSL directly.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.make-pki.XXXXXX")
log=$work/log
trap 'rm -rf "$work"' EXIT
umask 077

run() {
	if ! "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		echo "make-pki.sh: failed: $*" >&2
		exit 1
	fi
}

hosta_san="DNS:hosta.test,URI:vfio-migd://hosta,IP:127.0.0.1,IP:::1,IP:10.99.0.1"
hostb_san="DNS:hostb.test,URI:vfio-migd://hostb,IP:127.0.0.1,IP:::1,IP:10.99.0.2"

# One openssl config for both CAs: "openssl ca" keeps the index the CRL is generated from.
cat >"$work/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ host_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
[ serveronly_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
EOF
export OPENSSL_CONF="$work/openssl.cnf"
export SAN=unused CADIR=unused

newkey() {
	run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key"
}

# make_ca NAME CN
make_ca() {
	mkdir -p "$work/$1/new"
	: >"$work/$1/index.txt"
	echo 1000 >"$work/$1/serial"
	echo 1000 >"$work/$1/crlnumber"
	newkey "$1"
	run openssl req -new -x509 -key "$work/$1.key" -subj "/CN=$2" -days 3650 \
		-extensions ca_ext -out "$work/$1.crt"
	cp "$work/$1.crt" "$work/$1/ca.crt"
	cp "$work/$1.key" "$work/$1/ca.key"
}

# issue CA NAME SAN EXTENSIONS [openssl ca validity options...]
issue() {
	ca=$1 name=$2 san=$3 ext=$4
	shift 4
	newkey "$name"
	run openssl req -new -key "$work/$name.key" -subj "/CN=$name" -out "$work/$name.csr"
	CADIR="$work/$ca" SAN="$san" run openssl ca -batch -notext -extensions "$ext" \
		-in "$work/$name.csr" -out "$work/$name.crt" "$@"
}

make_ca ca "vfio-migd test CA"
make_ca other-ca "unrelated test CA"
issue ca hosta "$hosta_san" host_ext
issue ca hostb "$hostb_san" host_ext
issue ca expired "$hosta_san" host_ext -startdate 20200101000000Z -enddate 20200201000000Z
issue ca future "$hosta_san" host_ext -startdate 20990101000000Z -enddate 20991231000000Z
issue ca wrong "DNS:wrong.test,URI:vfio-migd://wrong" host_ext
issue ca intruder "DNS:intruder.test,URI:vfio-migd://intruder,IP:127.0.0.1,IP:::1" host_ext
issue ca revoked "$hosta_san" host_ext
issue ca serveronly "$hosta_san" serveronly_ext
issue other-ca other "$hosta_san" host_ext
CADIR="$work/ca" run openssl ca -revoke "$work/revoked.crt" -crl_reason keyCompromise
CADIR="$work/ca" run openssl ca -gencrl -out "$work/crl.pem"

made=""
for n in ca other-ca hosta hostb expired future wrong intruder revoked serveronly other; do
	chmod 0644 "$work/$n.crt"
	chmod 0600 "$work/$n.key"
	made="$made $n.crt $n.key"
done
chmod 0644 "$work/crl.pem"
made="$made crl.pem"
for f in $made; do
	mv -f "$work/$f" "$out/$f"
	echo "$out/$f"
done
