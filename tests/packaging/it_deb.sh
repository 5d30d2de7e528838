#!/bin/bash
# it_deb.sh - the Debian packages (packaging/debian/): builds them with dpkg-buildpackage from
# a clean copy of the tree, checks that every file the packages promise is in the right
# package (and nothing is in two, and no test program is shipped), checks the maintainer
# scripts, runs lintian (report only, except for the errors listed as fatal), unpacks the
# packages into a throwaway root and runs what they hold there: vfio-migd --version and -n
# with the shipped configuration, vfio-migctl, and a program compiled against the -dev
# package's header and pkg-config file.
#
# The library and tool packages are expected once client/meson.build exists; before that the
# build uses the profile pkg.vfio-migd.noclient, which leaves them out.
#
# Environment: SRCDIR (the tree; default: two levels up), KEEP=1 keeps the scratch folder.
# Needs dpkg-dev, debhelper, fakeroot and the build dependencies (packaging/install-deps.sh);
# lintian if present. Takes 1-3 minutes (it builds the whole tree once).
set -u

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
NAME=it_deb
TMP=$(mktemp -d /tmp/vfio-migd-deb.XXXXXX)
FAILED=0

log() { printf '%s: %s\n' "$NAME" "$*"; }
fail() {
	log "FAIL: $*"
	FAILED=1
	exit 1
}
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	[ "$FAILED" -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'FAILED=1; exit 1' INT TERM

for tool in dpkg-buildpackage dpkg-deb dpkg-parsechangelog dh fakeroot pkg-config cc; do
	command -v "$tool" >/dev/null ||
		fail "$tool is missing: run packaging/install-deps.sh (dpkg-dev, debhelper, fakeroot)"
done

# ---- a clean copy: the files git knows (tracked and new, not ignored), else all but build*/
copy_tree() {
	mkdir -p "$TMP/src"
	if git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$SRCDIR" ls-files -z -co --exclude-standard |
			(cd "$SRCDIR" && while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done) |
			tar -C "$SRCDIR" --null -T - -cf - | tar -C "$TMP/src" -xf -
	else
		tar -C "$SRCDIR" --exclude='./build*' --exclude='./debian' -cf - . |
			tar -C "$TMP/src" -xf -
	fi || fail "cannot copy the tree"
	[ ! -e "$TMP/src/debian" ] || fail "the tree has a debian/ folder; packaging/debian is the one"
	cp -a "$TMP/src/packaging/debian" "$TMP/src/debian" || fail "cannot copy packaging/debian"
}
copy_tree

# ---- the changelog's version is the project's
want=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -n 1)
have=$(dpkg-parsechangelog -l "$TMP/src/debian/changelog" -S Version)
[ "${have%%-*}" = "$want" ] ||
	fail "debian/changelog says $have, meson.build says $want: add a changelog entry"

client=0
profile=""
if [ -f "$SRCDIR/client/meson.build" ]; then
	client=1
else
	profile="-Ppkg.vfio-migd.noclient"
	log "client/meson.build does not exist yet: building without the library and tool packages"
fi

