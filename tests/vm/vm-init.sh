#!/bin/sh
# vm-init.sh - /init of the test VM (PID 1 under busybox); staged by run-vm-tests.sh.
#
# Reads /vm.conf (VM_KV, VM_PHASES, VM_UUID_A..D, VM_CORRUPT), then for each phase
# "STATE_KB:SCENARIO,SCENARIO|all": loads vmigtest with state_kb=STATE_KB (and corrupt=
# VM_CORRUPT when set), creates the two mdevs, runs vfio_scenarios, removes the mdevs and
# unloads the driver (which fails if a migration file or device reference leaked). A phase
# "STATE_KB:xhost[=SCENARIO,...]" creates four mdevs and runs the cross-host scenarios
# (/bin/vm-xhost: two daemons in two network namespaces) instead. Then checks the kernel log
# for warnings and oopses, prints "VM-TESTS: PASS" or "VM-TESTS: FAIL: <why>", writes the
# exit code (0 or 1) to the isa-debug-exit port and powers off. Any early death of this script panics the kernel,
# which the host sees as a failure (qemu exits 0, no marker).
export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# shellcheck source=/dev/null
. /vm.conf
[ -n "$VM_LOG_LEVEL" ] && export VM_LOG_LEVEL
# A driver deadlock fails the run within a minute instead of at the host's timeout.
echo 20 >/proc/sys/kernel/hung_task_timeout_secs
echo 1 >/proc/sys/kernel/hung_task_panic

failures=""
fail() {
	echo "vm-init: FAIL: $*"
	failures="$failures; $*"
}

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

type_dir=/sys/class/mdev_bus/vmigtest/mdev_supported_types/vmigtest-mig

# load STATE_KB UUID...: the VFIO core, the mdev bus and the driver, then the instances
load() {
	modprobe vfio_iommu_type1 || return 1
	modprobe mdev || return 1
	modprobe vmigtest state_kb="$1" ${VM_CORRUPT:+corrupt="$VM_CORRUPT"} || return 1
	shift
	for u in "$@"; do
		echo "$u" >"$type_dir/create" || return 1
	done
	[ -c /dev/vfio/vfio ] || return 1
}

# unload: instances removed, driver unloaded (EBUSY here means a leaked file or reference)
unload() {
	ok=0
	for u in "$VM_UUID_A" "$VM_UUID_B" "$VM_UUID_C" "$VM_UUID_D"; do
		[ -e "/sys/bus/mdev/devices/$u" ] || continue
		echo 1 >"/sys/bus/mdev/devices/$u/remove" || ok=1
	done
	rmmod vmigtest || ok=1
	return $ok
}

# phase STATE_KB SCENARIOS
phase() {
	kb=$1
	list=$(echo "$2" | tr ',' ' ')
	[ "$list" = all ] && list=""
	t0=$(uptime_s)
	echo "vm-init: phase state_kb=$kb: ${list:-all scenarios}"
	case $list in
	xhost*)
		uuids="$VM_UUID_A $VM_UUID_B $VM_UUID_C $VM_UUID_D"
		run="/bin/vm-xhost $(echo "${list#xhost}" | sed 's/^=//')"
		what="the cross-host scenarios"
		;;
	*)
		uuids="$VM_UUID_A $VM_UUID_B"
		run="/bin/vfio_scenarios $uuids $list"
		what=vfio_scenarios
		;;
	esac
	# shellcheck disable=SC2086
	if ! load "$kb" $uuids; then
		fail "loading vmigtest (state_kb=$kb) or creating its mdevs failed"
		return
	fi
	$run || fail "$what (state_kb=$kb)"
	unload || fail "removing the mdevs or unloading vmigtest (state_kb=$kb)"
	echo "vm-init: phase state_kb=$kb took $(awk "BEGIN { printf \"%.1f\", $(uptime_s) - $t0 }")s"
}

echo # the firmware leaves the console mid-line
echo "vm-init: kernel $(uname -r), $(nproc) CPUs, booted in $(uptime_s)s"
for bin in $VM_SMOKE_BINARIES; do
	"/bin/$bin" --version >/dev/null 2>&1 || fail "$bin --version does not run in the guest"
done
for p in $VM_PHASES; do
	phase "${p%%:*}" "${p#*:}"
done
if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace' >/tmp/oops; then
	cat /tmp/oops
	fail "the kernel log has warnings or oopses"
fi

if [ -z "$failures" ]; then
	echo "VM-TESTS: PASS"
	code='\000'
else
	echo "VM-TESTS: FAIL:${failures#;}"
	dmesg | tail -n 40
	code='\001'
fi
# isa-debug-exit: qemu exits with (code << 1) | 1
# shellcheck disable=SC2059
printf "$code" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
