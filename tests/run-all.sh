#!/bin/sh
# Builds vfio-migd three ways and runs every test suite; this is the README's test command and
# what .ci/run runs.
#   build/        gcc, warnings as errors: unit, style, integration, vm (real kernel in qemu),
#                 packaging (the Debian packages from a clean copy of the tree)
#   build-asan/   gcc, AddressSanitizer + UndefinedBehaviorSanitizer: unit, integration
#   build-fuzz/   clang, libFuzzer + ASan/UBSan: fuzz (short smoke runs)
# Ends with one line "Totals: N passed, N failed" (every meson test, plus each failed build).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

passed=0
failed=0
skipped=0

note() { printf '\n=== %s\n' "$*"; }

# setup DIR [meson options...]: configure (or reconfigure) and build; a failure counts once
setup() {
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi || {
		cat "$dir.setup.log"
		echo "meson setup $dir failed"
		failed=$((failed + 1))
		return 1
	}
	ninja -C "$dir" || {
		echo "build in $dir failed"
		failed=$((failed + 1))
		return 1
	}
}

# suites DIR SUITE...: run the suites and add meson's counts to the totals
suites() {
	dir=$1
	shift
	args=""
	for s in "$@"; do args="$args --suite $s"; done
	# shellcheck disable=SC2086
	meson test -C "$dir" --print-errorlogs --num-processes 2 $args >"$dir/suites.log" 2>&1
	cat "$dir/suites.log"
	ok=$(sed -n 's/^Ok:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	xf=$(sed -n 's/^Expected Fail:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	bad=$(sed -n 's/^Fail:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	up=$(sed -n 's/^Unexpected Pass:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	to=$(sed -n 's/^Timeout:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	sk=$(sed -n 's/^Skipped:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/suites.log" | tail -n 1)
	if [ -z "$ok" ] && [ -z "$bad" ]; then
		if grep -q 'No tests defined' "$dir/suites.log"; then
			return 0
		fi
		echo "meson test in $dir produced no totals"
		failed=$((failed + 1))
		return 1
	fi
	# remembered for the summary at the end, the only part of a long CI log some readers see
	grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR) ' "$dir/suites.log" |
		sed "s|^|$dir: |" >>"$root/.failed-tests.log"
	passed=$((passed + ${ok:-0} + ${xf:-0}))
	failed=$((failed + ${bad:-0} + ${up:-0} + ${to:-0}))
	skipped=$((skipped + ${sk:-0}))
}

werror=-Dwerror=true
: >"$root/.failed-tests.log"

note "build/ (gcc, -Werror): unit, style, integration, vm, packaging"
if setup build $werror; then
	suites build unit style integration vm packaging
fi

note "build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer): unit, integration"
if setup build-asan $werror -Db_sanitize=address,undefined -Db_lundef=false; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		suites build-asan unit integration
fi

note "build-fuzz/ (clang libFuzzer smoke runs)"
if CC=clang setup build-fuzz $werror -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dfuzz_seconds="${FUZZ_SECONDS:-10}"; then
	suites build-fuzz fuzz
fi

# what failed, with the end of each failed test's log, just above the totals
if [ -s "$root/.failed-tests.log" ]; then
	note "failed tests"
	cat "$root/.failed-tests.log"
	while read -r dir _ _ _ name _; do
		dir=${dir%:}
		log="$root/$dir/meson-logs/testlog.txt"
		[ -f "$log" ] || continue
		note "end of the log of $dir $name"
		awk -v n="$name" '/^==================================== [0-9]+\/[0-9]+ ====/ { cur = "" }
			$0 ~ "^test: +.*" n "$" { cur = n; buf = "" }
			cur != "" { buf = buf $0 "\n" }
			END { printf "%s", buf }' "$log" | tail -n 40
	done <"$root/.failed-tests.log"
fi

echo
if [ "$skipped" -gt 0 ]; then
	echo "Totals: $passed passed, $failed failed, $skipped skipped"
else
	echo "Totals: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
