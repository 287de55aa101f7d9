package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// connectOptions are connect's flags.
type connectOptions struct {
	common
	close     string // wait, close, half, none
	sendAlert string // NAME[:LEVEL]
	request   bool
}

// closeModes are --close's values, described in connect's help.
var closeModes = []string{"wait", "close", "half", "none"}

// session is one connect run: the connection, its tap, the printer.
type session struct {
	opts *connectOptions
	addr string
	p    *printer
	t    *tap
	c    *conn.Conn
	cfg  *conn.Config
	kl   *keyLog
	ae   *alert.Alert // --send-alert
}

// connect runs the connect command and returns its exit code.
func connect(e *env, opts *connectOptions, addr string) int {
	p := newPrinter(e.stdout, e.stderr, opts.json)
	s := &session{opts: opts, addr: addr, p: p}
	if err := s.setup(); err != nil {
		return e.fail(p, exitCode(err), err)
	}
	defer s.kl.Close()
	v := s.run(e.stdin)
	if s.t != nil {
		v = s.t.judge(v)
	}
	p.object(e.stderr, v, v.text())
	if opts.pcap != "" && s.t != nil {
		if err := savePcap(s.t, opts.pcap, s.kl.Bytes()); err != nil {
			return e.fail(p, exitFailure, fmt.Errorf("--pcap: %w", err))
		}
	}
	return v.Exit
}

// setup checks the flags and builds the Config.
func (s *session) setup() error {
	if !slices.Contains(closeModes, s.opts.close) {
		return usagef("--close %q: want wait, close, half or none", s.opts.close)
	}
	if s.opts.sendAlert != "" {
		a, err := parseAlert(s.opts.sendAlert)
		if err != nil {
			return err
		}
		s.ae = &a
	}
	var err error
	if s.cfg, s.kl, err = s.opts.config(s.addr); err != nil {
		return err
	}
	if s.opts.verbose {
		s.cfg.Trace = s.p.trace()
	}
	return nil
}

