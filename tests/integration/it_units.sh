#!/bin/bash
# The systemd units, the sysusers.d entry and the man pages of packaging/:
#   - systemd-analyze verify passes on vfio-migd.service and vfio-migd.socket with no output
#     at all (an unknown or misspelled directive is only a warning there, so any output
#     fails), and the Documentation= man pages resolve to ours. verify insists that ExecStart=
#     exists, so it checks a copy of the unit whose @SBINDIR@ is the build's daemon/ folder
#     (meson substitutes the install path the same way); a copy with a misspelled directive
#     must make it talk, so this check can fail;
#   - every hardening directive issue #7 lists is in the service (a dropped line fails);
#   - systemd-sysusers accepts the sysusers.d file (into a scratch root) and makes the group;
#   - the man pages render without groff warnings, and vfio-migd.conf(5) documents exactly
#     the keys of packaging/vfio-migd.conf.example, with the values the example shows.
. "$(dirname "$0")/lib.sh"
it_begin units

pkg=$SRCDIR/packaging
for tool in systemd-analyze systemd-sysusers groff man; do
	command -v "$tool" >/dev/null ||
		it_fail "$tool is missing (packaging/install-deps.sh installs systemd and man-db)"
done

# ---- systemd-analyze verify ----
u=$IT_DIR/units
mkdir -p "$u" "$IT_DIR/man/man8" "$IT_DIR/man/man5"
sed "s|@SBINDIR@|$(dirname "$VFIO_MIGD")|g" "$pkg/systemd/vfio-migd.service.in" >"$u/vfio-migd.service"
cp "$pkg/systemd/vfio-migd.socket" "$u/"
cp "$pkg/man/vfio-migd.8" "$IT_DIR/man/man8/"
cp "$pkg/man/vfio-migd.conf.5" "$IT_DIR/man/man5/"
grep -Eq '@[A-Z]+@' "$u/vfio-migd.service" && it_fail "unsubstituted @VAR@ left in the service"
(cd "$u" && MANPATH=$IT_DIR/man systemd-analyze verify ./vfio-migd.service ./vfio-migd.socket) \
	>"$IT_DIR/verify.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$IT_DIR/verify.log" ] ||
	it_fail "systemd-analyze verify ($rc): $(cat "$IT_DIR/verify.log")"
sed 's/^ProtectHome=/ProtectHom=/' "$u/vfio-migd.service" >"$u/bad.service"
(cd "$u" && systemd-analyze verify --man=no ./bad.service) >"$IT_DIR/verify-bad.log" 2>&1
grep -q "Unknown key 'ProtectHom'" "$IT_DIR/verify-bad.log" ||
	it_fail "verify did not notice a misspelled directive: $(cat "$IT_DIR/verify-bad.log")"

# ---- the directives the issue asks for ----
svc=$pkg/systemd/vfio-migd.service.in
sock=$pkg/systemd/vfio-migd.socket
has() {
	grep -Eq "^$2\$" "$1" || it_fail "$(basename "$1"): no line '$2'"
}
has "$svc" 'Type=notify'
has "$svc" 'ExecReload=/bin/kill -HUP \$MAINPID'
has "$svc" 'Restart=on-failure'
has "$svc" 'WatchdogSec=[0-9]+s'
has "$svc" 'TimeoutStopSec=[0-9]+s'
has "$svc" 'Requires=vfio-migd.socket'
has "$svc" 'ProtectSystem=strict'
has "$svc" 'ProtectHome=yes'
has "$svc" 'PrivateTmp=yes'
has "$svc" 'NoNewPrivileges=yes'
has "$svc" 'CapabilityBoundingSet=CAP_CHOWN'
has "$svc" 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'
has "$svc" 'SystemCallFilter=@system-service'
has "$svc" 'SystemCallArchitectures=native'
has "$svc" 'DevicePolicy=closed'
has "$svc" 'DeviceAllow=char-vfio rw'
has "$svc" 'DeviceAllow=char-vfio-dev rw'
has "$svc" 'DeviceAllow=/dev/vfio/vfio rw'
has "$svc" 'DeviceAllow=/dev/iommu rw'
has "$svc" 'RuntimeDirectory=vfio-migd'
has "$svc" 'RuntimeDirectoryPreserve=yes'
has "$svc" 'StateDirectory=vfio-migd'
has "$svc" 'ConfigurationDirectory=vfio-migd'
has "$svc" '#LoadCredential=tls-key:/[^ ]+'
has "$svc" 'Documentation=man:vfio-migd\(8\) man:vfio-migd.conf\(5\)'
grep -Eq '^DeviceAllow=.*\*' "$svc" && it_fail "a wildcard DeviceAllow= path (systemd ignores those)"
grep -Eq '^PrivateDevices=yes' "$svc" && it_fail "PrivateDevices=yes would hide /dev/vfio"
grep -Eq '^(CapabilityBoundingSet|AmbientCapabilities)=.*CAP_(SYS_ADMIN|IPC_LOCK|DAC_OVERRIDE)' \
	"$svc" && it_fail "a capability the daemon does not need"
