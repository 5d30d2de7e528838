#!/bin/sh
# run-fuzz.sh HARNESS NAME SRCDIR SECONDS: replay the regression inputs of NAME, then fuzz it
# for SECONDS starting from its seed corpus. New corpus entries go to a scratch folder, never
# into the source tree.
set -eu
exe=$1 name=$2 src=$3 secs=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$src/regress/$name" ] && [ -n "$(ls -A "$src/regress/$name")" ]; then
	"$exe" -runs=0 "$src"/regress/"$name"/*
fi
seeds=""
[ -d "$src/corpus/$name" ] && seeds="$src/corpus/$name"
# shellcheck disable=SC2086
exec "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work" $seeds
