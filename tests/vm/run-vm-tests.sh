#!/bin/sh
# run-vm-tests.sh - the real-kernel tier: Debian's current 6.1 kernel booted under qemu, the
# vmigtest mdev driver (driver/) built against its headers, and vfio_scenarios driving two
# mdevs through the project's vfio backend, then two vfio-migd daemons in two network
# namespaces migrating mdevs over TLS (vm-xhost.sh). Run by the meson 'vm' suite
# (tests/vm/meson.build).
#
# Environment (meson sets the first five):
#   VM_BINARIES     project binaries to stage in the guest's /bin (vfio_scenarios first)
#   VM_TOOLS        helper binaries for the cross-host scenarios (vm_region, the control client)
#   VM_PKI          tests/pki/make-pki.sh: the guest gets fresh certificates from it
#   VM_DRIVER_SRC   tests/vm/driver
#   VM_WORKDIR      scratch directory (recreated on every run)
#   VM_CORRUPT      the "can fail" variant: load vmigtest with corrupt=N and run only the
#                   cross-host single-device scenario, which must then report the corruption
#   VM_CACHE        kernel cache, shared by build directories (default /var/cache/vfio-migd-vm,
#                   ~/.cache/vfio-migd-vm when not root)
#   VM_PHASES       "STATE_KB:SCENARIOS ..." (default: everything at 64 KiB, the data
#                   scenarios at 64 MiB, then the cross-host scenarios at 4 MiB: "4096:xhost")
#   VM_TIMEOUT      seconds qemu may run (default 240)
#   VM_LOG_LEVEL    if set (debug, info...), vfio_scenarios echoes the backend's log lines
#
# Steps: packages (apt, installed only when missing; the kernel image is never installed: its
# .deb is unpacked into the cache), vmlinux extracted from the bzImage's xz payload (direct
# PVH boot), driver build, initramfs (busybox, the vfio modules, the driver, the binaries with
# their libraries, vm-init.sh as /init), boot. Verdict: qemu exit status 1 (the guest wrote 0
# to isa-debug-exit) AND the "VM-TESTS: PASS" marker on the console; anything else fails.
# Exit 0 pass, 1 fail, 77 skip (only when this machine cannot run the tier at all).
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${VM_BINARIES:?set VM_BINARIES to the binaries to stage (meson test sets it)}"
driver_src=${VM_DRIVER_SRC:-$here/driver}
work=${VM_WORKDIR:-$(pwd)/vm-work}
if [ "$(id -u)" -eq 0 ]; then
	cache=${VM_CACHE:-/var/cache/vfio-migd-vm}
else
	cache=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-migd-vm}
fi
corrupt=${VM_CORRUPT:-}
if [ -n "$corrupt" ]; then
	phases=${VM_PHASES:-"4096:xhost"}
else
	phases=${VM_PHASES:-"64:all 65536:migrate,corrupt,reset 4096:xhost"}
fi
timeout_s=${VM_TIMEOUT:-240}
uuid_a=5a5a0001-0000-4000-8000-00000000000a
uuid_b=5a5a0002-0000-4000-8000-00000000000b
uuid_c=5a5a0003-0000-4000-8000-00000000000c
uuid_d=5a5a0004-0000-4000-8000-00000000000d
# Module subtrees of the kernel image the guest gets (relative to lib/modules/$KV): VFIO, and
# for the cross-host scenarios kTLS with the crypto it autoloads, and veth.
module_dirs="kernel/drivers/vfio kernel/net/tls kernel/crypto kernel/arch/x86/crypto
	kernel/lib/crypto kernel/drivers/net/veth.ko"
packages="qemu-system-x86 busybox-static cpio kmod xz-utils"

t_start=$(date +%s.%N)
timings=""

say() { echo "vm: $*"; }
skip() {
	say "SKIP: $*"
	exit 77
}
die() {
	say "FAIL: $*"
	exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# mark NAME T0: records how long a step took, for the summary
mark() { timings="$timings $1=$(elapsed "$2")s"; }

apt_updated=0
apt_update() {
	[ $apt_updated -eq 1 ] && return 0
	apt_updated=1
	apt-get -o DPkg::Lock::Timeout=600 -q update >"$work/apt-update.log" 2>&1 ||
		{ cat "$work/apt-update.log"; return 1; }
}

# The ABI name of Debian's current kernel (e.g. 6.1.0-56-amd64), from the headers metapackage.
resolve_kv() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\([0-9].*\)$/\1/p' | head -n 1
}

missing_packages() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
			printf '%s ' "$p"
	done
}

