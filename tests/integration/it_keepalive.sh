#!/bin/bash
# A frozen peer (SIGSTOP) is detected by keepalive within the configured bounds: interval 1 s,
# count 3, so the link must close between 3 s and (count + 1) x interval plus scheduling slack.
. "$(dirname "$0")/lib.sh"
it_begin keepalive

it_config hosta hosta
it_config hostb hostb
it_start hosta
it_start hostb
it_ok hosta peer-connect address=127.0.0.1:"$(it_port hostb)"
it_has "$IT_OUT" '^state=READY$'
sleep 2.5
it_ok hosta peer-list
it_has "$IT_OUT" 'rtt_us=[0-9]+$'

t0=$(date +%s%N)
kill -STOP "$(it_pid hostb)"
it_wait_log hosta 'no answer to 3 keepalives' 15 || it_fail "frozen peer not detected in 15 s"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
it_log "frozen peer detected after $ms ms"
[ "$ms" -ge 2500 ] || it_fail "detected after $ms ms: faster than 3 unanswered keepalives allow"
[ "$ms" -le 7000 ] || it_fail "detected after $ms ms: later than the configured bound"
it_ok hosta peer-list
it_has "$IT_OUT" '^peers=0$'

# the peer wakes up, both daemons work, and a new link can be made
kill -CONT "$(it_pid hostb)"
it_alive hostb
it_ok hosta peer-connect address=127.0.0.1:"$(it_port hostb)"
it_has "$IT_OUT" '^state=READY$'
it_pass
