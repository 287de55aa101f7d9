package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// certFiles writes the test PKI for --ca, --cert and --key.
func certFiles(t *testing.T) testpeer.CertFiles {
	t.Helper()
	f, err := testpeer.WriteCertFiles(t.TempDir())
	require.NoError(t, err)
	return f
}

// serveTLS runs an in-process crypto/tls server on loopback; handle runs
// on each connection after its handshake.
func serveTLS(t *testing.T, cfg *tls.Config, handle func(*tls.Conn)) string {
	t.Helper()
	if cfg.Certificates == nil {
		cfg.Certificates = []tls.Certificate{testpeer.ECDSACertificate()}
	}
	return serveRaw(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			handle(tc)
		}
	})
}

// serveRaw runs handle on each TCP connection accepted on loopback.
func serveRaw(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echoThenClose echoes until our close_notify, then answers it.
func echoThenClose(c *tls.Conn) {
	io.Copy(c, c)
	c.Close()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// lastLine is stderr's verdict.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// Every exit code connect promises, each from a real connection.
func TestConnectExitCodes(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	echo := serveTLS(t, &tls.Config{}, echoThenClose)
	truncating := serveTLS(t, &tls.Config{}, func(c *tls.Conn) {
		c.Write([]byte("bye\n"))
		// A FIN without close_notify; reading on, so that our close_notify
		// arriving later does not make the kernel answer with an RST.
		c.NetConn().(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c.NetConn())
	})
	clientAuth := serveTLS(t, &tls.Config{MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAnyClientCert}, echoThenClose)
	silent := serveRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	plainHTTP := serveRaw(t, func(c net.Conn) {
		c.Read(make([]byte, 4096))
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	resetting := serveTLS(t, &tls.Config{}, func(c *tls.Conn) {
		c.NetConn().(*net.TCPConn).SetLinger(0)
		c.NetConn().Close()
	})
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		last   string // stderr's last line contains it
	}{
		{"clean", "hello\n", []string{"connect", "--ca", f.Root, echo}, exitClean, "hello\n", "=> clean: close_notify crossed both ways (exit 0)"},
		{"clean tls12", "hello\n", []string{"connect", echo, "--ca", f.Root, "--tls12"}, exitClean, "hello\n", "=> clean"},
		{"dial alias", "hi\n", []string{"dial", "--ca", f.Root, echo}, exitClean, "hi\n", "=> clean"},
		{"unwritable pcap", "", []string{"connect", "--ca", f.Root, "--pcap", "/nonexistent/dir/s.pcapng", echo}, exitFailure, "", "tlsrec: --pcap: open /nonexistent/dir/s.pcapng: no such file or directory"},
		{"unwritable key log", "", []string{"connect", "--ca", f.Root, "--keylog", "/nonexistent/dir/keys", echo}, exitFailure, "", "tlsrec: key log: open /nonexistent/dir/keys: no such file or directory"},
		{"close without waiting", "", []string{"connect", "--ca", f.Root, "--close", "close", echo}, exitClean, "", "=> clean: "},
		{"half close", "hi\n", []string{"connect", "--ca", f.Root, "--close=half", echo}, exitClean, "hi\n", "=> clean: close_notify crossed both ways"},
		{"our truncation", "", []string{"connect", "--ca", f.Root, "--close", "none", echo}, exitTruncated, "", "we closed the transport without close_notify"},
		{"truncated", "", []string{"connect", "--ca", f.Root, truncating}, exitTruncated, "bye\n", "=> truncated at a record boundary"},
		{"alert received", "", []string{"connect", "--ca", f.Root, clientAuth}, exitAlertRecv, "", "=> alert received: the peer sent fatal certificate_required"},
		{"client certificate", "x", []string{"connect", "--ca", f.Root, "--cert", f.ECDSACert, "--key", f.ECDSAKey, clientAuth}, exitClean, "x", "=> clean"},
		{"untrusted", "", []string{"connect", echo}, exitAlertSent, "", "=> alert sent: handshake with " + echo + ": tls: failed to verify certificate"},
		{"wrong name", "", []string{"connect", "--ca", f.Root, "--servername", "example.com", echo}, exitAlertSent, "", "(bad_certificate) (exit 5)"},
		{"send alert", "", []string{"connect", "--ca", f.Root, "--send-alert", "internal_error", echo}, exitAlertSent, "", "=> alert sent: we sent fatal internal_error"},
		{"plain HTTP", "", []string{"connect", "--insecure", plainHTTP}, exitAlertSent, "", "(the server answered in plain HTTP: not a TLS port?)"},
		{"silent", "", []string{"connect", "--insecure", "--timeout", "300ms", silent}, exitTimeout, "", "=> timeout: handshake with " + silent + ": no answer within --timeout 300ms"},
		{"refused", "", []string{"connect", "--insecure", closedPort(t)}, exitTransport, "", "connection refused (exit 7)"},
		{"reset", "", []string{"connect", "--ca", f.Root, resetting}, exitTransport, "", "=> transport error: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, tc.stdin, tc.args...)
			require.Equal(t, tc.code, code, "stderr:\n%s", stderr)
			require.Equal(t, tc.stdout, stdout)
			require.Contains(t, lastLine(stderr), tc.last)
			require.NotContains(t, stderr, "goroutine", "never a stack trace")
		})
	}
}

// Usage errors: one line on stderr, exit 2, nothing dialed.
func TestConnectUsageErrors(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"connect"}, "tlsrec connect: want one host:port argument, got 0 (see tlsrec help connect)"},
		{[]string{"connect", "a:1", "b:2"}, "tlsrec connect: want one host:port argument, got 2"},
		{[]string{"connect", "--nosuchflag", "a:1"}, "tlsrec connect: flag provided but not defined: -nosuchflag"},
		{[]string{"connect", "--ca", "/nonexistent/ca.pem", "127.0.0.1:1"}, "tlsrec: --ca: open /nonexistent/ca.pem: no such file or directory"},
		{[]string{"connect", "--ca", f.ECDSAKey, "127.0.0.1:1"}, "tlsrec: --ca: no PEM certificate in " + f.ECDSAKey},
		{[]string{"connect", "--send-alert", "no_such_alert", "127.0.0.1:1"}, `tlsrec: --send-alert: unknown alert "no_such_alert"`},
		{[]string{"connect", "--send-alert", "user_canceled:loud", "127.0.0.1:1"}, `tlsrec: --send-alert: unknown level "loud"`},
		{[]string{"connect", "--close", "later", "127.0.0.1:1"}, `tlsrec: --close "later": want wait, close, half or none`},
		{[]string{"connect", "--tls12", "--tls13", "127.0.0.1:1"}, "tlsrec: --tls12 and --tls13 exclude each other"},
		{[]string{"connect", "--min", "1.1", "127.0.0.1:1"}, `tlsrec: unknown TLS version "1.1" (want 1.2 or 1.3)`},
		{[]string{"connect", "--min", "1.3", "--max", "1.2", "127.0.0.1:1"}, "tlsrec: --min 1.3 is above --max 1.2"},
		{[]string{"connect", "--cert", f.ECDSACert, "127.0.0.1:1"}, "tlsrec: --cert and --key go together"},
		{[]string{"connect", "no-port"}, `tlsrec: address "no-port": address no-port: missing port in address (want host:port)`},
		{[]string{"connect", "--timeout", "0s", "127.0.0.1:1"}, "tlsrec: --timeout must be positive"},
		{[]string{"nosuchcommand"}, `tlsrec: unknown command "nosuchcommand"`},
		{[]string{"probe", "--pcap", "x.pcapng", "127.0.0.1:1"}, "tlsrec probe: flag provided but not defined: -pcap"},
		{[]string{"demo", "extra"}, `tlsrec demo: unexpected argument "extra"`},
	} {
		code, stdout, stderr := runCLI(t, "", tc.args...)
		require.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		require.Empty(t, stdout, "%v", tc.args)
		require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

// An unknown host is a transport error, in one line.
func TestConnectUnknownHost(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, "", "connect", "--timeout", "5s", "no-such-host.invalid:443")
	require.Equal(t, exitTransport, code, stderr)
	require.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	require.Contains(t, stderr, "=> transport error: dial no-such-host.invalid:443:")
}

