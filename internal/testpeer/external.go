package testpeer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a real TLS server process on loopback (openssl s_server,
// gnutls-serv) with the test certificates and a key log, ready to put
// behind a Peer: Config{External: &srv.External}.
type Server struct {
	External
	Files CertFiles
	// Stdin is the server's standard input: s_server's commands ("Q\n",
	// "r\n" for renegotiation, ...) and the data it sends.
	Stdin io.WriteCloser

	cmd *exec.Cmd
	out *output
}

// NeedTool returns the path of program name. When it is missing the test
// is skipped, or fails when the environment variable CI is "true".
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testpeer: %s is required when CI=true: %v", name, err)
		}
		t.Skipf("testpeer: %s not installed: %v", name, err)
	}
	return path
}

// acceptLine is what s_server prints once it listens.
var acceptLine = regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`)

// StartOpenSSL starts `openssl s_server` on 127.0.0.1 with an ephemeral
// port, the ECDSA (-cert) and RSA (-dcert) test certificates and
// -keylogfile; args are appended (-rev, -www, -tls1_2, -ciphersuites,
// -cipher, -msg ...). It is killed when the test ends.
func StartOpenSSL(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := NeedTool(t, "openssl")
	s := newServer(t)
	argv := append([]string{"s_server", "-accept", "127.0.0.1:0",
		"-cert", s.Files.ECDSACert, "-key", s.Files.ECDSAKey,
		"-dcert", s.Files.RSACert, "-dkey", s.Files.RSAKey,
		"-keylogfile", s.KeyLogPath}, args...)
	s.start(t, exec.Command(bin, argv...))
	m, err := s.waitMatch(acceptLine)
	if err != nil {
		t.Fatalf("testpeer: openssl s_server did not start: %v\n%s", err, s.Output())
	}
	s.Addr = net.JoinHostPort("127.0.0.1", m[1])
	return s
}

// StartGnuTLS starts gnutls-serv on a free port with both test
// certificates and SSLKEYLOGFILE; args are appended (--echo, --priority
// ...). It is killed when the test ends.
func StartGnuTLS(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := NeedTool(t, "gnutls-serv")
	s := newServer(t)
	port, err := freePort()
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	argv := append([]string{"--port", strconv.Itoa(port),
		"--x509certfile", s.Files.ECDSACert, "--x509keyfile", s.Files.ECDSAKey,
		"--x509certfile", s.Files.RSACert, "--x509keyfile", s.Files.RSAKey}, args...)
	cmd := exec.Command(bin, argv...)
	cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+s.KeyLogPath)
	s.start(t, cmd)
	if _, err := s.waitMatch(regexp.MustCompile(`listening on IPv4 .* port \d+\.\.\.done`)); err != nil {
		t.Fatalf("testpeer: gnutls-serv did not start: %v\n%s", err, s.Output())
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return s
}

func newServer(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	files, err := WriteCertFiles(dir)
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	return &Server{
		External: External{KeyLogPath: filepath.Join(dir, "keylog.txt")},
		Files:    files,
		out:      &output{changed: make(chan struct{})},
	}
}

// start runs cmd with its output captured, and stops it when the test
// ends.
func (s *Server) start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = s.out, s.out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testpeer: starting %s: %v", cmd.Path, err)
	}
	s.cmd, s.Stdin = cmd, stdin
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// Output returns what the server printed so far, stdout and stderr mixed.
func (s *Server) Output() string { return s.out.String() }

// WaitOutput waits until the server's output contains substr, or ctx ends
// (after 10 seconds if ctx has no deadline).
func (s *Server) WaitOutput(ctx context.Context, substr string) error {
	_, err := s.wait(ctx, func(b []byte) ([]string, bool) {
		return nil, bytes.Contains(b, []byte(substr))
	})
	return err
}

// startTimeout bounds a server's start; generous, for loaded machines.
const startTimeout = 30 * time.Second

func (s *Server) waitMatch(re *regexp.Regexp) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return s.wait(ctx, func(b []byte) ([]string, bool) {
		m := re.FindSubmatch(b)
		out := make([]string, len(m))
		for i := range m {
			out[i] = string(m[i])
		}
		return out, m != nil
	})
}

func (s *Server) wait(ctx context.Context, match func([]byte) ([]string, bool)) ([]string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	for {
		b, changed := s.out.snapshot()
		if m, ok := match(b); ok {
			return m, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("testpeer: waiting for the server's output: %w", ctx.Err())
		}
	}
}

// output collects a process's output and tells waiters when it grows.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) snapshot() ([]byte, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.buf.Bytes()), o.changed
}

func (o *output) String() string {
	b, _ := o.snapshot()
	return string(b)
}

// freePort returns a loopback port that was free a moment ago, for servers
// that cannot report the port they were given.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
