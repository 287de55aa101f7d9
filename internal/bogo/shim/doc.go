// Command shim is tlsrecord's shim for BoringSSL's BoGo test runner
// (ssl/test/runner): the runner starts it once per test with the flags of
// ssl/test/test_config.cc, and the shim connects back, runs this library's
// client through its public API only, and reports the outcome with its exit
// code, as ssl/test/PORTING.md describes. tlsrecord is a client, so every
// server, DTLS and QUIC test is unimplemented (exit code 89).
//
// Run it through internal/bogo's test (BOGO_RUNNER names the runner).
//
// Layer: above conn, like cmd/tlsrec. It imports conn and alert (and
// handshake for the types conn's Trace hands out) and nothing of BoringSSL:
// the runner is built outside this repository.
package main
