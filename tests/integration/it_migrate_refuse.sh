#!/bin/bash
# What the daemons refuse, clearly and on both sides, leaving every device as it was:
# unknown, expired, reused and wrongly bound tokens; device maps naming missing, busy or
# incompatible devices, or devices that were not prepared; malformed requests; a data stream
# no job expects; a peer that does not answer.
. "$(dirname "$0")/lib.sh"
it_begin migrate_refuse

it_config hosta hosta \
	'[device "s0"]' 'backend = sim' 'spec = size=256K,seed=31' \
	'[device "s1"]' 'backend = sim' 'spec = size=256K,seed=32' \
	'[device "big"]' 'backend = sim' 'spec = size=512K' \
	'[device "h0"]' 'backend = sim' 'spec = size=256K'
it_config hostb hostb \
	'[device "d0"]' 'backend = sim' 'spec = size=256K' \
	'[device "d1"]' 'backend = sim' 'spec = size=256K'
it_start hosta
it_start hostb

# a source job refused by the destination: FAILED with its code, the device untouched
refused() {
	it_wait_job hosta "$IT_JOB" 10
	it_expect phase FAILED
	it_expect error_code "$1"
	it_has "$IT_OUT" "error_message=the destination refused the migration: $2"
	it_device hosta "${3:-s0}" RUNNING 0
	it_expect_log hostb "PREPARE for its job $IT_JOB refused: ($1: )?$2"
}

# an unknown token
IT_TOKEN=0123456789abcdef0123456789abcdef
it_migrate hosta hostb s0:d0
refused TOKEN_INVALID 'no migration was prepared with this token here'

# an expired token: the prepared job fails by itself and releases its device
it_prepare hostb d0 expiry=1
it_wait_job hostb "$IT_DJOB" 5
it_expect phase FAILED
it_expect error_code TOKEN_EXPIRED
it_device hostb d0 RUNNING 0
it_migrate hosta hostb s0:d0
refused TOKEN_EXPIRED 'this token expired at'

# a token bound to another source: refused, and it stays usable for its own source
it_ok hostb prepare source=dns:hostc.test devices=d0
IT_TOKEN=$(it_get token)
IT_DJOB=$(it_get job_id)
it_migrate hosta hostb s0:d0
refused TOKEN_INVALID "this token is bound to source 'dns:hostc.test', but this link authenticated as 'dns:hosta.test'"
it_ok hostb job-status job="$IT_DJOB"
it_expect phase WAITING
it_ok hostb job-cancel job="$IT_DJOB"

# a bare DNS name binds like dns:NAME; the token then works once and never again
it_ok hostb prepare source=hosta.test devices=d0
IT_TOKEN=$(it_get token)
IT_DJOB=$(it_get job_id)
it_migrate hosta hostb s0:d0
it_wait_job hosta "$IT_JOB" 20
it_expect phase COMPLETED
it_migrate hosta hostb s1:d0
refused TOKEN_INVALID "this token was already used \(by job $IT_DJOB; tokens are single-use\)" s1

# the map names a device that was not prepared: the token is spent, nothing is touched
it_prepare hostb d0
it_migrate hosta hostb s1:d1
refused INVALID_ARGUMENT "the source maps to device 'd1', which was not prepared" s1
it_ok hostb job-status job="$IT_DJOB"
it_expect phase FAILED
it_device hostb d0 RUNNING 0
it_device hostb d1 RUNNING 0

# an incompatible target (another size): refused with both models named
it_prepare hostb d1
it_migrate hosta hostb big:d1
refused INCOMPATIBLE "device 'd1' is vfio-migd-sim 'sim 262144x4096 .*', the source device 'big' is vfio-migd-sim 'sim 524288x4096 .*'" big
it_ok hostb job-status job="$IT_DJOB"
it_expect device.0.reset 0
it_device hostb d1 RUNNING 0

# refused at once on the source: missing and busy devices
it_err hosta NOT_FOUND migrate peer=127.0.0.1:1 token=x map=nosuch:d0
it_has "$IT_OUT" "device 'nosuch' not found"
it_ok hosta prepare source=dns:hostb.test devices=h0
hjob=$(it_get job_id)
it_err hosta BUSY migrate peer=127.0.0.1:1 token=x map=h0:d0
it_has "$IT_OUT" "device 'h0' belongs to job $hjob"
it_device hosta s1 RUNNING 0

# and on the destination: missing and busy devices, a bad identity
it_err hostb NOT_FOUND prepare source=dns:hosta.test devices=nosuch
it_prepare hostb d0
it_err hostb BUSY prepare source=dns:hosta.test devices=d0
it_has "$IT_OUT" "device 'd0' belongs to job $IT_DJOB"
it_err hostb INVALID_ARGUMENT prepare 'source=dns:a b' devices=d1
it_has "$IT_OUT" 'is not an identity'

# a data stream nobody expects (STREAM_HELLO for job 1, device 0, token "x") is closed
it_probe hostb hosta raw=0000000703010000080110001a0178 wait-close=5
it_expect_log hostb 'data stream from 127\.0\.0\.1:[0-9]+ \(dns:hosta\.test\) for job 1 device 0 refused: no migration here expects it'
it_alive hostb

# a peer nobody listens on: the job fails PEER_UNREACHABLE and releases its devices, each
# back where it was (s0 stayed stopped after its migration above)
it_ok hosta migrate peer=127.0.0.1:1 token=x map=s0:d0,s1:d1
IT_JOB=$(it_get job_id)
it_wait_job hosta "$IT_JOB" 10
it_expect phase FAILED
it_expect error_code PEER_UNREACHABLE
it_device hosta s0 STOP 0
it_device hosta s1 RUNNING 0
it_pass
