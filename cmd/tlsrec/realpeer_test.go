package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// realServer is a server program on 127.0.0.1 with the test PKI.
type realServer struct {
	name string
	// start starts the server in dir, its own temporary directory, and
	// returns its address once it accepts connections.
	start func(t *testing.T, dir string, f testpeer.CertFiles) (addr string)
}

// The three servers of the README's probe results. Each serves a small
// page at / from dir.
var realServers = []realServer{
	{"openssl s_server -WWW", runOnPort(func(t *testing.T, dir string, f testpeer.CertFiles, port int) *exec.Cmd {
		return exec.Command(testpeer.NeedTool(t, "openssl"), "s_server", "-quiet", "-WWW",
			"-accept", "127.0.0.1:"+strconv.Itoa(port), "-cert", f.ECDSACert, "-key", f.ECDSAKey)
	})},
	{"gnutls-serv --httpdata", runOnPort(func(t *testing.T, dir string, f testpeer.CertFiles, port int) *exec.Cmd {
		return exec.Command(testpeer.NeedTool(t, "gnutls-serv"), "--quiet", "--port", strconv.Itoa(port),
			"--x509certfile", f.ECDSACert, "--x509keyfile", f.ECDSAKey, "--httpdata", filepath.Join(dir, "index.html"))
	})},
	{"nginx", func(t *testing.T, dir string, f testpeer.CertFiles) string {
		return testpeer.StartNginx(t, f.ECDSACert, f.ECDSAKey, "root "+dir+";")
	}},
}

// startReal starts s; it is stopped when the test ends. It returns the
// address and the CA file.
func startReal(t *testing.T, s realServer) (string, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := testpeer.WriteCertFiles(dir)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>tlsrec probe page</html>\n"), 0o644))
	return s.start(t, dir, f), f.Root
}

// runOnPort makes a realServer's start from newCmd, the server's command
// for a port: it runs the command in dir on a free port, kills it when
// the test ends, and waits until it accepts connections.
func runOnPort(newCmd func(t *testing.T, dir string, f testpeer.CertFiles, port int) *exec.Cmd) func(*testing.T, string, testpeer.CertFiles) string {
	return func(t *testing.T, dir string, f testpeer.CertFiles) string {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := newCmd(t, dir, f, port)
		cmd.Dir = dir
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		stdin, err := cmd.StdinPipe() // s_server reads commands from stdin: keep it open
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			stdin.Close()
			cmd.Process.Kill()
			cmd.Wait()
		})
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for deadline := time.Now().Add(20 * time.Second); ; {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				return addr
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start: %v\n%s", filepath.Base(cmd.Path), err, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// connect --request against each real server, on each version: the
// response on stdout, the summary, and a clean verdict (each sends
// close_notify after its Connection: close response, and we answer).
func TestConnectRealServers(t *testing.T) {
	for _, s := range realServers {
		t.Run(s.name, func(t *testing.T) {
			addr, ca := startReal(t, s)
			for _, v := range []string{"--tls13", "--tls12"} {
				code, stdout, stderr := runCLI(t, "", "connect", "--request", "--ca", ca, addr, v)
				require.Equal(t, exitClean, code, "%s %s:\n%s", s.name, v, stderr)
				require.Contains(t, stdout, "HTTP/1.", v)
				require.Contains(t, stderr, "handshake: TLS 1."+v[len(v)-1:], v)
				require.Contains(t, stderr, "verified: chain and name 127.0.0.1", v)
				require.Contains(t, lastLine(stderr), "=> clean: close_notify crossed both ways", v)
			}
		})
	}
}

// probe --http against each real server reports what the interop matrix
// (internal/interop, the README's "How real servers end a connection")
// pins for it, on both versions.
func TestProbeRealServers(t *testing.T) {
	want := map[string]map[string]string{ // check: result prefix, per server
		"openssl s_server -WWW":  {"after response": "close_notify", "our close_notify": "answers", "half-closed": "serves it, then close_notify", "user_canceled": "ignores it"},
		"gnutls-serv --httpdata": {"after response": "close_notify", "our close_notify": "answers", "half-closed": "", "user_canceled": "ends: bare FIN"},
		"nginx":                  {"after response": "close_notify", "our close_notify": "bare FIN, no answer", "half-closed": "serves it, then bare FIN", "user_canceled": "ignores it"},
	}
	for _, s := range realServers {
		t.Run(s.name, func(t *testing.T) {
			addr, ca := startReal(t, s)
			code, stdout, stderr := runCLI(t, "", "probe", "--http", "--wait", "1s", "--ca", ca, addr)
			require.Equal(t, exitClean, code, stderr)
			t.Logf("tlsrec probe --http %s (%s):\n%s", addr, s.name, stdout)
			for _, v := range []string{"TLS 1.3", "TLS 1.2"} {
				for check, prefix := range want[s.name] {
					line := findingLine(t, stdout, v, check)
					require.True(t, strings.HasPrefix(line, prefix), "%s %s %s: got %q\n%s", s.name, v, check, line, stdout)
				}
			}
			require.Contains(t, stdout, "\nsummary            TLS 1.3")
		})
	}
}

// findingLine returns the result of one finding line.
func findingLine(t *testing.T, out, version, check string) string {
	t.Helper()
	prefix := fmt.Sprintf("%-8s %-17s ", version, check)
	for line := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return rest
		}
	}
	t.Fatalf("no %s %s finding in:\n%s", version, check, out)
	return ""
}
