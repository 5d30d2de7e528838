#!/bin/bash
# Peer links between two real daemons: HELLO both ways with identities and the negotiated
# version, version negotiation with a newer and with an incompatible peer (refused clearly on
# both sides), hostile frames on the peer port, and a link that survives all of it.
. "$(dirname "$0")/lib.sh"
it_begin peer_link

it_config hosta hosta
it_config hostb hostb
it_start hosta
it_start hostb
pb=$(it_port hostb)
[ -n "$pb" ] || it_fail "hostb logged no peer port"

# hosta -> hostb: a READY link, each side knows the other
it_ok hosta peer-connect address=127.0.0.1:"$pb" expect_host=hostb.test
it_has "$IT_OUT" '^state=READY$'
it_has "$IT_OUT" '^identity=dns:hostb.test$'
it_has "$IT_OUT" '^host_identity=hostb$'
it_has "$IT_OUT" '^protocol_version=1$'
it_has "$IT_OUT" '^fingerprint=[0-9a-f]{64}$'
it_ok hostb peer-list
it_has "$IT_OUT" '^peers=1$'
it_has "$IT_OUT" 'identity=dns:hosta.test$'
it_has "$IT_OUT" 'outgoing=0$'
it_ok hosta info
it_has "$IT_OUT" "^listen.0=127.0.0.1:[0-9]+$"
it_has "$IT_OUT" '^tls.state=READY$'
it_has "$IT_OUT" '^tls.ktls_tx=[01]$'
# the effective TLS version, cipher and kTLS state are logged when a link comes up
it_expect_log hosta 'link up \(outgoing\): protocol 1.*TLSv1\.3 TLS_AES_[0-9]+_GCM_SHA[0-9]+, kTLS tx (on|off) rx (on|off)'
it_expect_log hostb 'link up \(incoming\)'

# a port nobody listens on, and a peer name that does not resolve
it_err hosta PEER_UNREACHABLE peer-connect address=127.0.0.1:1
it_has "$IT_OUT" 'message=.*127.0.0.1:1'
it_ctl hosta peer-connect address=no-such-host.invalid:7790
[ "$IT_RC" -eq 1 ] || it_fail "unresolvable peer name accepted: $IT_OUT"

# a newer peer speaking 1..5 gets version 1
it_probe hostb hosta hello=5:1 expect-hello ping
[ "$IT_RC" -eq 0 ] || it_fail "newer peer refused: $IT_OUT"
it_has "$IT_OUT" 'event=hello version=1'

# an incompatible peer (99..99) is refused with the reason on the wire and in the log
it_probe hostb hosta hello=99:99 expect-abort wait-close=5
it_has "$IT_OUT" 'event=abort code=UNSUPPORTED reason=.*1\.\.1.*99\.\.99|event=abort .*99'
it_expect_log hostb 'peer 127\.0\.0\.1:[0-9]+.*incompatible protocol.*99'

# hostile frames, each closing only that connection with a precise log line
it_probe hostb hosta raw=0000000009990000 wait-close=5
it_expect_log hostb 'peer 127\.0\.0\.1:[0-9]+ \(dns:hosta.test\): protocol error: unknown frame type 0x0999'
it_probe hostb hosta raw=7fffffff02010000 wait-close=5
it_expect_log hostb 'protocol error: PEER_HELLO frame of 2147483647 bytes \(its cap is 1024\)'
it_probe hostb hosta raw=0000000402010000ffffffff wait-close=5
it_expect_log hostb 'peer 127\.0\.0\.1:[0-9]+.*undecodable PEER_HELLO'
it_probe hostb hosta raw=0000000802020000 wait-close=5
it_expect_log hostb 'protocol error: first frame is PEER_PING; expected PEER_HELLO'
it_probe hostb hosta hello expect-hello raw=00000010030200000000000000000000 wait-close=5
it_expect_log hostb 'protocol error: STREAM_DATA frame on a peer control link \(it belongs on a data stream\)'

# through all of that the first link stayed up and both daemons serve
it_alive hosta
it_alive hostb
it_ok hosta peer-list
it_has "$IT_OUT" '^peers=1$'
it_has "$IT_OUT" 'state=READY$'
it_pass
