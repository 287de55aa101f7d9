package fuzz_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// The whole-client fuzzers: the fuzzer writes a program for a server, the
// harness plays it into a byte stream, and our client reads that stream.
// Every random byte the client uses comes from a constant Rand, so its
// ClientHello and its key shares are the same in every run, and the harness
// derives the keys it shares with the client: the flights it seals get
// past decryption. The stream is computed before the client runs (the
// client's own flight is predictable too), so the client never waits: a
// run cannot hang, and it ends at the stream's end at the latest.

// constRand is a Rand that returns the byte b forever.
type constRand byte

func (r constRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

const (
	clientRandByte = 0x42
	serverRandByte = 0x17
)

// streamConn is the client's transport: reads come from a fixed stream
// (then io.EOF), writes are kept.
type streamConn struct {
	in     *bytes.Reader
	out    bytes.Buffer
	closed bool
}

func (c *streamConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *streamConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *streamConn) Close() error                { c.closed = true; return nil }

func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }
func (c *streamConn) CloseWrite() error                { return nil }
func (c *streamConn) captureHello() (*handshake.ClientHello, error) {
	b := c.out.Bytes()
	if len(b) < record.HeaderLen {
		return nil, errors.New("no ClientHello written")
	}
	ch := new(handshake.ClientHello)
	return ch, ch.Unmarshal(b[record.HeaderLen:])
}

// serverIdentity is the fuzz server's Ed25519 certificate: Ed25519 signs
// deterministically and fits TLS 1.3 and TLS 1.2's ECDHE_ECDSA suites.
var serverIdentity = sync.OnceValues(func() ([]byte, ed25519.PrivateKey) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<33, 0),
		DNSNames:     []string{"fuzz.test"},
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return der, key
})

// clientConfig is the client of both targets: constant Rand, X25519 only
// (its key share is the one the harness computes), no chain check (the
// CertificateVerify and ServerKeyExchange signatures are still checked).
func clientConfig(maxVersion uint16, suites []uint16, tr *conn.Trace) *conn.Config {
	return &conn.Config{
		ServerName:         "fuzz.test",
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         maxVersion,
		CipherSuites:       suites,
		CurvePreferences:   []tls.CurveID{tls.X25519},
		Rand:               constRand(clientRandByte),
		Time:               func() time.Time { return time.Unix(1e9, 0) },
		Trace:              tr,
	}
}

// clientHelloFor runs the client of cfg against a silent transport and
// returns the ClientHello it sends, parsed and whole: the same in every
// run.
func clientHelloFor(cfg *conn.Config) (*handshake.ClientHello, []byte) {
	sc := &streamConn{in: bytes.NewReader(nil)}
	conn.Client(sc, cfg).Handshake()
	ch, err := sc.captureHello()
	if err != nil {
		panic(err)
	}
	return ch, sc.out.Bytes()[record.HeaderLen:]
}

// item is one step of a canonical server flight: a handshake message, or
// (TLS 1.2) the server's ChangeCipherSpec.
type item struct {
	ccs   bool
	build func(s *fuzzServer) []byte
}

// fuzzServer plays a program into the stream the client reads. The
// version-specific part (the flight, the key changes) is its proto.
type fuzzServer struct {
	out        bytes.Buffer
	w          *record.Writer
	transcript *handshake.Transcript
	flight     []item
	next       int
	flip       int // a bit to flip in the next canonical message, -1 for none
	tls12      bool
	proto      serverProto
}

// serverProto is the version-specific part of a fuzzServer.
type serverProto interface {
	// sent is called after each message went out, canonical or not, and
	// after the canonical ChangeCipherSpec (an empty m).
	sent(s *fuzzServer, m sentMessage, canonical bool)
}

// newFuzzServer returns a server whose transcript holds the ClientHello.
func newFuzzServer(proto serverProto, suite *cipher.Suite, helloMsg []byte) *fuzzServer {
	s := &fuzzServer{flip: -1, proto: proto, transcript: handshake.NewTranscript(suite.Hash)}
	s.transcript.Write(helloMsg)
	s.w = record.NewWriter(&s.out)
	s.w.SetSealer(record.Plaintext{Version: record.VersionTLS12})
	return s
}

// The program's operations, one byte each, then their arguments.
const (
	opNext     = iota // the next canonical item
	opNextTwo         // the next two canonical messages in one record
	opSkip            // skip the next canonical item
	opMessage         // a handshake message: type, length, body
	opAlert           // an alert: level, description
	opData            // application data: length
	opCCS             // a plaintext change_cipher_spec: body byte
	opRaw             // a raw plaintext record: type, length, body
	opFragment        // records of at most n bytes from now on (0: 2^14)
	opEmpty           // an empty record: type
	opFlip            // flip bit n of the next canonical message
	opEOF             // the stream ends here
	numOps
)

// program reads the fuzzer's bytes.
type program struct{ b []byte }

