package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// demoCase is one testpeer scenario and what our client does against it.
type demoCase struct {
	scenario string // a testpeer scenario name, arguments included
	title    string
	client   func(c *conn.Conn, p *printer, wait time.Duration) []error
}

// demoCases covers every testpeer scenario (TestDemoCoversEveryScenario).
// Against a peer that acts once the handshake is done, the client only
// reads, so that what it sees never depends on a race with its own write.
var demoCases = []demoCase{
	{"PassThrough", "a well-behaved peer: echo, then close_notify both ways", pingEchoShutdown},
	{"PeerAnswersCloseNotify", "we Shutdown and the peer answers: both close_notify alerts cross", pingEchoShutdown},
	{"PeerClosesWithoutNotify", "the peer closes TCP without close_notify: truncation, not io.EOF", readToEnd},
	{"PeerClosesWithoutNotifyAfter(5)", "5 bytes, then TCP FIN without close_notify", pingThenRead},
	{"PeerClosesMidRecord", "the transport ends inside a record", readToEnd},
	{"PeerClosesOnCloseNotify", "our close_notify gets a FIN, no answer", pingEchoShutdown},
	{"PeerNeverAnswers", "we Shutdown and the peer never answers: the deadline ends the wait", pingEchoShutdown},
	{"PeerClosesFirst", "the peer sends close_notify first: io.EOF, and our Close answers", readToEnd},
	{"PeerClosesFirstAfter(5)", "5 bytes, then the peer's close_notify", pingThenRead},
	{"PeerFatalAlert(handshake_failure)", "the peer sends a fatal alert", readToEnd},
	{"PeerWarning(unrecognized_name)", "a warning alert: fatal in TLS 1.3, reported in TLS 1.2", pingEchoShutdown},
	{"PeerUserCanceled", "the peer sends user_canceled, then close_notify", readToEnd},
	{"PeerHelloRequest", "a HelloRequest: TLS 1.2 renegotiation, which we refuse", pingEchoShutdown},
	{"PeerKeyUpdate(true)", "the peer asks for a KeyUpdate: ours goes out before our next record", pingEchoShutdown},
	{"PeerSplitsRecords(1)", "handshake and data in records of one byte", pingEchoShutdown},
	{"PeerPadsRecords(100)", "100 bytes of TLS 1.3 padding on each record", pingEchoShutdown},
	{"PeerCorruptsRecord", "a record's tag flipped: bad_record_mac", pingEchoShutdown},
	{"PeerSwapsRecords(2)", "two records swapped: their sequence numbers no longer match", pingEchoShutdown},
	{"PeerResets", "the peer resets the connection (RST): a truncation", readToEnd},
	{"PeerStopsReading", "the peer stops reading: our read deadline ends the wait", pingEchoShutdown},
	{"PeerTrickles(256, 1ms)", "the server's bytes 256 at a time", pingEchoShutdown},
	{"PeerFloodsEmptyRecords(33)", "33 empty records: a flood we cut off", pingEchoShutdown},
	{"PeerFloodsWarnings(5)", "5 warning alerts: a flood we cut off", pingEchoShutdown},
	{"PeerFloodsKeyUpdates(33)", "33 KeyUpdates: a flood we cut off", pingEchoShutdown},
	{"PeerFloodsHelloRequests(5)", "5 HelloRequests", pingEchoShutdown},
	{"PeerFloodsTickets(17)", "17 NewSessionTickets, under our limit of 32", pingEchoShutdown},
	{"PeerFloodsChangeCipherSpecs(2)", "2 change_cipher_spec records after the handshake", pingEchoShutdown},
}

// demoWait bounds every wait of a demo client: a read, a Shutdown. The
// peers that answer do so in milliseconds; --deterministic waits longer,
// so that a loaded machine (a golden test under -race) sees the same.
const demoWait = 500 * time.Millisecond

type demoOptions struct {
	scenario      string
	list          bool
	deterministic bool
	json          bool
	tls12, tls13  bool
}

func demoFlags() (*flag.FlagSet, func(*env, []string) int) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	o := &demoOptions{}
	fs.StringVar(&o.scenario, "scenario", "", "run only this testpeer scenario (`NAME`, e.g. \"PeerFatalAlert(decode_error)\")")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.BoolVar(&o.deterministic, "deterministic", false, "fixed randomness, no timings, no tickets from the real server: the same output every run, for golden tests")
	fs.BoolVar(&o.json, "json", false, "print every line as one JSON object")
	fs.BoolVar(&o.tls12, "tls12", false, "TLS 1.2 only")
	fs.BoolVar(&o.tls13, "tls13", false, "TLS 1.3 only")
	fs.Usage = usageFunc(fs, "tlsrec demo [flags]", demoHelp)
	return fs, func(e *env, args []string) int {
		if len(args) != 0 {
			return e.usage("tlsrec demo: unexpected argument %q (see tlsrec help demo)", args[0])
		}
		return demo(e, o)
	}
}

