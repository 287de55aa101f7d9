package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

type probeOptions struct {
	common
	http bool
	wait time.Duration
}

func probeFlags() (*flag.FlagSet, func(*env, []string) int) {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	o := &probeOptions{}
	o.register(fs, false)
	fs.BoolVar(&o.http, "http", false, "the server speaks HTTP/1.1: send requests (GET /) and watch how it ends its responses")
	fs.DurationVar(&o.wait, "wait", 2*time.Second, "how long each probe waits for the server's reaction")
	fs.Usage = usageFunc(fs, "tlsrec probe [flags] host:port", probeHelp)
	return fs, func(e *env, args []string) int {
		addr, ok := hostPort(e, "probe", args)
		if !ok {
			return exitUsage
		}
		return probe(e, o, addr)
	}
}

const probeHelp = `
Runs several connections to host:port, on TLS 1.3 and on TLS 1.2 each, and
reports how the server ends them, one line per finding, then a summary
table. The checks, one fresh connection each:

  handshake         version, suite, group, ALPN (or how the server refuses the version)
  after response    with --http: how the server ends a Connection: close response
                    (close_notify, then FIN; or a bare FIN: a truncation); without
                    --http: whether it ends an idle connection on its own within --wait
  our close_notify  Shutdown right after the handshake: does the server answer, and
                    how fast, or send a bare FIN, or stay open (--wait)
  half-closed       with --http: a keep-alive request and our close_notify in one TCP
                    segment: does the server still serve it, and how does it end
  user_canceled     a warning user_canceled, then (with --http) a request: ignored or not
  tls12 warning     TLS 1.2 only: a warning unrecognized_name, then (with --http) a request

The exit code is 0 when the probe ran, whatever it found; 7 when the server
cannot be reached; 2 for a usage error.`

// finding is one line of the probe's report.
type finding struct {
	Type    string   `json:"type"` // "finding"
	Version string   `json:"version"`
	Check   string   `json:"check"`
	Result  string   `json:"result"`
	Detail  string   `json:"detail,omitempty"`
	MS      *float64 `json:"ms,omitempty"` // how long the server took to react
}

func (f finding) text() string {
	s := fmt.Sprintf("%-8s %-17s %s", f.Version, f.Check, f.Result)
	if f.MS != nil {
		s += fmt.Sprintf(" (%.1f ms)", *f.MS)
	}
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	return s
}

// prober runs the probe's connections.
type prober struct {
	opts *probeOptions
	addr string
	cfg  *conn.Config
	p    *printer
	rows []finding
}

var probeChecks = []string{"handshake", "after response", "our close_notify", "half-closed", "user_canceled", "tls12 warning"}

func probe(e *env, o *probeOptions, addr string) int {
	p := newPrinter(e.stdout, e.stderr, o.json)
	cfg, kl, err := o.config(addr)
	if err != nil {
		return e.fail(p, exitCode(err), err)
	}
	defer kl.Close()
	if o.verbose {
		cfg.Trace = p.trace()
	}
	lo, hi, _ := o.versionRange()
	pr := &prober{opts: o, addr: addr, cfg: cfg, p: p}
	reached := false
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		if (lo != 0 && v < lo) || (hi != 0 && v > hi) {
			continue
		}
		if pr.version(v) {
			reached = true
		}
	}
	if !reached {
		return exitTransport
	}
	pr.table(e.stdout)
	return exitClean
}

// version runs every check on one version; it reports false when the
// server could not be reached at all.
func (pr *prober) version(v uint16) bool {
	name := tls.VersionName(v)
	c, t, err := pr.dial(v)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) && ne.Op == "dial" {
			pr.report(finding{Version: name, Check: "handshake", Result: "unreachable", Detail: err.Error()})
			return false
		}
		result := "refuses the version: " + endOf(err, t)
		switch {
		case t.plainHTTP():
			result = "not TLS: the server answered in plain HTTP"
		case isTimeout(err):
			result = "no answer within --timeout"
		}
		pr.report(finding{Version: name, Check: "handshake", Result: result, Detail: err.Error()})
		return true
	}
	cs := c.State()
	alpn := cs.NegotiatedProtocol
	if alpn == "" {
		alpn = "none"
	}
	pr.report(finding{Version: name, Check: "handshake", Result: fmt.Sprintf("%s, %s, ALPN %s", tls.CipherSuiteName(cs.CipherSuite), cs.CurveID, alpn)})
	pr.afterResponse(name, c, t)
	pr.run(name, v, "our close_notify", pr.ourCloseNotify)
	if pr.opts.http {
		pr.run(name, v, "half-closed", pr.halfClosed)
	} else {
		pr.report(finding{Version: name, Check: "half-closed", Result: "not probed (needs --http)"})
	}
	pr.run(name, v, "user_canceled", pr.warning(alert.UserCanceled))
	if v == tls.VersionTLS12 {
		pr.run(name, v, "tls12 warning", pr.warning(alert.UnrecognizedName))
	}
	return true
}