func (p *program) byte() byte {
	if len(p.b) == 0 {
		return 0
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c
}

func (p *program) bytes(n int) []byte {
	n = min(n, len(p.b))
	out := p.b[:n:n]
	p.b = p.b[n:]
	return out
}

// play runs the program into s.out.
func (s *fuzzServer) play(p *program) {
	for len(p.b) > 0 {
		switch p.byte() % numOps {
		case opNext:
			s.nextItems(1)
		case opNextTwo:
			s.nextItems(2)
		case opSkip:
			s.next++
		case opMessage:
			typ, n := p.byte(), int(p.byte())
			body := p.bytes(n)
			msg := append([]byte{typ, 0, 0, byte(len(body))}, body...)
			s.writeMessages([]sentMessage{s.record(msg)}, false)
		case opAlert:
			s.w.Write(record.Alert, p.bytes(2))
		case opData:
			s.w.Write(record.ApplicationData, make([]byte, int(p.byte())*64))
		case opCCS:
			s.w.Write(record.ChangeCipherSpec, []byte{p.byte()}) // plaintext unless keys are on
		case opRaw:
			typ, n := p.byte(), int(p.byte())
			body := p.bytes(n)
			s.w.Flush()
			s.out.Write([]byte{typ, 3, 3, 0, byte(len(body))})
			s.out.Write(body)
		case opFragment:
			if n := int(p.byte()); n == 0 {
				s.w.SetMaxFragment(record.MaxPlaintext)
			} else {
				s.w.SetMaxFragment(n)
			}
		case opEmpty:
			s.w.Write(record.ContentType(20+p.byte()%4), nil)
		case opFlip:
			s.flip = int(p.byte())
		case opEOF:
			return
		}
	}
}

// sentMessage is a message written to the stream, with the transcript
// hash through it.
type sentMessage struct{ msg, th []byte }

// nextItems sends the next n canonical items, the messages among them in
// one record (across a key change too: the client must then fail).
func (s *fuzzServer) nextItems(n int) {
	var msgs []sentMessage
	for ; n > 0 && s.next < len(s.flight); n-- {
		it := s.flight[s.next]
		s.next++
		if it.ccs {
			s.writeMessages(msgs, true)
			msgs = nil
			s.w.Write(record.ChangeCipherSpec, []byte{1})
			s.proto.sent(s, sentMessage{}, true)
			continue
		}
		msg := it.build(s)
		if s.flip >= 0 {
			msg = bytes.Clone(msg)
			msg[s.flip/8%len(msg)] ^= 1 << (s.flip % 8)
			s.flip = -1
		}
		msgs = append(msgs, s.record(msg))
	}
	s.writeMessages(msgs, true)
}

// record adds msg to the transcript, unless it is a TLS 1.2 HelloRequest
// ("This message MUST NOT be included in the message hashes", RFC 5246,
// Section 7.4.1.1).
func (s *fuzzServer) record(msg []byte) sentMessage {
	if !s.tls12 || handshake.MsgType(msg[0]) != handshake.TypeHelloRequest {
		s.transcript.Write(msg)
	}
	return sentMessage{msg: msg, th: s.transcript.Sum()}
}

// writeMessages writes msgs in one handshake record, then lets the
// protocol change keys after each.
func (s *fuzzServer) writeMessages(msgs []sentMessage, canonical bool) {
	if len(msgs) == 0 {
		return
	}
	var b []byte
	for _, m := range msgs {
		b = append(b, m.msg...)
	}
	s.w.Write(record.Handshake, b)
	for _, m := range msgs {
		s.proto.sent(s, m, canonical)
	}
}

// clientTarget is one whole-client fuzz target: the first input byte
// picks the suite, the rest is the server's program.
type clientTarget struct {
	newServer  func(suiteByte byte) *fuzzServer
	maxVersion uint16
	suites     []uint16
	seeds      [][]byte
}

func (ct clientTarget) fuzz(f *testing.F) {
	for _, seed := range ct.seeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) { ct.run(t, in) })
}

func (ct clientTarget) run(t *testing.T, in []byte) (handshakeErr, err error) {
	if len(in) == 0 {
		return nil, nil
	}
	s := ct.newServer(in[0])
	s.play(&program{b: in[1:]})
	var events []clientEvent
	return runClient(t, clientConfig(ct.maxVersion, ct.suites, eventTrace(&events)), s.out.Bytes(), &events, clientMovesOf(in[0]))
}

// clientMoves are what the client does besides reading, chosen by the
// high bits of the input's first byte.
type clientMoves struct {
	updateKeys bool // UpdateKeys(true) once the handshake is done
	shutdown   bool // end with Shutdown instead of Close
}

func clientMovesOf(b byte) clientMoves {
	return clientMoves{updateKeys: b&0x80 != 0, shutdown: b&0x40 != 0}
}

