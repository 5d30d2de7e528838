#!/bin/sh
# The README's main job: build vfio-migd and vfio-migctl, then run a live cross-host migration
# between two daemons (tests/demo/cross-host-demo.sh: two network namespaces, two simulated
# devices dirtying their state, pre-copy, a live progress display, digests compared).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build >/dev/null
exec tests/demo/cross-host-demo.sh "$root/build" "$@"