// run runs one check on a fresh connection.
func (pr *prober) run(name string, v uint16, check string, f func(c *conn.Conn, t *tap) finding) {
	c, t, err := pr.dial(v)
	if err != nil {
		pr.report(finding{Version: name, Check: check, Result: "handshake failed", Detail: err.Error()})
		return
	}
	defer c.Close()
	fd := f(c, t)
	fd.Version, fd.Check = name, check
	pr.report(fd)
}

func (pr *prober) report(f finding) {
	f.Type = "finding"
	pr.rows = append(pr.rows, f)
	pr.p.object(pr.p.stdout, f, f.text())
}

func (pr *prober) dial(v uint16) (*conn.Conn, *tap, error) {
	raw, err := (&net.Dialer{Timeout: pr.opts.timeout}).Dial("tcp", pr.addr)
	if err != nil {
		return nil, nil, err
	}
	t := newTap(raw)
	cfg := *pr.cfg
	cfg.MinVersion, cfg.MaxVersion = v, v
	// The server's close_notify is not answered until the check is over:
	// what the server does next (FIN, or waiting for ours) is the finding,
	// and an answer racing its close would turn its FIN into an RST.
	cfg.DisableCloseNotifyReply = true
	c := conn.Client(t, &cfg)
	ctx, cancel := context.WithTimeout(context.Background(), pr.opts.timeout)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within --timeout %v: %w", pr.opts.timeout, ctx.Err())
		}
		c.Close()
		return nil, t, err
	}
	return c, t, nil
}

func (pr *prober) request(c *conn.Conn, keepAlive bool) error {
	connection := "close"
	if keepAlive {
		connection = "keep-alive"
	}
	_, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n\r\n", c.State().ServerName, connection)
	return err
}

// afterResponse: how the server ends a Connection: close response (--http),
// or an idle connection on its own.
func (pr *prober) afterResponse(name string, c *conn.Conn, t *tap) {
	defer c.Close()
	f := finding{Version: name, Check: "after response"}
	if pr.opts.http {
		if err := pr.request(c, false); err != nil {
			f.Result = "request failed: " + err.Error()
			pr.report(f)
			return
		}
	}
	start := time.Now()
	o := observe(c, t, pr.opts.wait)
	f.MS = ms(o.at.Sub(start))
	switch {
	case !pr.opts.http && o.end == "stays open":
		f.Result, f.MS = "stays open", nil
		f.Detail = fmt.Sprintf("no close within --wait %v of an idle connection", pr.opts.wait)
	default:
		f.Result = o.summary(false)
		if pr.opts.http {
			f.Detail = fmt.Sprintf("%d bytes of response", o.bytes)
		}
	}
	pr.report(f)
}

// ourCloseNotify: Shutdown right after the handshake.
func (pr *prober) ourCloseNotify(c *conn.Conn, t *tap) finding {
	ctx, cancel := context.WithTimeout(context.Background(), pr.opts.wait)
	defer cancel()
	start := time.Now()
	err := c.Shutdown(ctx)
	took := ms(time.Since(start))
	var te *conn.TruncatedError
	switch {
	case err == nil:
		return finding{Result: "answers", MS: took}
	case isTimeout(err):
		return finding{Result: "stays open", Detail: fmt.Sprintf("no answer within --wait %v", pr.opts.wait)}
	case errors.As(err, &te):
		return finding{Result: endOf(err, t) + ", no answer", MS: took}
	}
	return finding{Result: endOf(err, t), MS: took, Detail: err.Error()}
}

// halfClosed: a keep-alive request and our close_notify in one segment.
func (pr *prober) halfClosed(c *conn.Conn, t *tap) finding {
	cork(t.Conn, true)
	err := pr.request(c, true)
	if err == nil {
		err = c.CloseWrite()
	}
	cork(t.Conn, false)
	if err != nil {
		return finding{Result: "could not send: " + err.Error()}
	}
	start := time.Now()
	o := observe(c, t, pr.opts.wait)
	if o.bytes > 0 {
		return finding{Result: "serves it, then " + o.summary(false), MS: ms(o.at.Sub(start)), Detail: fmt.Sprintf("%d bytes of response", o.bytes)}
	}
	return finding{Result: o.summary(false) + " without serving it", MS: ms(o.at.Sub(start))}
}