// clientEvent is one thing the client did, in order.
type clientEvent struct {
	wrote    *conn.RecordInfo
	sent     *alert.Alert
	received *alert.Alert
}

// runClient runs the client against stream and checks the properties every
// run must have: the handshake completes or fails with an error; after a
// fatal alert, sent or received, nothing more is written, Close included;
// at most one alert ends the connection from our side; none answers the
// peer's fatal alert or a transport EOF; after the peer's close_notify
// only our own close_notify may follow.
func runClient(t *testing.T, cfg *conn.Config, stream []byte, events *[]clientEvent, moves clientMoves) (handshakeErr, err error) {
	sc := &streamConn{in: bytes.NewReader(stream)}
	c := conn.Client(sc, cfg)
	err = c.Handshake()
	handshakeErr = err
	if err == nil && moves.updateKeys {
		c.UpdateKeys(true) // an error in TLS 1.2, where nothing is written
	}
	buf := make([]byte, 1<<14)
	for reads := 0; err == nil; reads++ {
		var n int
		n, err = c.Read(buf)
		if n > 0 && reads < 8 {
			// Writing pays what the read side owes: a requested KeyUpdate,
			// a no_renegotiation, a TLS 1.2 close_notify answer.
			_, err = c.Write(buf[:min(n, 100)])
		}
	}
	if err == nil {
		t.Fatal("the stream ended and the client has no error")
	}
	readEnd := len(*events)
	var ae *alert.Error
	fatal := errors.As(err, &ae) && (ae.Remote || ae.Alert.Level == alert.Fatal || ae.Alert.Description == alert.NoRenegotiation)
	if fatal {
		if _, werr := c.Write([]byte("after the end")); werr == nil {
			t.Fatalf("Write succeeded after %v", err)
		}
	}
	if moves.shutdown {
		c.Shutdown(context.Background()) // the stream has ended: it returns
	} else {
		c.Close()
	}
	checkEvents(t, *events, readEnd, err, fatal)
	if c.Close() == nil {
		t.Fatal("second Close returned nil")
	}
	return handshakeErr, err
}

// checkEvents applies runClient's properties to the client's events;
// readEnd is where the events of Close begin.
func checkEvents(t *testing.T, events []clientEvent, readEnd int, err error, fatal bool) {
	terminal := -1 // index of the event that ended the connection
	// The peer's alert that ended it, whatever its level byte (TLS 1.3
	// ignores it).
	remote := -1
	var ae *alert.Error
	if errors.As(err, &ae) && ae.Remote {
		for i, e := range events {
			if e.received != nil && *e.received == ae.Alert {
				remote = i
			}
		}
	}
	peerClosed := func(i int) bool {
		r := events[i].received
		return r != nil && r.Description == alert.CloseNotify
	}
	for i, e := range events {
		switch {
		case i == remote:
			terminal = i
		case terminal >= 0 && peerClosed(terminal):
			// TLS 1.3 lets us write on after the peer's close_notify (RFC
			// 8446, Section 6.1), and we close with ours; no other alert.
			if e.sent != nil && e.sent.Description != alert.CloseNotify {
				t.Fatalf("alert %v sent after %+v (error %v)", *e.sent, events[terminal], err)
			}
			if e.sent != nil {
				terminal = i
			}
		case terminal >= 0 && (e.wrote != nil || e.sent != nil):
			t.Fatalf("%+v written after %+v (error %v)", e, events[terminal], err)
		case e.sent != nil && (e.sent.Level == alert.Fatal || e.sent.Description == alert.NoRenegotiation ||
			e.sent.Description == alert.CloseNotify):
			terminal = i
		case e.received != nil && e.received.Level == alert.Warning && e.received.Description == alert.CloseNotify:
			// The peer's fatal alerts are the one the client reports
			// (remote): a fatal-level user_canceled is no error in TLS 1.3,
			// and an alert of another level is the peer's error in TLS 1.2
			// (illegal_parameter).
			terminal = i
		}
	}
	if fatal && terminal < 0 && !slices.ContainsFunc(events, func(e clientEvent) bool {
		return e.received != nil && e.received.Description == alert.CloseNotify // of any level: unanswered
	}) {
		t.Fatalf("error %v but no alert ended the connection", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A transport EOF is answered by nothing before Close.
		for _, e := range events[:readEnd] {
			if e.sent != nil && e.sent.Level == alert.Fatal {
				t.Fatalf("fatal alert %v with a truncation error %v", *e.sent, err)
			}
		}
	}
}

// eventTrace records the client's events into events.
func eventTrace(events *[]clientEvent) *conn.Trace {
	return &conn.Trace{
		RecordWritten: func(r conn.RecordInfo) { *events = append(*events, clientEvent{wrote: &r}) },
		AlertSent:     func(a alert.Alert) { *events = append(*events, clientEvent{sent: &a}) },
		AlertReceived: func(a alert.Alert) { *events = append(*events, clientEvent{received: &a}) },
	}
}