const demoHelp = `
Runs our client (package conn) against internal/testpeer, a man-in-the-middle
in front of an in-process crypto/tls server, for every scenario on TLS 1.3
and TLS 1.2, and shows each timeline and how the connection ended. No
network; under 10 seconds. The timeline and the verdicts go to stdout.`

const demoLegend = `tlsrec demo: our client against misbehaving peers (internal/testpeer in front of crypto/tls)

legend:
  time      milliseconds since the scenario began (not shown with --deterministic)
  -> <-     sent by our client / received by it
  record    a TLS record when the transport took it (->) or gave it (<-):
            real content type, length on the wire, sequence number, outer type if protected
  message   a handshake message by name (->: when sealed into a record; <-: when reassembled)
  alert     an alert: level and description
  eof       the transport ended, between records or inside one
  fin       we shut our write side (TCP FIN)
  rst       the socket reported the peer's reset (TCP RST)
  ticket    a NewSessionTicket (kept for the caller, never used)
  note      what the demo client did and what it got
  =>        the verdict: how the connection ended, and tlsrec connect's exit code for it
`

type demoRun struct {
	dc      demoCase
	version uint16
	out     bytes.Buffer
	v       verdict
}

func demo(e *env, o *demoOptions) int {
	if o.list {
		for _, dc := range demoCases {
			fmt.Fprintf(e.stdout, "%-34s %s\n", dc.scenario, dc.title)
		}
		return exitClean
	}
	cases, err := selectCases(o.scenario)
	if err != nil {
		return e.usage("tlsrec demo: %v", err)
	}
	pki, err := getDemoPKI()
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrec demo: %v\n", err)
		return exitFailure
	}
	var runs []*demoRun
	for _, dc := range cases {
		for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			if (o.tls12 && v != tls.VersionTLS12) || (o.tls13 && v != tls.VersionTLS13) {
				continue
			}
			runs = append(runs, &demoRun{dc: dc, version: v})
		}
	}
	runAll(runs, func(r *demoRun) { r.run(o, pki) })
	if !o.json {
		fmt.Fprint(e.stdout, demoLegend)
	}
	for _, r := range runs {
		e.stdout.Write(r.out.Bytes())
	}
	if !o.json {
		printTable(e.stdout, runs)
	}
	return exitClean
}

// selectCases returns the cases to run: all, the one named, or a testpeer
// scenario with other arguments run with the default client.
func selectCases(name string) ([]demoCase, error) {
	if name == "" {
		return demoCases, nil
	}
	for _, dc := range demoCases {
		if dc.scenario == name || strings.SplitN(dc.scenario, "(", 2)[0] == name {
			return []demoCase{dc}, nil
		}
	}
	sc, err := testpeer.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("unknown scenario %q: run tlsrec demo --list for the scenarios", name)
	}
	return []demoCase{{scenario: sc.Name, title: "a testpeer scenario", client: pingEchoShutdown}}, nil
}

// runAll runs f over runs, a few at a time: most of a run is waiting.
func runAll(runs []*demoRun, f func(*demoRun)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, r := range runs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(r)
		})
	}
	wg.Wait()
}

func (r *demoRun) run(o *demoOptions, pki *demoPKI) {
	p := newPrinter(&r.out, &r.out, o.json)
	wait := demoWait
	cfg := &conn.Config{ServerName: "localhost", RootCAs: pki.roots, MinVersion: r.version, MaxVersion: r.version}
	srv := &tls.Config{Certificates: []tls.Certificate{pki.leaf}, MinVersion: r.version, MaxVersion: r.version}
	if o.deterministic {
		p.clock = nil
		wait = 4 * demoWait
		cfg.Rand = rand.NewChaCha8([32]byte{'t', 'l', 's', 'r', 'e', 'c'})
		srv.Rand = rand.NewChaCha8([32]byte{'s', 'e', 'r', 'v', 'e', 'r'})
		cfg.Time = func() time.Time { return demoNotBefore.Add(24 * time.Hour) }
		srv.Time = cfg.Time
		// crypto/tls sends its TLS 1.3 ticket before it reads our
		// Finished, racing what the proxy injects once our Finished
		// arrives: the order would change from run to run.
		srv.SessionTicketsDisabled = true
	}
	head := scenarioHeader{Type: "scenario", Scenario: r.dc.scenario, Version: tls.VersionName(r.version), Title: r.dc.title}
	p.object(&r.out, head, fmt.Sprintf("\n%s  %s: %s", head.Version, head.Scenario, head.Title))
	p.indent = "    "
	r.v = r.play(p, cfg, srv, wait)
	p.object(&r.out, r.v, r.v.text())
}

