#!/bin/sh
# The README's main job: build vfio-migd and run the demo (see README.md, "Status").
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build >/dev/null
exec build/tests/demo/vfio-migd-device-demo "$@"