has "$sock" 'ListenStream=/run/vfio-migd/control.sock'
has "$sock" 'FileDescriptorName=control'
has "$sock" 'SocketGroup=vfio-migd'
has "$sock" 'SocketMode=0660'
has "$sock" 'RemoveOnStop=yes'
# the socket the unit makes is the one the configuration defaults to
grep -q '^#socket = /run/vfio-migd/control.sock$' "$pkg/vfio-migd.conf.example" ||
	it_fail "the example's control socket is not vfio-migd.socket's path"

# ---- sysusers.d ----
mkdir -p "$IT_DIR/root/etc"
systemd-sysusers --root="$IT_DIR/root" "$pkg/systemd/vfio-migd.sysusers" >"$IT_DIR/sysusers.log" 2>&1 ||
	it_fail "systemd-sysusers: $(cat "$IT_DIR/sysusers.log")"
grep -q '^vfio-migd:x:[0-9]*:' "$IT_DIR/root/etc/group" || it_fail "no group vfio-migd made"

# ---- man pages ----
for page in vfio-migd.8 vfio-migd.conf.5 vfio-migd-pki.8; do
	w=$(groff -ww -man -z "$pkg/man/$page" 2>&1)
	[ -z "$w" ] || it_fail "$page: groff warnings: $w"
	MANWIDTH=80 man -l "$pkg/man/$page" 2>"$IT_DIR/man.err" >"$IT_DIR/man.out" ||
		it_fail "man -l $page failed: $(cat "$IT_DIR/man.err")"
	grep -q '^NAME' "$IT_DIR/man.out" || it_fail "$page: no NAME section rendered"
done

# section.key=value for every key of the example (device keys: device.key, no value)
example_keys() {
	awk '
	/^#?\[device / { sec = "device"; next }
	/^#?\[[a-z]+\]$/ { sec = $0; sub(/^#?\[/, "", sec); sub(/\]$/, "", sec); next }
	/^#?[a-z_]+ = / {
		line = $0; sub(/^#/, "", line)
		key = line; sub(/ = .*/, "", key)
		val = line; sub(/^[a-z_]+ = /, "", val)
		if (sec == "device") print sec "." key; else print sec "." key "=" val
	}' "$pkg/vfio-migd.conf.example" | sort -u
}
man_keys() {
	awk '
	/^\.SS \[device / { sec = "device"; next }
	/^\.SS \[[a-z]+\]$/ { sec = $2; gsub(/[\[\]]/, "", sec); next }
	/^\\fB[a-z_]+\\fR = \\fI.*\\fR$/ {
		line = $0
		gsub(/\\-/, "-", line)
		key = line; sub(/^\\fB/, "", key); sub(/\\fR = .*/, "", key)
		val = line; sub(/^.*\\fR = \\fI/, "", val); sub(/\\fR$/, "", val)
		if (sec == "device") print sec "." key; else print sec "." key "=" val
	}' "$pkg/man/vfio-migd.conf.5" | sort -u
}
example_keys >"$IT_DIR/keys.example"
man_keys >"$IT_DIR/keys.man"
[ "$(wc -l <"$IT_DIR/keys.example")" -ge 30 ] || it_fail "found only $(wc -l <"$IT_DIR/keys.example") keys in the example"
diff -u "$IT_DIR/keys.example" "$IT_DIR/keys.man" >"$IT_DIR/keys.diff" ||
	it_fail "vfio-migd.conf(5) and vfio-migd.conf.example disagree (- example, + man): $(cat "$IT_DIR/keys.diff")"
grep -q '^daemon.stop_timeout=30s$' "$IT_DIR/keys.man" || it_fail "stop_timeout is not documented"
it_pass