// open dials and runs the handshake, each within --timeout.
func (s *session) open() error {
	raw, err := (&net.Dialer{Timeout: s.opts.timeout}).Dial("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", s.addr, err)
	}
	s.t = newTap(raw)
	if s.opts.verbose {
		s.t.traceTo(s.p)
	}
	s.c = conn.Client(s.t, s.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.timeout)
	defer cancel()
	err = s.c.HandshakeContext(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !isTimeout(err) {
		// HandshakeContext closed the transport when ctx ended: the
		// error is the closed socket's, the cause the deadline.
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	s.c.Close()
	if s.t.plainHTTP() {
		err = fmt.Errorf("%w (the server answered in plain HTTP: not a TLS port?)", err)
	}
	if isTimeout(err) && ctx.Err() != nil {
		err = fmt.Errorf("no answer within --timeout %v: %w", s.opts.timeout, ctx.Err())
	}
	return fmt.Errorf("handshake with %s: %w", s.addr, err)
}

// state is the connection's state, zero before the dial.
func (s *session) state() conn.State {
	if s.c == nil {
		return conn.State{}
	}
	return s.c.State()
}

// run dials, does the handshake and the session, and judges the ending.
func (s *session) run(stdin io.Reader) verdict {
	if err := s.open(); err != nil {
		return failure(s.state(), err)
	}
	cs := s.c.State()
	s.p.object(s.p.stderr, newSummary(cs, s.opts.insecure), summaryText(cs, s.opts.insecure))
	readDone := make(chan error, 1)
	go s.readLoop(readDone)
	var inputDone <-chan error
	if s.opts.request {
		if _, err := fmt.Fprintf(s.c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", cs.ServerName); err != nil {
			return s.abandon(err, readDone)
		}
	} else {
		in := make(chan error, 1)
		go func() {
			_, err := io.Copy(s.c, stdin)
			in <- err
		}()
		inputDone = in
	}
	select {
	case err := <-readDone:
		// The server ended first: answer its close_notify, if any.
		closeErr := s.c.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return s.finish(err, ignoreClosed(closeErr))
	case err := <-inputDone:
		if err != nil {
			return s.abandon(err, readDone)
		}
		if s.opts.verbose {
			s.p.note("stdin EOF: closing (--close %s)", s.opts.close)
		}
	}
	return s.closeSession(readDone)
}

// readLoop copies the server's data to stdout until an error. With
// --request each read waits at most --timeout: the server is expected to
// end the connection after its response.
func (s *session) readLoop(done chan<- error) {
	buf := make([]byte, 32<<10)
	for {
		if s.opts.request {
			s.c.SetReadDeadline(time.Now().Add(s.opts.timeout))
		}
		n, err := s.c.Read(buf)
		if n > 0 {
			s.p.data(buf[:n])
		}
		if err != nil {
			if s.opts.verbose {
				s.p.note("read: %v", errText(err))
			}
			done <- err
			return
		}
	}
}

// closeSession ends the session as --send-alert and --close say. The
// reader goes on printing what the server sends until it ends.
func (s *session) closeSession(readDone <-chan error) verdict {
	if s.ae != nil {
		if err := s.c.SendAlert(s.ae.Level, s.ae.Description); err != nil {
			return s.abandon(err, readDone)
		}
	}
	switch s.opts.close {
	case "none":
		s.t.Close()
		return s.finish(ignoreClosed(<-readDone))
	case "close":
		return s.finish(s.c.Close())
	}
	// wait and half: our close_notify, then the reader until the peer's,
	// within --timeout (Shutdown, except that the data is printed).
	if err := s.c.CloseWrite(); err != nil {
		return s.abandon(err, readDone)
	}
	if s.opts.close == "half" {
		s.t.CloseWrite()
	}
	s.c.SetReadDeadline(time.Now().Add(s.opts.timeout))
	err := noEOF(<-readDone)
	return s.finish(err, ignoreClosed(s.c.Close()))
}

// abandon ends a session whose write failed: Close unblocks the reader,
// whose error (a truncation, the peer's alert) may tell why.
func (s *session) abandon(writeErr error, readDone <-chan error) verdict {
	s.c.Close()
	return s.finish(writeErr, noEOF(<-readDone))
}

func (s *session) finish(errs ...error) verdict {
	return ending(s.c.State(), errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// parseAlert parses --send-alert's NAME[:LEVEL]. The level defaults to
// warning for close_notify and user_canceled, fatal otherwise.
func parseAlert(s string) (alert.Alert, error) {
	name, level, hasLevel := strings.Cut(s, ":")
	a := alert.Alert{Level: alert.Fatal}
	found := false
	for d := range 256 {
		if alert.Description(d).Registered() && alert.Description(d).String() == name {
			a.Description, found = alert.Description(d), true
			break
		}
	}
	if !found {
		return a, usagef("--send-alert: unknown alert %q (e.g. user_canceled, close_notify, internal_error)", name)
	}
	if a.Description == alert.CloseNotify || a.Description == alert.UserCanceled {
		a.Level = alert.Warning
	}
	switch {
	case !hasLevel:
	case level == "warning":
		a.Level = alert.Warning
	case level == "fatal":
		a.Level = alert.Fatal
	default:
		return a, usagef("--send-alert: unknown level %q (want warning or fatal)", level)
	}
	return a, nil
}

// summary is what the handshake negotiated, printed after it.
type summary struct {
	Type      string `json:"type"` // "summary"
	Version   string `json:"version"`
	Suite     string `json:"suite"`
	Group     string `json:"group"`
	ALPN      string `json:"alpn"`
	HRR       bool   `json:"hello_retry_request"`
	EMS       *bool  `json:"extended_master_secret,omitempty"` // TLS 1.2 only
	Subject   string `json:"subject"`
	Issuer    string `json:"issuer"`
	NotAfter  string `json:"not_after"`
	Verified  bool   `json:"verified"`
	Verifying string `json:"verification"`
}

func newSummary(cs conn.State, insecure bool) summary {
	s := summary{Type: "summary", Version: tls.VersionName(cs.Version), Suite: tls.CipherSuiteName(cs.CipherSuite),
		Group: cs.CurveID.String(), ALPN: cs.NegotiatedProtocol, HRR: cs.HelloRetryRequest,
		Verified: len(cs.VerifiedChains) > 0}
	if cs.Version == tls.VersionTLS12 {
		s.EMS = &cs.ExtendedMasterSecret
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		s.Subject, s.Issuer, s.NotAfter = leaf.Subject.String(), leaf.Issuer.String(), leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	switch {
	case s.Verified:
		s.Verifying = "verified: chain and name " + cs.ServerName
	case insecure:
		s.Verifying = "NOT verified (--insecure)"
	}
	return s
}

func summaryText(cs conn.State, insecure bool) string {
	s := newSummary(cs, insecure)
	alpn := s.ALPN
	if alpn == "" {
		alpn = "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "handshake: %s, %s, group %s, ALPN %s, HelloRetryRequest %v", s.Version, s.Suite, s.Group, alpn, s.HRR)
	if s.EMS != nil {
		fmt.Fprintf(&b, ", extended master secret %v", *s.EMS)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "certificate: subject %q, issuer %q, expires %s, %s", s.Subject, s.Issuer, s.NotAfter, s.Verifying)
	return b.String()
}
