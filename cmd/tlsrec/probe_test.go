package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// probe --http against Go's net/http: what the interop matrix pins for
// it, on both versions, and a table with a column per version.
func TestProbeNetHTTP(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from net/http\n")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testpeer.ECDSACertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	code, stdout, stderr := runCLI(t, "", "probe", addr, "--http", "--wait", "1s", "--ca", f.Root)
	require.Equal(t, exitClean, code, stderr)
	for _, v := range []string{"TLS 1.3", "TLS 1.2"} {
		require.True(t, strings.HasPrefix(findingLine(t, stdout, v, "after response"), "close_notify"), stdout)
		require.True(t, strings.HasPrefix(findingLine(t, stdout, v, "our close_notify"), "answers"), stdout)
		require.True(t, strings.HasPrefix(findingLine(t, stdout, v, "half-closed"), "serves it, then close_notify"), stdout)
		require.Equal(t, "ignores it: served", findingLine(t, stdout, v, "user_canceled")[:18], stdout)
	}
	require.True(t, strings.HasPrefix(findingLine(t, stdout, "TLS 1.3", "handshake"), "TLS_AES_128_GCM_SHA256, X25519MLKEM768, ALPN none"), stdout)
	require.True(t, strings.HasPrefix(findingLine(t, stdout, "TLS 1.2", "tls12 warning"), "ignores it"), stdout)
	require.Contains(t, stdout, "\nsummary            TLS 1.3")
	require.Contains(t, stdout, "\ntls12 warning      -  ")
}

// Without --http against an echo server: it stays open on its own, the
// half-close check needs --http; a TLS 1.2-only server refuses TLS 1.3 and
// the probe still ran (exit 0). --json prints each finding as an object.
func TestProbeEchoJSON(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	addr := serveTLS(t, &tls.Config{MaxVersion: tls.VersionTLS12}, echoThenClose)
	code, stdout, stderr := runCLI(t, "", "probe", "--json", "--wait", "200ms", "--ca", f.Root, addr)
	require.Equal(t, exitClean, code, stderr)
	got := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(stdout), "\n") {
		var fd finding
		require.NoError(t, json.Unmarshal([]byte(line), &fd), line)
		require.Equal(t, "finding", fd.Type)
		got[fd.Version+" "+fd.Check] = fd.Result
	}
	require.Equal(t, map[string]string{
		"TLS 1.3 handshake":        "refuses the version: alert protocol_version",
		"TLS 1.2 handshake":        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, X25519, ALPN none",
		"TLS 1.2 after response":   "stays open",
		"TLS 1.2 our close_notify": "answers",
		"TLS 1.2 half-closed":      "not probed (needs --http)",
		"TLS 1.2 user_canceled":    "ignores it",
		"TLS 1.2 tls12 warning":    "ignores it",
	}, got)
}

// A probe that reaches nothing did not run: exit 7.
func TestProbeUnreachable(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "", "probe", "--insecure", closedPort(t))
	require.Equal(t, exitTransport, code, stderr)
	require.Contains(t, stdout, "unreachable: dial tcp")
	require.NotContains(t, stdout, "summary")
}

// A silent server and a plain-HTTP one: the probe ran (exit 0) and says
// what it met, within --timeout.
func TestProbeNotTLS(t *testing.T) {
	t.Parallel()
	silent := serveRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	plainHTTP := serveRaw(t, func(c net.Conn) {
		c.Read(make([]byte, 4096))
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	code, stdout, stderr := runCLI(t, "", "probe", "--insecure", "--tls13", "--timeout", "300ms", silent)
	require.Equal(t, exitClean, code, stderr)
	require.Equal(t, "no answer within --timeout", findingLine(t, stdout, "TLS 1.3", "handshake")[:26], stdout)
	code, stdout, stderr = runCLI(t, "", "probe", "--insecure", "--tls12", plainHTTP)
	require.Equal(t, exitClean, code, stderr)
	require.True(t, strings.HasPrefix(findingLine(t, stdout, "TLS 1.2", "handshake"), "not TLS: the server answered in plain HTTP: "), stdout)
}
