#!/bin/bash
# Per-device metadata from the source orchestrator reaches the destination job unchanged and
# can be read there with job_metadata (by target or source id): a full 1 MiB blob, an empty
# one and a short text, while the job runs and after it completed. Unknown jobs and devices,
# the source job and a job still waiting for PREPARE each give their own clear error.
. "$(dirname "$0")/lib.sh"
it_begin migrate_metadata

it_config hosta hosta \
	'[device "s0"]' 'backend = sim' 'spec = size=1M,seed=1' \
	'[device "s1"]' 'backend = sim' 'spec = size=1M,seed=2' \
	'[device "s2"]' 'backend = sim' 'spec = size=1M,seed=3'
it_config hostb hostb \
	'[device "d0"]' 'backend = sim' 'spec = size=1M' \
	'[device "d1"]' 'backend = sim' 'spec = size=1M' \
	'[device "d2"]' 'backend = sim' 'spec = size=1M'
it_start hosta
it_start hostb

head -c 1048576 /dev/urandom >"$IT_DIR/meta0.bin"
: >"$IT_DIR/meta1.bin"
printf 'vmm-config: {"msix": 32, "bar0": "0xfe000000"}' >"$IT_DIR/meta2.bin"
sum() { sha256sum "$1" | cut -d' ' -f1; }

it_prepare hostb d0,d1,d2 expiry=60
# before the source's PREPARE there is nothing to read yet
it_err hostb BUSY job-metadata job="$IT_DJOB" device=d0
it_has "$IT_OUT" "PREPARE has not arrived yet"

it_migrate hosta hostb s0:d0,s1:d1,s2:d2 switchover=manual \
	metadata_files="$IT_DIR/meta0.bin,$IT_DIR/meta1.bin,$IT_DIR/meta2.bin"
it_wait_phase hostb "$IT_DJOB" PRECOPY 10

check_all() {
	it_ok hostb job-metadata job="$IT_DJOB" device=d0
	it_expect metadata_len 1048576
	it_expect metadata_sha256 "$(sum "$IT_DIR/meta0.bin")"
	it_ok hostb job-metadata job="$IT_DJOB" device=s0 # the source id names it too
	it_expect metadata_sha256 "$(sum "$IT_DIR/meta0.bin")"
	it_ok hostb job-metadata job="$IT_DJOB" device=d1
	it_expect metadata_len 0
	it_expect metadata_sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	it_expect metadata_hex ""
	it_ok hostb job-metadata job="$IT_DJOB" device=d2
	it_expect metadata_len "$(stat -c %s "$IT_DIR/meta2.bin")"
	it_expect metadata_hex "$(od -An -tx1 -v "$IT_DIR/meta2.bin" | tr -d ' \n')"
	it_expect metadata_sha256 "$(sum "$IT_DIR/meta2.bin")"
}
check_all

# the errors
it_err hostb NOT_FOUND job-metadata job="$IT_DJOB" device=d9
it_has "$IT_OUT" "has no device 'd9'"
it_err hostb NOT_FOUND job-metadata job=999 device=d0
it_has "$IT_OUT" "job 999 not found"
it_err hosta INVALID_ARGUMENT job-metadata job="$IT_JOB" device=s0
it_has "$IT_OUT" "read from the destination job"

it_wait_phase hosta "$IT_JOB" SWITCHOVER_PENDING 20
it_ok hosta job-switchover job="$IT_JOB"
it_wait_job hosta "$IT_JOB" 30
it_expect phase COMPLETED
it_wait_job hostb "$IT_DJOB" 10
it_expect phase COMPLETED
it_expect_log hostb "job $IT_DJOB: accepted: 3 device\(s\) in RESUMING, $((1048576 + $(stat -c %s "$IT_DIR/meta2.bin"))) bytes of metadata"
# a completed job keeps its metadata while it stays queryable
check_all
it_pass
