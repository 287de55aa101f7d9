package conn_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// needBinary skips the test when a peer binary is missing, except under
// CI=true, where a missing peer is a failure (.ci/run installs them).
func needBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: CI must install it (see .ci/run)", name)
		}
		t.Skipf("%s not installed: install openssl and gnutls-bin to run the real-peer tests", name)
	}
	return path
}

// peer is a server binary running on a loopback port.
type peer struct {
	addr  string
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer // stdout and stderr, for -msg traces
	done  chan struct{}
}

// Output returns what the peer printed so far.
func (p *peer) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

type lockedWriter struct{ p *peer }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// freePort finds a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPeer runs bin with args (where "{port}" is replaced) and waits until
// it accepts connections. It is killed when the test ends.
func startPeer(t *testing.T, bin string, args ...string) *peer {
	t.Helper()
	return startPeerOn(t, freePort(t), bin, args...)
}

// startPeerOn is startPeer on a port the caller chose, for a peer that
// reads its port from a configuration file.
func startPeerOn(t *testing.T, port int, bin string, args ...string) *peer {
	t.Helper()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, bin, args...)
	p := &peer{addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	cmd.Stdout = lockedWriter{p}
	cmd.Stderr = lockedWriter{p}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	p.stdin = stdin
	require.NoError(t, cmd.Start())
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			// The probe connection counts as a client for the peer: close it
			// at once; openssl and gnutls-serv both carry on.
			c.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited early: %s", bin, p.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %s", bin, p.addr, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOutput waits until the peer printed substr.
func (p *peer) waitOutput(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Output(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("peer never printed %q; output:\n%s", substr, p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lines returns n newline-terminated lines totalling at least size bytes,
// each shorter than 16 KiB as openssl -rev needs.
func lines(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "line %06d %s\n", i, strings.Repeat(string(rune('a'+i%26)), 1000+i%3000))
	}
	return b.Bytes()
}

func reverseLines(data []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		l := []byte(sc.Text())
		for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
			l[i], l[j] = l[j], l[i]
		}
		out.Write(l)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