type scenarioHeader struct {
	Type     string `json:"type"` // "scenario"
	Scenario string `json:"scenario"`
	Version  string `json:"version"`
	Title    string `json:"title"`
}

func (r *demoRun) play(p *printer, cfg *conn.Config, srv *tls.Config, wait time.Duration) verdict {
	sc, err := testpeer.Lookup(r.dc.scenario)
	if err != nil {
		return newVerdict("error", exitFailure, "%v", err)
	}
	peer, err := testpeer.New(testpeer.Config{Scenario: sc, Server: srv})
	if err != nil {
		return newVerdict("error", exitFailure, "%v", err)
	}
	defer peer.Close()
	cfg.KeyLogWriter = peer.KeyLog()
	cfg.Trace = p.trace()
	raw, err := net.DialTimeout("tcp", peer.Addr(), 5*time.Second)
	if err != nil {
		return failure(conn.State{}, err)
	}
	t := newTap(raw)
	t.traceTo(p)
	c := conn.Client(t, cfg)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err = c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		p.note("handshake: %v", err)
		return failure(c.State(), fmt.Errorf("handshake: %w", err))
	}
	errs := r.dc.client(c, p, wait)
	return t.judge(ending(c.State(), errs...))
}

// pingEchoShutdown writes a line, reads its echo, and Shuts down.
func pingEchoShutdown(c *conn.Conn, p *printer, wait time.Duration) []error {
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		p.note("write: %v", err)
		return []error{err}
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		p.note("read: %v", errText(err))
		return []error{noEOF(err), ignoreClosed(c.Close())}
	}
	p.note("read %q", buf)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := c.Shutdown(ctx)
	p.note("Shutdown: %v", errText(err))
	return []error{err}
}

// readToEnd reads until the peer ends the connection, then Closes.
func readToEnd(c *conn.Conn, p *printer, wait time.Duration) []error {
	c.SetReadDeadline(time.Now().Add(wait))
	got, err := io.ReadAll(c)
	if err == nil {
		err = io.EOF // io.ReadAll hides the verified close_notify's io.EOF
	}
	p.note("read %q, then %v", got, errText(err))
	closeErr := c.Close()
	p.note("Close: %v", errText(closeErr))
	return []error{noEOF(err), ignoreClosed(closeErr)}
}

// pingThenRead writes a line, then reads until the peer ends.
func pingThenRead(c *conn.Conn, p *printer, wait time.Duration) []error {
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		p.note("write: %v", err)
		return []error{err}
	}
	return readToEnd(c, p, wait)
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func errText(err error) string {
	switch {
	case err == nil:
		return "<nil>"
	case errors.Is(err, io.EOF):
		return "io.EOF"
	case isTimeout(err):
		// Shutdown's context and the transport's deadline race to
		// report the same end.
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		// Without the addresses: their ports change from run to run.
		return strings.Replace(err.Error(), oe.Error(), oe.Op+": "+oe.Err.Error(), 1)
	}
	return err.Error()
}

// printTable prints one row per scenario, a column per version.
func printTable(w io.Writer, runs []*demoRun) {
	byCase := map[string]map[uint16]verdict{}
	var order []string
	for _, r := range runs {
		if byCase[r.dc.scenario] == nil {
			byCase[r.dc.scenario] = map[uint16]verdict{}
			order = append(order, r.dc.scenario)
		}
		byCase[r.dc.scenario][r.version] = r.v
	}
	width := len("scenario")
	for _, n := range order {
		width = max(width, len(n))
	}
	fmt.Fprintf(w, "\nsummary:\n  %-*s  %-38s  %s\n", width, "scenario", "TLS 1.3", "TLS 1.2")
	cell := func(v verdict, ok bool) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%s (%d)", v.Verdict, v.Exit)
	}
	for _, n := range slices.Clip(order) {
		v13, ok13 := byCase[n][tls.VersionTLS13]
		v12, ok12 := byCase[n][tls.VersionTLS12]
		fmt.Fprintf(w, "  %-*s  %-38s  %s\n", width, n, cell(v13, ok13), cell(v12, ok12))
	}
}
