#!/bin/bash
# libvfiomig against real daemons, through the test driver libtest (libtest*.c):
#  - fake:    a fake daemon: bad arguments refused without a round trip, timeout, late
#             reply, lost connection, no SIGPIPE, close cancelling pending calls;
#  - proto:   the fake daemon's protocol cases (libtest_proto.c): event queue overflow,
#             event flood vs timeouts, reply before a loss, last error, -EINTR, unknown
#             event kind, no callback re-entry, full backlog, unsent request dropped;
#  - ops:     every device, daemon, job and event operation on hostc, daemon errors
#             surfaced (code, message, device), device_add by fd (SCM_RIGHTS) and by spec;
#  - migrate: hosta -> hostb with a pre-copy sim device and a dirty rate, metadata round
#             trip, events, digest at stop time equal on both sides; manual switchover and
#             resume; the same in async mode inside a libevent loop;
#  - kill:    hostc SIGKILLed during a 60 s job_wait (returns at once), then restarted
#             (a new connection works);
#  - example: the tree installed into a staging prefix, client/examples/ compiled against
#             the INSTALLED library through pkg-config, and run for a real migration.
. "$(dirname "$0")/lib.sh"
it_begin lib

"$LIBTEST" fake "$IT_DIR" || it_fail "libtest fake"
"$LIBTEST" proto "$IT_DIR" || it_fail "libtest proto"

dev() { printf '[device "%s"]\nbackend = sim\nspec = %s\n' "$1" "$2"; }
it_config hosta hosta "$(dev s0 size=4M,dirty_rate=1M,seed=7)" \
	"$(dev s1 size=1M,dirty_rate=128K,seed=3)" "$(dev s2 size=2M,dirty_rate=256K,seed=5)" \
	"$(dev s3 size=1M,dirty_rate=128K,seed=9)"
it_config hostb hostb "$(dev d0 size=4M)" "$(dev d1 size=1M)" "$(dev d2 size=2M)" \
	"$(dev d3 size=1M)"
it_config hostc hosta "$(dev s0 size=1M)"
sed -i 's/^host_identity = .*/host_identity = hostc/' "$IT_DIR/hostc.conf"
it_start hosta
it_start hostb
it_start hostc

"$LIBTEST" ops "$IT_DIR/hostc.sock" || it_fail "libtest ops"
"$LIBTEST" migrate "$IT_DIR/hosta.sock" "$IT_DIR/hostb.sock" || it_fail "libtest migrate"
it_expect_log hostb "accepted: 1 device\(s\) in RESUMING, 307200 bytes of metadata"
"$LIBTEST" manual "$IT_DIR/hosta.sock" "$IT_DIR/hostb.sock" || it_fail "libtest manual"
"$LIBTEST" async "$IT_DIR/hosta.sock" "$IT_DIR/hostb.sock" || it_fail "libtest async"

# kill: libtest SIGKILLs hostc itself, then waits for us to restart it
"$LIBTEST" kill "$IT_DIR/hostc.sock" "$(it_pid hostc)" "$IT_DIR/killed" &
lt=$!
for _ in $(seq 1 200); do [ -e "$IT_DIR/killed" ] && break; sleep 0.05; done
[ -e "$IT_DIR/killed" ] || it_fail "libtest kill did not get to the restart"
it_start hostc
wait "$lt" || it_fail "libtest kill"

# example: install into a staging prefix, build the example against the installed library
stage=$IT_DIR/stage
meson install -C "$BUILDDIR" --destdir "$stage" --no-rebuild >"$IT_DIR/install.txt" 2>&1 ||
	it_fail "meson install: $(tail -n 20 "$IT_DIR/install.txt")"
pc=$(find "$stage" -name libvfiomig.pc | head -n 1)
[ -n "$pc" ] || it_fail "no libvfiomig.pc installed"
hdr=$(find "$stage" -name vfiomig.h | head -n 1)
[ -n "$hdr" ] || it_fail "no vfiomig.h installed"
so=$(find "$stage" -name 'libvfiomig.so.0' | head -n 1)
[ -n "$so" ] || it_fail "no libvfiomig.so.0 installed"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage \
	pkg-config --cflags --libs libvfiomig) || it_fail "pkg-config libvfiomig failed"
it_has "$flags" "-I$stage"
san=""
if nm -D "$so" | grep -q '__asan_'; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2086
cc -Wall -Wextra -Werror $san -o "$IT_DIR/example" "$SRCDIR/client/examples/vfiomig-migrate-example.c" \
	$flags >"$IT_DIR/cc.txt" 2>&1 || it_fail "the example does not build: $(cat "$IT_DIR/cc.txt")"
libdir=$(dirname "$so")
LD_LIBRARY_PATH=$libdir ldd "$IT_DIR/example" | grep -q "$stage" ||
	it_fail "the example is not linked to the staged library"
out=$(LD_LIBRARY_PATH=$libdir "$IT_DIR/example" -m vmm-config -d 500 "$IT_DIR/hosta.sock" "$IT_DIR/hostb.sock" \
	dns:hosta.test s3:d3 2>&1) || it_fail "example: $out"
it_has "$out" '^phase PRECOPY$'
it_has "$out" '^phase COMPLETED$'
it_has "$out" '^source: COMPLETED'
it_has "$out" '^destination: COMPLETED'
it_has "$out" '^result: migrated$'
da=$(it_digest hosta s3)
db=$(it_digest hostb d3)
[ -n "$da" ] && [ "$da" = "$db" ] || it_fail "example: digests differ: $da $db"
it_log "example built against the installed library migrated s3 -> d3"
it_pass