// -h and help print the flags and the exit codes on stdout and exit 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "connect"}, {"connect", "-h"},
		{"dial", "--help"}, {"help", "probe"}, {"probe", "-h", "x:1"}, {"help", "demo"}, {"demo", "-h"}} {
		code, stdout, stderr := runCLI(t, "", args...)
		require.Equal(t, exitClean, code, "%v", args)
		require.Empty(t, stderr, "%v", args)
		require.Contains(t, stdout, "7  transport error", "%v: the exit codes", args)
	}
	_, stdout, _ := runCLI(t, "", "help", "connect")
	for _, flag := range []string{"-ca", "-insecure", "-servername", "-alpn", "-tls12", "-tls13", "-min", "-max",
		"-cert", "-key", "-timeout", "-keylog", "-pcap", "-json", "-close", "-send-alert", "-request", "SYNTHESIZED"} {
		require.Contains(t, stdout, flag)
	}
	code, _, stderr := runCLI(t, "")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "usage: tlsrec COMMAND")
}

// -v shows the timeline with handshake messages by name, our alert and
// FIN; flags after the address work; SSLKEYLOGFILE and --keylog get the
// NSS key log.
func TestConnectVerbose(t *testing.T) {
	f := certFiles(t)
	echo := serveTLS(t, &tls.Config{}, echoThenClose)
	dir := t.TempDir()
	t.Setenv("SSLKEYLOGFILE", dir+"/env.keys")
	code, stdout, stderr := runCLI(t, "ping\n", "connect", echo, "--ca", f.Root, "-v", "--keylog", dir+"/flag.keys",
		"--send-alert", "user_canceled", "--alpn", "h2,http/1.1")
	require.Equal(t, exitClean, code, stderr)
	require.Equal(t, "ping\n", stdout)
	for _, want := range []string{
		"-> message ClientHello", "<- message ServerHello", "<- message EncryptedExtensions", "<- message Certificate",
		"<- message CertificateVerify", "<- message Finished", "-> message Finished", "<- message NewSessionTicket",
		"handshake: TLS 1.3, TLS_AES_128_GCM_SHA256, group X25519MLKEM768, ALPN none, HelloRetryRequest false",
		`certificate: subject "CN=localhost", issuer "CN=testpeer root"`, "verified: chain and name 127.0.0.1",
		"-> alert   warning user_canceled", "-> alert   warning close_notify", "<- alert   warning close_notify",
		"-> fin     TCP FIN: we shut our write side", "note    stdin EOF: closing (--close wait)",
	} {
		require.Contains(t, stderr, want)
	}
	for _, name := range []string{"env.keys", "flag.keys"} {
		keys := readFile(t, dir+"/"+name)
		require.Contains(t, keys, "CLIENT_TRAFFIC_SECRET_0 ", name)
		require.Contains(t, keys, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", name)
	}
}

// With --json every line on stdout and stderr is one JSON object: the
// server's data as "data" events, the timeline, the summary, the verdict.
func TestConnectJSON(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	echo := serveTLS(t, &tls.Config{}, echoThenClose)
	code, stdout, stderr := runCLI(t, "ping\n", "connect", "--json", "-v", "--tls12", "--ca", f.Root, echo)
	require.Equal(t, exitClean, code, stderr)
	types := map[string]int{}
	var last map[string]any
	for _, out := range []string{stdout, stderr} {
		for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
			var obj map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &obj), "%q", line)
			types[obj["type"].(string)]++
			last = obj
		}
	}
	require.Equal(t, map[string]any{"type": "verdict", "verdict": "clean", "detail": "close_notify crossed both ways", "exit": float64(0)}, last)
	require.Equal(t, fmt.Sprintf(`{"type":"data","data":"ping\n"}`+"\n"), stdout)
	for _, typ := range []string{"record", "message", "alert", "summary", "fin"} {
		require.Positive(t, types[typ], typ)
	}
	require.Contains(t, stderr, `"extended_master_secret":true`)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// With --json a usage error is a JSON line too.
func TestUsageErrorJSON(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"connect", "--json"}, {"connect", "--json", "--nosuchflag", "a:1"},
		{"probe", "--json", "a:1", "b:2"}, {"demo", "--json", "--scenario", "Nope"}} {
		code, stdout, stderr := runCLI(t, "", args...)
		require.Equal(t, exitUsage, code, "%v", args)
		require.Empty(t, stdout)
		var obj map[string]any
		require.NoError(t, json.Unmarshal([]byte(stderr), &obj), "%v: %q", args, stderr)
		require.Equal(t, "error", obj["type"])
		require.Contains(t, obj["text"], "tlsrec ")
	}
}
