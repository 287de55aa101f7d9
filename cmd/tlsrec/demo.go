package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// demoCase is one way a connection can end: a misbehaving peer from
// internal/testpeer (a man-in-the-middle in front of a real crypto/tls
// server) and what our client does.
type demoCase struct {
	title    string
	scenario string // a testpeer scenario name
	client   func(c *conn.Conn, tl *timeline) error
}

var demoCases = []demoCase{
	{"we Shutdown and the peer answers: both close_notify alerts cross", "PeerAnswersCloseNotify", pingThenShutdown},
	{"the peer closes TCP without close_notify: truncation, not io.EOF", "PeerClosesWithoutNotify", readToEnd},
	{"we Shutdown and the peer never answers: the deadline ends the wait", "PeerNeverAnswers", pingThenShutdown},
	{"the peer sends close_notify first: io.EOF, and our Close answers", "PeerClosesFirstAfter(5)", pingThenRead},
	{"the peer sends user_canceled, then close_notify", "PeerUserCanceled", readToEnd},
	{"the peer sends a fatal alert", "PeerFatalAlert(handshake_failure)", readToEnd},
	{"the peer asks for a KeyUpdate: ours goes out before our next data", "PeerKeyUpdate(true)", pingTwice},
}

// demo runs each case, or only the named scenario, and prints the
// timeline our client saw through conn.Trace.
func demo(w io.Writer, only string) error {
	ran := 0
	for _, dc := range demoCases {
		if only != "" && dc.scenario != only {
			continue
		}
		ran++
		fmt.Fprintf(w, "\n%d. %s  [testpeer %s]\n", ran, dc.title, dc.scenario)
		if err := runDemoCase(w, dc); err != nil {
			return err
		}
	}
	if only != "" && ran == 0 {
		sc, err := testpeer.Lookup(only)
		if err != nil {
			return fmt.Errorf("%w; scenarios: %v", err, testpeer.ScenarioNames())
		}
		fmt.Fprintf(w, "\n%s\n", sc.Name)
		return runDemoCase(w, demoCase{scenario: only, client: pingThenShutdown})
	}
	return nil
}

func runDemoCase(w io.Writer, dc demoCase) error {
	sc, err := testpeer.Lookup(dc.scenario)
	if err != nil {
		return err
	}
	p, err := testpeer.New(testpeer.Config{Scenario: sc})
	if err != nil {
		return err
	}
	defer p.Close()
	tl := newTimeline(w)
	raw, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		return err
	}
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := conn.Client(raw, &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(), KeyLogWriter: p.KeyLog(), Trace: tl.trace()})
	if err := c.Handshake(); err != nil {
		tl.printf("handshake failed: %v", err)
		c.Close()
		return nil
	}
	err = dc.client(c, tl)
	cs := c.State()
	c.Close()
	fmt.Fprintf(w, "  => %s\n", ending(cs, err))
	return nil
}

func pingThenShutdown(c *conn.Conn, tl *timeline) error {
	io.WriteString(c, "ping\n")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := c.Shutdown(ctx)
	tl.printf("Shutdown: %v", errOrNil(err))
	return err
}

func readToEnd(c *conn.Conn, tl *timeline) error {
	got, err := io.ReadAll(c)
	tl.printf("read %q, then %v", got, errOrNil(err))
	if err == nil {
		err = io.EOF // io.ReadAll hides the verified close_notify's io.EOF
	}
	return err
}

func pingThenRead(c *conn.Conn, tl *timeline) error {
	io.WriteString(c, "ping\n")
	err := readToEnd(c, tl)
	tl.printf("Close: %v", errOrNil(c.Close()))
	return err
}

func pingTwice(c *conn.Conn, tl *timeline) error {
	buf := make([]byte, 5)
	for _, msg := range []string{"ping\n", "pong\n"} {
		io.WriteString(c, msg)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		tl.printf("read %q", buf)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Shutdown(ctx)
}

func errOrNil(err error) string {
	if err == nil {
		return "<nil>"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "context deadline exceeded"
	}
	return err.Error()
}