// warning: a warning alert, then a request (--http) or a wait.
func (pr *prober) warning(d alert.Description) func(c *conn.Conn, t *tap) finding {
	return func(c *conn.Conn, t *tap) finding {
		if err := c.SendAlert(alert.Warning, d); err != nil {
			return finding{Result: "could not send: " + err.Error()}
		}
		if pr.opts.http {
			// A failed write shows in what the read finds.
			pr.request(c, false)
		}
		start := time.Now()
		o := observe(c, t, pr.opts.wait)
		switch {
		case o.bytes > 0:
			return finding{Result: "ignores it", Detail: fmt.Sprintf("served %d bytes after it", o.bytes)}
		case o.end == "stays open":
			return finding{Result: "ignores it", Detail: fmt.Sprintf("no reaction within --wait %v", pr.opts.wait)}
		}
		return finding{Result: "ends: " + o.summary(false), MS: ms(o.at.Sub(start))}
	}
}

// outcome is how the server ended what observe watched.
type outcome struct {
	bytes int
	end   string // close_notify, bare FIN, RST, alert NAME, we sent NAME, stays open
	then  string // after close_notify: FIN, RST, no FIN within --wait
	at    time.Time
}

func (o outcome) summary(withThen bool) string {
	if o.then != "" && (withThen || o.end == "close_notify") {
		return o.end + ", then " + o.then
	}
	return o.end
}

// observe reads until the server ends the connection or is idle for
// wait; after a close_notify it looks, up to wait, for the FIN.
func observe(c *conn.Conn, t *tap, wait time.Duration) outcome {
	var o outcome
	buf := make([]byte, 32<<10)
	var err error
	for err == nil {
		c.SetReadDeadline(time.Now().Add(wait))
		var n int
		n, err = c.Read(buf)
		o.bytes += n
	}
	o.at = time.Now()
	o.end = endOf(err, t)
	if o.end == "close_notify" {
		o.then = transportEnd(t, wait)
	}
	return o
}

// endOf names how err ended a connection.
func endOf(err error, t *tap) string {
	var ae *alert.Error
	var te *conn.TruncatedError
	switch {
	case errors.Is(err, io.EOF):
		return "close_notify"
	case errors.As(err, &ae) && ae.Remote:
		return "alert " + ae.Alert.Description.String()
	case errors.As(err, &ae):
		return "we sent " + ae.Alert.Description.String()
	case t != nil && t.judge(verdict{Exit: exitTruncated}).Exit == exitTransport:
		return "RST"
	case errors.As(err, &te):
		return "bare FIN"
	case isTimeout(err):
		return "stays open"
	case isReset(err):
		return "RST"
	}
	return err.Error()
}

// transportEnd reads the raw transport after the peer's close_notify (what
// follows it is not TLS data any more) for its FIN.
func transportEnd(t *tap, wait time.Duration) string {
	t.SetReadDeadline(time.Now().Add(wait))
	var buf [512]byte
	for {
		_, err := t.Read(buf[:])
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return "FIN"
		case isReset(err):
			return "RST"
		case isTimeout(err):
			return "no FIN within --wait"
		}
		return err.Error()
	}
}

func ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

// table prints the summary: a row per check, a column per version.
func (pr *prober) table(w io.Writer) {
	if pr.opts.json {
		return
	}
	cells := map[string]map[string]string{}
	var versions []string
	width := len("TLS 1.3")
	for _, f := range pr.rows {
		if cells[f.Check] == nil {
			cells[f.Check] = map[string]string{}
		}
		if f.Check == "handshake" {
			versions = append(versions, f.Version)
		}
		cells[f.Check][f.Version] = f.Result
		width = max(width, len(f.Result))
	}
	line := func(first string, cols []string) {
		s := fmt.Sprintf("%-17s", first)
		for _, c := range cols {
			s += fmt.Sprintf("  %-*s", width, c)
		}
		fmt.Fprintln(w, strings.TrimRight(s, " "))
	}
	fmt.Fprintln(w)
	line("summary", versions)
	for _, check := range probeChecks {
		if cells[check] == nil {
			continue
		}
		var cols []string
		for _, v := range versions {
			cell := cells[check][v]
			if cell == "" {
				cell = "-"
			}
			cols = append(cols, cell)
		}
		line(check, cols)
	}
}
