#!/bin/sh
# Style checks for vfio-migd, run by the meson 'style' suite.
#   check-style.sh format ROOT    every C file matches the checked-in .clang-format
#   check-style.sh includes ROOT  the layers include only what they may (architecture.md)
set -u
what=$1
root=$2
cd "$root" || exit 2

c_files() {
	git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null | grep -v '^tests/vm/driver/' |
		while read -r f; do [ -f "$f" ] && echo "$f"; done
}

fail=0
case "$what" in
format)
	if ! command -v clang-format >/dev/null 2>&1; then
		echo "clang-format is not installed (packaging/install-deps.sh installs it)" >&2
		exit 1
	fi
	for f in $(c_files); do
		if ! clang-format --style=file "$f" | cmp -s - "$f"; then
			echo "$f: not formatted; run: clang-format -i --style=file $f"
			fail=1
		fi
	done
	;;
includes)
	# rule: PATTERN that may appear only in files under the listed path prefixes
	check() {
		pattern=$1
		shift
		for f in $(c_files); do
			allowed=0
			for p in "$@"; do
				case "$f" in "$p"*) allowed=1 ;; esac
			done
			[ $allowed -eq 1 ] && continue
			if grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]$pattern" "$f"; then
				echo "$f: includes $pattern, which only $* may include"
				fail=1
			fi
		done
	}
	check '([^">]*\.pb-c\.h|codec\.h|ctl_pb\.h)' proto/ tests/
	check 'openssl/' tls/ daemon/util/digest.c tests/
	check 'event2/' daemon/ tests/
	check 'linux/vfio' daemon/device/ tests/
	# daemon/device/ knows nothing of the network, the TLS layer or the protocol
	for f in $(c_files); do
		case "$f" in daemon/device/*) ;; *) continue ;; esac
		if grep -nE '#[[:space:]]*include[[:space:]]*"(tls|proto|peer|migrate|control|frame)[^"]*"' "$f"; then
			echo "$f: the device layer must not include network, TLS or protocol headers"
			fail=1
		fi
	done
	# client/ (libvfiomig, vfio-migctl) may include proto/ and nothing of daemon/ or tls/
	for f in $(c_files); do
		case "$f" in client/*) ;; *) continue ;; esac
		for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
			if [ -n "$(find daemon tls -name "$(basename "$h")" -print -quit 2>/dev/null)" ]; then
				echo "$f: includes $h from daemon/ or tls/; client/ may use only proto/"
				fail=1
			fi
		done
	done
	# the public header exposes no OpenSSL, libevent, protobuf or proto/ type: system headers only
	if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"|include[[:space:]]*<(openssl|event2|protobuf-c)/' client/vfiomig.h 2>/dev/null; then
		echo "client/vfiomig.h: the public header may include only system headers"
		fail=1
	fi
	;;
*)
	echo "usage: check-style.sh format|includes ROOT" >&2
	exit 2
	;;
esac
exit $fail
