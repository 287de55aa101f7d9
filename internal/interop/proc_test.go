package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// startTimeout bounds a server's start, generous for a loaded machine (a
// JVM compiling its source under -race's neighbours).
const startTimeout = 60 * time.Second

// logBuffer collects a process's stdout and stderr.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// runServer starts program tool (looked up with testpeer.NeedTool, so a
// missing one skips or fails under CI=true) in dir with args, waits until
// addr accepts TCP connections, and kills it when the test ends. The
// readiness probe is one TCP connection closed at once; every server here
// shrugs it off.
func runServer(t *testing.T, dir, addr, tool string, args ...string) {
	t.Helper()
	out, exited := startProcess(t, dir, tool, args...)
	if err := waitListening(addr, exited); err != nil {
		t.Fatalf("interop: %s: %v\n%s", tool, err, out)
	}
}

// runReporting starts a server told to listen on port 0, and returns the
// address it reports: its output's first match of report, whose group is
// the port. No other process can take that port meanwhile, as one picked
// by freeAddr could be.
func runReporting(t *testing.T, dir string, report *regexp.Regexp, tool string, args ...string) string {
	t.Helper()
	out, exited := startProcess(t, dir, tool, args...)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		if m := report.FindStringSubmatch(out.String()); m != nil {
			return net.JoinHostPort("127.0.0.1", m[1])
		}
		select {
		case <-exited:
			t.Fatalf("interop: %s exited before listening\n%s", tool, out)
		case <-ctx.Done():
			t.Fatalf("interop: %s did not report its port: %v\n%s", tool, ctx.Err(), out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startProcess starts tool in dir with its output captured, and kills it
// when the test ends; exited is closed once it has.
func startProcess(t *testing.T, dir, tool string, args ...string) (out *logBuffer, exited chan struct{}) {
	t.Helper()
	cmd := exec.Command(testpeer.NeedTool(t, tool), args...)
	cmd.Dir = dir
	out = new(logBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("interop: starting %s: %v", tool, err)
	}
	exited = make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return out, exited
}

// waitListening dials addr until it answers, the process exits, or
// startTimeout passes.
func waitListening(addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", addr)
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s: %w", addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freeAddr returns a loopback address whose port was free a moment ago,
// for servers that cannot report the port the kernel gave them.
func freeAddr(t *testing.T) (addr string, port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	defer ln.Close()
	port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	return net.JoinHostPort("127.0.0.1", port), port
}