install_packages() {
	miss=$(missing_packages "$@")
	[ -z "$miss" ] && return 0
	[ "$(id -u)" -eq 0 ] || skip "packages $miss are missing and this is not root"
	say "installing $miss"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends $miss \
		>"$work/apt-install.log" 2>&1 && return 0
	apt_update || return 1
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends $miss \
		>"$work/apt-install.log" 2>&1 || { cat "$work/apt-install.log"; return 1; }
}

# vmlinux: the ELF inside the bzImage, found at the first xz stream magic (FD 37 7A 58 5A 00).
# xz complains about the bytes after the stream; only the result counts.
extract_vmlinux() {
	off=$(LC_ALL=C grep -obUaP '\xFD\x37\x7A\x58\x5A\x00' "$1" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	tail -c +$((off + 1)) "$1" | xz -dcq >"$2" 2>/dev/null
	[ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]
}

# Fills $cache/$KV (vmlinux, lib/modules/$KV) once; concurrent runs wait on the lock.
prepare_kernel() {
	dir=$cache/$KV
	[ -s "$dir/vmlinux" ] && [ -d "$dir/lib/modules/$KV/kernel" ] && return 0
	say "caching linux-image-$KV-unsigned in $dir"
	tmp=$cache/.tmp-$$
	rm -rf "$tmp"
	mkdir -p "$tmp/deb" && chmod 0777 "$tmp/deb" # apt's _apt user downloads into it
	(cd "$tmp/deb" && apt-get -q download "linux-image-$KV-unsigned" >../download.log 2>&1) ||
		{ apt_update && (cd "$tmp/deb" &&
			apt-get -q download "linux-image-$KV-unsigned" >../download.log 2>&1); } ||
		{ cat "$tmp/download.log"; rm -rf "$tmp"; return 1; }
	if ! dpkg -x "$tmp"/deb/*.deb "$tmp/x" ||
		! extract_vmlinux "$tmp/x/boot/vmlinuz-$KV" "$tmp/vmlinux"; then
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$dir"
	mkdir -p "$dir/lib/modules"
	mv "$tmp/x/lib/modules/$KV" "$dir/lib/modules/" && mv "$tmp/vmlinux" "$dir/vmlinux"
	rc=$?
	rm -rf "$tmp"
	return $rc
}

build_driver() {
	rm -rf "$work/driver"
	cp -r "$driver_src" "$work/driver" || return 1
	if ! make -C "/usr/src/linux-headers-$KV" M="$work/driver" modules \
		>"$work/driver-build.log" 2>&1; then
		cat "$work/driver-build.log"
		return 1
	fi
	if grep -q 'warning:' "$work/driver-build.log"; then
		grep 'warning:' "$work/driver-build.log"
		return 1
	fi
}

# stage_binary FILE: FILE in /bin, its libraries and loader at their paths; a library from
# the build tree (libvfiomig, found through the binary's $ORIGIN run path) goes to the
# loader's default directory instead
stage_binary() {
	cp "$1" "$root/bin/" || return 1
	for lib in $(ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		case $lib in
		/lib/* | /lib64/* | /usr/lib/*) dst=$lib ;;
		*) dst=/lib/x86_64-linux-gnu/$(basename "$lib") ;;
		esac
		[ -e "$root$dst" ] && continue
		mkdir -p "$root$(dirname "$dst")" && cp -L "$lib" "$root$dst" || return 1
	done
}

stage_initramfs() {
	root=$work/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
		"$root/lib/modules/$KV/extra" || return 1
	cp /bin/busybox "$root/bin/busybox" || return 1
	for applet in $("$root/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	ln -sf ../bin/busybox "$root/sbin/modprobe"
	src=$cache/$KV/lib/modules/$KV
	cp "$src"/modules.builtin* "$src/modules.order" "$root/lib/modules/$KV/" || return 1
	for d in $module_dirs; do
		mkdir -p "$root/lib/modules/$KV/$(dirname "$d")" &&
			cp -r "$src/$d" "$root/lib/modules/$KV/$d" || return 1
	done
	cp "$work/driver/vmigtest.ko" "$root/lib/modules/$KV/extra/" &&
		depmod -b "$root" "$KV" || return 1
	smoke=""
	for bin in $VM_BINARIES; do
		stage_binary "$bin" || return 1
		case "$(basename "$bin")" in
		vfio_scenarios) ;;
		*) smoke="$smoke $(basename "$bin")" ;;
		esac
	done
	[ -x "$root/bin/vfio_scenarios" ] || { say "VM_BINARIES has no vfio_scenarios"; return 1; }
	for bin in ${VM_TOOLS:-}; do
		stage_binary "$bin" || return 1
	done
	# the cross-host scenarios' control client: vfio-migctl, or ctlprobe before it existed
	[ -x "$root/bin/vfio-migctl" ] || [ -x "$root/bin/ctlprobe" ] ||
		{ say "VM_TOOLS has neither vfio-migctl nor ctlprobe"; return 1; }
	"${VM_PKI:-$here/../pki/make-pki.sh}" "$work/pki" >/dev/null || return 1
	mkdir -p "$root/pki" &&
		cp "$work/pki"/ca.crt "$work/pki"/host[ab].crt "$work/pki"/host[ab].key "$root/pki/" ||
		return 1
	cp "$here/vm-init.sh" "$root/init" && chmod 0755 "$root/init" || return 1
	cp "$here/vm-xhost.sh" "$root/bin/vm-xhost" && chmod 0755 "$root/bin/vm-xhost" || return 1
	cat >"$root/vm.conf" <<EOF
VM_KV='$KV'
VM_PHASES='$phases'
VM_UUID_A='$uuid_a'
VM_UUID_B='$uuid_b'
VM_UUID_C='$uuid_c'
VM_UUID_D='$uuid_d'
VM_CORRUPT='$corrupt'
VM_SMOKE_BINARIES='$smoke'
VM_LOG_LEVEL='${VM_LOG_LEVEL:-}'
EOF
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
}

boot() {
	if grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -w /dev/kvm ]; then
		accel="-accel kvm -cpu host"
	else
		accel="-accel tcg -cpu max"
	fi
	# -nic none: no network device at all, so nothing in the guest can reach past the VM.
	# shellcheck disable=SC2086
	timeout "$timeout_s" qemu-system-x86_64 $accel -smp 2 -m 1024 -nographic -no-reboot \
		-nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$cache/$KV/vmlinux" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 oops=panic" </dev/null >"$work/console.log" 2>&1
}

rm -rf "$work"
mkdir -p "$work" || die "cannot create $work"
for b in $VM_BINARIES; do
	[ -x "$b" ] || die "binary $b is missing (build the project first)"
done

t0=$(date +%s.%N)
command -v apt-get >/dev/null 2>&1 || skip "no apt-get: the tier needs Debian's kernel packages"
KV=$(resolve_kv)
if [ -z "$KV" ]; then
	apt_update || skip "apt-get update failed: Debian's archive is unreachable"
	KV=$(resolve_kv)
fi
[ -n "$KV" ] || skip "apt-cache knows no linux-headers-amd64: not a Debian amd64 system"
# shellcheck disable=SC2086
install_packages $packages "linux-headers-$KV" || die "installing the packages failed"
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 is not available"
[ -x /bin/busybox ] || skip "busybox-static is not available"
mkdir -p "$cache" || die "cannot create $cache"
(
	flock 9 || exit 1
	prepare_kernel
) 9>"$cache/.lock" || die "fetching or unpacking linux-image-$KV-unsigned failed"
mark packages+kernel "$t0"

t0=$(date +%s.%N)
build_driver || die "building the vmigtest driver against linux-headers-$KV failed"
mark driver "$t0"

t0=$(date +%s.%N)
stage_initramfs || die "staging the initramfs failed"
mark initramfs "$t0"

t0=$(date +%s.%N)
boot
status=$?
mark boot+tests "$t0"

echo "=== guest console (kernel $KV, $accel) ==="
# The console without firmware noise: everything from our /init on.
sed -n '/^vm-init:/,$p' "$work/console.log" | tr -d '\r'
echo "=== end of guest console (full log: $work/console.log) ==="
echo "=== summary ==="
summary='^(vfio_scenarios: [0-9]+ passed|xhost: (PASS|FAIL) |xhost: [0-9]+ passed'
summary="$summary|vm-init: FAIL|VM-TESTS:)"
tr -d '\r' <"$work/console.log" | grep -E "$summary"
marker=no
grep -q '^VM-TESTS: PASS' "$work/console.log" && marker=yes
say "timings:$timings total=$(elapsed "$t_start")s"
case $status in
1) verdict="guest wrote 0 to isa-debug-exit" ;;
3) verdict="guest reported failure (wrote 1)" ;;
124) verdict="timed out after ${timeout_s}s" ;;
0) verdict="guest panicked or powered off without a verdict" ;;
*) verdict="qemu exit status $status" ;;
esac
if [ "$status" -eq 1 ] && [ $marker = yes ]; then
	say "PASS ($verdict, PASS marker seen)"
	exit 0
fi
say "FAIL ($verdict, PASS marker seen: $marker)"
exit 1