# ---- build
log "dpkg-buildpackage -us -uc -b $profile (log: build.log)"
start=$(date +%s)
# shellcheck disable=SC2086
if ! (cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" nice dpkg-buildpackage -us -uc -b \
	$profile) >"$TMP/build.log" 2>&1; then
	grep -v '^\[[0-9]*/[0-9]*\] ' "$TMP/build.log" | tail -n 40
	fail "dpkg-buildpackage failed"
fi
log "built in $(($(date +%s) - start)) s"

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
pkgs="vfio-migd"
[ "$client" -eq 1 ] && pkgs="$pkgs libvfiomig0 libvfiomig-dev vfio-migctl"

deb() { printf '%s\n' "$TMP"/"$1"_*_"$ARCH".deb; }

for p in $pkgs; do
	[ -f "$(deb "$p")" ] || fail "package $p was not built: $(ls "$TMP")"
	# "./usr/sbin/vfio-migd" or "./usr/lib/x/libvfiomig.so -> libvfiomig.so.0"
	dpkg-deb -c "$(deb "$p")" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' |
		sed 's|^\./|/|' >"$TMP/$p.list" || fail "dpkg-deb -c $p failed"
done
for f in "$TMP"/*.deb; do
	b=$(basename "$f")
	case " $pkgs " in
	*" ${b%%_*} "*) ;;
	*) case "$b" in *-dbgsym_*) ;; *) fail "unexpected package $b" ;; esac ;;
	esac
done

# expect PKG PATTERN: a line of PKG's contents matches the extended regex (anchored)
expect() {
	grep -Eq -- "^$2\$" "$TMP/$1.list" || fail "$1 lacks $2; it holds:
$(grep -v '/$' "$TMP/$1.list")"
}

expect vfio-migd '/usr/sbin/vfio-migd'
expect vfio-migd '/etc/vfio-migd/vfio-migd\.conf'
expect vfio-migd '(/usr)?/lib/systemd/system/vfio-migd\.service'
expect vfio-migd '(/usr)?/lib/systemd/system/vfio-migd\.socket'
expect vfio-migd '/usr/lib/sysusers\.d/vfio-migd\.conf'
expect vfio-migd '/usr/share/man/man8/vfio-migd\.8\.gz'
expect vfio-migd '/usr/share/man/man5/vfio-migd\.conf\.5\.gz'
expect vfio-migd '/usr/share/man/man8/vfio-migd-pki\.8\.gz'
expect vfio-migd '/usr/share/doc/vfio-migd/examples/vfio-migd\.conf\.example'
expect vfio-migd '/usr/share/doc/vfio-migd/copyright'
expect vfio-migd '/usr/sbin/vfio-migd-pki'
if [ "$client" -eq 1 ]; then
	expect libvfiomig0 "/usr/lib/$MA/libvfiomig\.so\.0\.[0-9.]+"
	expect libvfiomig0 "/usr/lib/$MA/libvfiomig\.so\.0 -> libvfiomig\.so\.0\.[0-9.]+"
	expect libvfiomig-dev '/usr/include/vfiomig\.h'
	expect libvfiomig-dev "/usr/lib/$MA/libvfiomig\.so -> libvfiomig\.so\.0(\.[0-9.]+)?"
	expect libvfiomig-dev "/usr/lib/$MA/pkgconfig/libvfiomig\.pc"
	expect libvfiomig-dev '/usr/share/man/man3/libvfiomig\.3\.gz'
	expect libvfiomig-dev '/usr/share/doc/libvfiomig-dev/examples/vfiomig-migrate-example\.c'
	expect vfio-migctl '/usr/bin/vfio-migctl'
	expect vfio-migctl '/usr/share/man/man1/vfio-migctl\.1\.gz'
	! sed 's/ -> .*//' "$TMP/libvfiomig-dev.list" | grep -q 'libvfiomig\.so\.0' ||
		fail "libvfiomig-dev ships the shared library itself"
fi

# nothing in two packages, no test program or static library shipped
for p in $pkgs; do grep -v '/$' "$TMP/$p.list" | sed 's/ -> .*//'; done | sort | uniq -d >"$TMP/dups"
[ ! -s "$TMP/dups" ] || fail "files in two packages: $(cat "$TMP/dups")"
cat "$TMP"/*.list | grep -E '(ctlprobe|peerprobe|/test_|fuzz_|bench|\.a$)' >"$TMP/stray" &&
	fail "test programs or static libraries shipped: $(cat "$TMP/stray")"
log "contents OK: $pkgs"

# ---- maintainer scripts and metadata
dpkg-deb -e "$(deb vfio-migd)" "$TMP/ctrl" || fail "dpkg-deb -e vfio-migd failed"
grep -qx '/etc/vfio-migd/vfio-migd.conf' "$TMP/ctrl/conffiles" ||
	fail "vfio-migd: /etc/vfio-migd/vfio-migd.conf is not a conffile"
grep -q 'systemd-sysusers' "$TMP/ctrl/postinst" ||
	fail "vfio-migd: postinst does not create the vfio-migd group (systemd-sysusers)"
grep -q 'deb-systemd-helper.*vfio-migd\.socket' "$TMP/ctrl/postinst" ||
	fail "vfio-migd: postinst does not enable vfio-migd.socket"
grep -q 'deb-systemd-helper.*vfio-migd\.service' "$TMP/ctrl/postinst" ||
	fail "vfio-migd: postinst does not enable vfio-migd.service"
# the daemon is stopped on removal only: an upgrade must not cancel running migrations
if grep -q 'deb-systemd-invoke stop' "$TMP/ctrl/prerm" 2>/dev/null &&
	! grep -B3 'deb-systemd-invoke stop' "$TMP/ctrl/prerm" | grep -q '"$1" = remove'; then
	fail "vfio-migd: prerm stops the daemon on upgrade (running migrations would be cancelled)"
fi
grep -q 'deb-systemd-invoke restart' "$TMP/ctrl/postinst" &&
	fail "vfio-migd: postinst restarts the daemon (running migrations would be cancelled)"
dpkg-deb -f "$(deb vfio-migd)" Depends | grep -q 'libevent' ||
	fail "vfio-migd: Depends lacks the shared libraries (shlibs): $(dpkg-deb -f "$(deb vfio-migd)" Depends)"
if [ "$client" -eq 1 ]; then
	dpkg-deb -e "$(deb libvfiomig0)" "$TMP/ctrl-lib" || fail "dpkg-deb -e libvfiomig0 failed"
	grep -q '^libvfiomig 0 libvfiomig0' "$TMP/ctrl-lib/shlibs" ||
		fail "libvfiomig0: shlibs missing or wrong: $(cat "$TMP/ctrl-lib/shlibs" 2>&1)"
	dpkg-deb -f "$(deb vfio-migctl)" Depends | grep -q 'libvfiomig0' ||
		fail "vfio-migctl does not depend on libvfiomig0"
fi
log "maintainer scripts OK"

# ---- lintian: reported; an error tag fails unless it is listed here with the reason
# (none so far)
LINTIAN_ALLOWED_ERRORS=""
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$TMP"/*.changes >"$TMP/lintian.log" 2>&1
	sed 's/^/  lintian: /' "$TMP/lintian.log"
	grep '^E: ' "$TMP/lintian.log" | while read -r _ _ tag _; do
		case " $LINTIAN_ALLOWED_ERRORS " in
		*" $tag "*) ;;
		*) echo "$tag" ;;
		esac
	done >"$TMP/lintian.errors"
	[ ! -s "$TMP/lintian.errors" ] ||
		fail "lintian errors: $(sort -u "$TMP/lintian.errors" | tr '\n' ' ')"
else
	log "lintian not installed: skipped"
fi

# ---- a throwaway root: unpack, run
root=$TMP/root
for p in $pkgs; do dpkg-deb -x "$(deb "$p")" "$root" || fail "dpkg-deb -x $p failed"; done
out=$("$root/usr/sbin/vfio-migd" --version 2>&1) || fail "vfio-migd --version: $out"
[ "$out" = "vfio-migd $want" ] || fail "vfio-migd --version says '$out', expected 'vfio-migd $want'"
out=$("$root/usr/sbin/vfio-migd" -n -c "$root/etc/vfio-migd/vfio-migd.conf" 2>&1) ||
	fail "the shipped configuration does not pass vfio-migd -n: $out"
printf '[daemon]\nbogus = 1\n' >"$TMP/bad.conf"
"$root/usr/sbin/vfio-migd" -n -c "$TMP/bad.conf" >/dev/null 2>&1 &&
	fail "the installed vfio-migd -n accepted an unknown key"
# every program the units run is in the root (or, like /bin/kill, on any system)
for u in vfio-migd.service vfio-migd.socket; do
	unit=$(grep -E "/systemd/system/$u\$" "$TMP/vfio-migd.list")
	grep -E '^Exec[A-Za-z]*=' "$root$unit" | sed 's/^[^=]*=[-@!+:]*//; s/ .*//' |
		while read -r bin; do
			[ -x "$root$bin" ] || [ -x "$bin" ] || echo "$u: $bin"
		done
done >"$TMP/missing-bins"
[ ! -s "$TMP/missing-bins" ] || fail "units run programs not shipped: $(cat "$TMP/missing-bins")"
grep -q '^ExecStart=/usr/sbin/vfio-migd ' "$root$(grep -E '/vfio-migd\.service$' "$TMP/vfio-migd.list")" ||
	fail "vfio-migd.service does not start /usr/sbin/vfio-migd (@SBINDIR@ not substituted?)"
# the packaged PKI helper makes a CA and a host certificate the packaged daemon accepts
pki=$TMP/pki
"$root/usr/sbin/vfio-migd-pki" init-ca "$pki" >"$TMP/pki.log" 2>&1 &&
	"$root/usr/sbin/vfio-migd-pki" host "$pki" hv1.example.test >>"$TMP/pki.log" 2>&1 ||
	fail "vfio-migd-pki failed: $(cat "$TMP/pki.log")"
grep -q 'dns:hv1.example.test' "$TMP/pki.log" ||
	fail "vfio-migd-pki host printed no allow-list entry: $(cat "$TMP/pki.log")"
printf '[peer]\nlisten = 127.0.0.1:0\n[tls]\nca = %s\ncrl = %s\ncert = %s\nkey = %s\n%s\n' \
	"$pki/ca.crt" "$pki/crl.pem" "$pki/hosts/hv1.example.test/cert.pem" \
	"$pki/hosts/hv1.example.test/key.pem" "allow = dns:hv1.example.test" >"$TMP/tls.conf"
out=$("$root/usr/sbin/vfio-migd" -n -c "$TMP/tls.conf" 2>&1) ||
	fail "vfio-migd -n refused the material vfio-migd-pki made: $out"
log "installed daemon OK: $out"

if [ "$client" -eq 1 ]; then
	lib=$root/usr/lib/$MA
	out=$(LD_LIBRARY_PATH=$lib "$root/usr/bin/vfio-migctl" --help 2>&1) ||
		fail "installed vfio-migctl --help failed: $out"
	LD_LIBRARY_PATH=$lib ldd "$root/usr/bin/vfio-migctl" | grep -q "$lib/libvfiomig\.so\.0" ||
		fail "vfio-migctl does not load the packaged libvfiomig.so.0"
	# a tiny program against the -dev package only: its header, its .pc, its symlink
	cat >"$TMP/try.c" <<'EOC'
#include <errno.h>
#include <stdio.h>
#include <vfiomig.h>

int main(void)
{
	struct vfiomig_client *c = NULL;
	int r = vfiomig_connect("/nonexistent/vfio-migd.sock", 0, &c);

	printf("%d\n", r);
	return r == -ENOENT && c == NULL ? 0 : 1;
}
EOC
	pcdir=$lib/pkgconfig
	flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$pcdir pkg-config --cflags --libs \
		libvfiomig) || fail "pkg-config libvfiomig failed against the -dev package"
	# shellcheck disable=SC2086
	cc -Wall -Werror -o "$TMP/try" "$TMP/try.c" $flags >"$TMP/cc.log" 2>&1 ||
		fail "compiling against libvfiomig-dev ($flags) failed: $(cat "$TMP/cc.log")"
	out=$(LD_LIBRARY_PATH=$lib "$TMP/try" 2>&1) ||
		fail "a program linked with the packaged libvfiomig failed: $out"
	# the example the -dev package ships builds against it as well
	ex=$root/usr/share/doc/libvfiomig-dev/examples/vfiomig-migrate-example.c
	# shellcheck disable=SC2086
	cc -Wall -Werror -o "$TMP/example" "$ex" $flags >"$TMP/cc.log" 2>&1 ||
		fail "the shipped example does not build against libvfiomig-dev: $(cat "$TMP/cc.log")"
	log "library and tool OK (pkg-config: $flags)"
fi

log "PASS"
