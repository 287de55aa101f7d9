// Package bogo runs BoringSSL's BoGo conformance suite (ssl/test/runner)
// against this repository's shim (./shim) with the config beside it
// (config.json: every disabled test with its reason).
//
// The runner is BoringSSL's code and is never committed here. Build it,
// pinned, outside the repository:
//
//	git clone https://boringssl.googlesource.com/boringssl /tmp/boringssl
//	git -C /tmp/boringssl checkout a0689af29e8e460f1e5380e0fb74cef1b342e810
//	cd /tmp/boringssl/ssl/test/runner && go test -c -o /tmp/bogo/runner.test
//	BOGO_RUNNER=/tmp/bogo/runner.test go test ./internal/bogo -v -run TestBoGo
package bogo
