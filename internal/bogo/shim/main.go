package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// exitUnimplemented tells the runner that the test asks for something this
// shim does not implement; -allow-unimplemented then skips it.
const exitUnimplemented = 89

// errUnimplemented marks a flag value the library cannot honour.
var errUnimplemented = errors.New("unimplemented")

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if slices.Contains(args, "-is-handshaker-supported") {
		// The split handshake is a BoringSSL feature.
		fmt.Println("No")
		return 0
	}
	hc, err := parseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if len(hc.initial.unimplemented) > 0 {
		fmt.Fprintf(os.Stderr, "unimplemented: %s\n", strings.Join(hc.initial.unimplemented, " "))
		return exitUnimplemented
	}
	// One cache across the connections, as bssl_shim keeps the previous
	// connection's session: the initial connection, then -resume-count
	// resumptions under the resume config, each -resumption-delay seconds
	// later than the one before. Like bssl_shim's clock, the connections'
	// clock stands still but for those delays, so ticket ages are exact.
	cache := conn.NewLRUClientSessionCache(1)
	clock := time.Now()
	var delay time.Duration
	last := hc.initial
	for i := 0; i <= hc.initial.resumeCount; i++ {
		cfg := hc.initial
		if i > 0 {
			cfg = hc.resume
			cfg.isResume = true
			delay += time.Duration(cfg.resumptionDelay) * time.Second
			// TLS 1.2 sessions are never resumed (README): a test that
			// expects one to be is unimplemented.
			if last.version == versionTLS12 && !cfg.expectSessionMiss {
				fmt.Fprintln(os.Stderr, "unimplemented: TLS 1.2 resumption")
				return exitUnimplemented
			}
		}
		last = cfg
		if code := runOne(cfg, cache, clock.Add(delay)); code != 0 {
			return code
		}
	}
	return 0
}

// runOne runs one connection of the test under cfg, with the shared
// session cache and the clock standing at now.
func runOne(cfg *shimConfig, cache conn.ClientSessionCache, now time.Time) int {
	tc, err := cfg.connConfig()
	if errors.Is(err, errUnimplemented) {
		fmt.Fprintln(os.Stderr, err)
		return exitUnimplemented
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tc.ClientSessionCache = cache
	// BoringSSL's client keeps offering a session until a newer one
	// replaces it.
	tc.ReuseSessionTickets = true
	tc.Time = func() time.Time { return now }
	if err := connect(cfg, tc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testTimeout bounds one test; the runner's own idle timeout is shorter.
const testTimeout = 60 * time.Second

// connect dials the runner, introduces itself with the shim id ("a 64-bit,
// little-endian integer", PORTING.md) and runs one connection.
func connect(cfg *shimConfig, tc *conn.Config) error {
	host := "127.0.0.1"
	if cfg.ipv6 {
		host = "::1"
	}
	raw, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port)))
	if err != nil {
		return err
	}
	raw.SetDeadline(time.Now().Add(testTimeout))
	if _, err := raw.Write(binary.LittleEndian.AppendUint64(nil, cfg.shimID)); err != nil {
		raw.Close()
		return err
	}
	if err := runConnection(raw, cfg, tc); err != nil {
		drain(raw)
		return err
	}
	return nil
}

// drain ends a failed connection without losing the alert that was
// written: closing a socket with unread input sends a TCP RST, which can
// destroy the alert before the runner reads it. So the shim shuts its
// write side, reads until the runner closes, then closes.
func drain(raw net.Conn) {
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, raw)
	raw.Close()
}
