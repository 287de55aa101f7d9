package fuzz_test

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/tlstest"
)

// hsMessage is what every handshake message type implements.
type hsMessage interface {
	Marshal() ([]byte, error)
	Unmarshal(msg []byte) error
}

// hsTypes makes one empty message of each type.
var hsTypes = []struct {
	typ handshake.MsgType
	new func() hsMessage
}{
	{handshake.TypeClientHello, func() hsMessage { return new(handshake.ClientHello) }},
	{handshake.TypeServerHello, func() hsMessage { return new(handshake.ServerHello) }},
	{handshake.TypeEncryptedExtensions, func() hsMessage { return new(handshake.EncryptedExtensions) }},
	{handshake.TypeCertificateRequest, func() hsMessage { return new(handshake.CertificateRequestTLS13) }},
	{handshake.TypeCertificate, func() hsMessage { return new(handshake.CertificateTLS13) }},
	{handshake.TypeCertificateVerify, func() hsMessage { return new(handshake.CertificateVerify) }},
	{handshake.TypeFinished, func() hsMessage { return new(handshake.Finished) }},
	{handshake.TypeNewSessionTicket, func() hsMessage { return new(handshake.NewSessionTicket) }},
	{handshake.TypeKeyUpdate, func() hsMessage { return new(handshake.KeyUpdate) }},
	{handshake.TypeHelloRequest, func() hsMessage { return new(handshake.HelloRequest) }},
	{handshake.TypeServerHelloDone, func() hsMessage { return new(handshake.ServerHelloDone) }},
}

// hsAlerts are the alerts a message parser may return.
var hsAlerts = []alert.Description{
	alert.DecodeError, alert.IllegalParameter, alert.UnsupportedExtension,
	alert.MissingExtension, alert.UnexpectedMessage, alert.HandshakeFailure,
}

// hsTestdata returns the whole messages in handshake/testdata/msg-*.hex.
func hsTestdata(f *testing.F) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "handshake", "testdata", "msg-*.hex"))
	require.NoError(f, err)
	require.NotEmpty(f, paths)
	var out [][]byte
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(f, err)
		var sb strings.Builder
		for line := range strings.Lines(string(raw)) {
			if !strings.HasPrefix(line, "#") {
				sb.WriteString(strings.TrimSpace(line))
			}
		}
		b, err := hex.DecodeString(sb.String())
		require.NoError(f, err)
		out = append(out, b)
	}
	return out
}

// hsHelloConn records what a client writes and fails every read.
type hsHelloConn struct {
	net.Conn
	written []byte
}

func (c *hsHelloConn) Write(p []byte) (int, error) {
	c.written = append(c.written, p...)
	return len(p), nil
}
func (c *hsHelloConn) Read([]byte) (int, error)    { return 0, errors.New("no server") }
func (c *hsHelloConn) Close() error                { return nil }
func (c *hsHelloConn) SetDeadline(time.Time) error { return nil }
func (c *hsHelloConn) SetWriteDeadline(time.Time) error {
	return nil
}

// hsCryptoTLSClientHello returns the ClientHello crypto/tls writes.
func hsCryptoTLSClientHello(f *testing.F) []byte {
	f.Helper()
	conn := &hsHelloConn{}
	c := tls.Client(conn, &tls.Config{
		ServerName: "example.com", NextProtos: []string{"h2", "http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
	})
	require.Error(f, c.Handshake())
	s := cryptobyte.String(conn.written)
	var typ uint8
	var vers uint16
	var payload cryptobyte.String
	require.True(f, s.ReadUint8(&typ) && s.ReadUint16(&vers) && s.ReadUint16LengthPrefixed(&payload))
	return payload
}

// hsSeeds returns real and realistic serialized messages.
func hsSeeds(f *testing.F) [][]byte {
	f.Helper()
	seeds := append(hsTestdata(f), hsCryptoTLSClientHello(f))
	hrr := handshake.HelloRetryRequestRandom
	for _, m := range []hsMessage{
		&handshake.ServerHello{Vers: 0x0303, Random: hrr[:], SessionID: make([]byte, 32), CipherSuite: 0x1302,
			SupportedVersion: 0x0304, KeyShare: handshake.KeyShare{Group: handshake.CurveP384}, Cookie: []byte("cookie")},
		&handshake.ServerHello{Vers: 0x0303, Random: make([]byte, 32), CipherSuite: 0xc02f, ServerNameAck: true,
			ALPNProtocol: "h2", ExtendedMasterSecret: true, SecureRenegotiation: true, ECPointFormats: []uint8{0},
			TicketSupported: true, OCSPStapling: true, SCTs: [][]byte{{1, 2, 3}}},
		&handshake.ServerHello{Vers: 0x0303, Random: make([]byte, 32), SessionID: make([]byte, 32), CipherSuite: 0x1301,
			SupportedVersion: 0x0304, KeyShare: handshake.KeyShare{Group: handshake.X25519, Data: make([]byte, 32)},
			PreSharedKey: true},
		&handshake.ClientHello{Vers: 0x0303, Random: make([]byte, 32), CipherSuites: []uint16{0x1301}, RecordSizeLimit: 16385,
			PSKModes: []uint8{handshake.PSKModeDHE}, PSKIdentities: []handshake.PSKIdentity{{Identity: []byte("ticket"), ObfuscatedTicketAge: 7}},
			PSKBinders: [][]byte{make([]byte, 32)}},
		&handshake.EncryptedExtensions{ALPNProtocol: "h2", ServerNameAck: true, RecordSizeLimit: 512},
		&handshake.CertificateRequestTLS13{Context: []byte{1}, SignatureAlgorithms: []handshake.SignatureScheme{handshake.Ed25519},
			SignatureAlgorithmsCert: []handshake.SignatureScheme{handshake.PSSWithSHA256}, CertificateAuthorities: [][]byte{{0x30, 0}}},
		&handshake.CertificateTLS13{Entries: []handshake.CertificateEntry{{Data: []byte{0x30, 0}, OCSPStaple: []byte{1}, SCTs: [][]byte{{2}}}}},
		&handshake.KeyUpdate{RequestUpdate: handshake.UpdateRequested},
		&handshake.HelloRequest{},
		&handshake.ServerHelloDone{},
	} {
		b, err := m.Marshal()
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzHandshakeMessages parses msg as every message type, and msg's body
// (after its 4-byte header) behind a correct header of each type, so the
// fuzzer reaches every parser's body. A message parses as one type at
// most; every error carries one of the parsers' alerts; a parsed message
// re-marshals into at most as many bytes, which parse back to an equal
// message (Extensions aside) and re-marshal identically.
func FuzzHandshakeMessages(f *testing.F) {
	for _, s := range hsSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		parsed := 0
		for _, ht := range hsTypes {
			ok, err := hsCheck(ht.new, msg)
			if err != nil {
				t.Fatalf("%T on %x: %v", ht.new(), msg, err)
			}
			if ok {
				parsed++
			}
			if len(msg) >= 4 {
				var b cryptobyte.Builder
				b.AddUint8(uint8(ht.typ))
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msg[4:]) })
				framed := b.BytesOrPanic()
				if _, err := hsCheck(ht.new, framed); err != nil {
					t.Fatalf("%T on %x: %v", ht.new(), framed, err)
				}
			}
		}
		require.LessOrEqual(t, parsed, 1, "one message parsed as %d types", parsed)
	})
}

// hsCheck parses msg into a new message and checks the properties,
// returning the first violation. It uses no testify on the hot path:
// t.Helper's stack walk would dominate the fuzzer's time.
func hsCheck(newMsg func() hsMessage, msg []byte) (parsed bool, err error) {
	input := bytes.Clone(msg)
	m := newMsg()
	perr := m.Unmarshal(msg)
	if !bytes.Equal(input, msg) {
		return false, errors.New("Unmarshal modified its input")
	}
	if perr != nil {
		d, ok := alert.Of(perr)
		if !ok || !slices.Contains(hsAlerts, d) || !strings.HasPrefix(perr.Error(), "tls: ") {
			return false, fmt.Errorf("error without an expected alert: %v", perr)
		}
		return false, nil
	}
	if exts := reflect.ValueOf(m).Elem().FieldByName("Extensions"); exts.IsValid() {
		types := exts.Interface().([]uint16)
		if len(slices.Compact(slices.Sorted(slices.Values(types)))) != len(types) {
			return true, fmt.Errorf("duplicate extension accepted: %#04x", types)
		}
	}
	wire, err := m.Marshal()
	if err != nil {
		return true, fmt.Errorf("marshal of a parsed message: %v", err)
	}
	if len(wire) > len(msg) {
		return true, fmt.Errorf("re-marshal grew from %d to %d bytes: %x", len(msg), len(wire), wire)
	}
	again := newMsg()
	if err := again.Unmarshal(wire); err != nil {
		return true, fmt.Errorf("re-marshalled message does not parse: %v", err)
	}
	if !reflect.DeepEqual(tlstest.StripExtensions(m), tlstest.StripExtensions(again)) {
		return true, fmt.Errorf("round trip changed the message:\n%+v\n%+v", m, again)
	}
	wire2, err := again.Marshal()
	if err != nil || !bytes.Equal(wire, wire2) {
		return true, fmt.Errorf("second marshal differs (%v): %x vs %x", err, wire, wire2)
	}
	return true, nil
}

// hsReference splits data into whole messages the simple way: msgs up to
// the first header over MaxMessageLen (oversized) or the first incomplete
// message (pending).
func hsReference(data []byte) (msgs [][]byte, oversized, pending bool) {
	s := cryptobyte.String(data)
	for !s.Empty() {
		whole := s
		var typ uint8
		var n uint32
		if !s.ReadUint8(&typ) || !s.ReadUint24(&n) {
			return msgs, false, true
		}
		if int(n) > handshake.MaxMessageLen(handshake.MsgType(typ)) {
			return msgs, true, false
		}
		if !s.Skip(int(n)) {
			return msgs, false, true
		}
		msgs = append(msgs, whole[:len(whole)-len(s)])
	}
	return msgs, false, false
}

// FuzzAssembler feeds data to an Assembler in chunks of chunk+1 bytes,
// draining after each Write. Without an oversized header, every chunking
// yields the reference messages and leaves the same pending bytes; with
// one, Write fails with illegal_parameter, the chunk holding it is refused
// whole, and the messages before it come out in order.
func FuzzAssembler(f *testing.F) {
	var flight []byte
	for _, m := range hsTestdata(f) {
		flight = append(flight, m...)
	}
	for _, chunk := range []uint8{0, 1, 3, 4, 5, 16, 255} {
		f.Add(flight, chunk)
		f.Add(flight[:len(flight)-3], chunk)
		f.Add(append(bytes.Clone(flight[:200]), 8, 1, 0, 1, 0), chunk)
		f.Add([]byte{11, 4, 0, 0, 0, 0}, chunk)
		f.Add([]byte{11, 4, 0, 1}, chunk)
		f.Add([]byte{24, 0, 0, 1, 0, 24, 0, 0, 1, 1, 20, 0, 0}, chunk)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want, oversized, pending := hsReference(data)
		size := int(chunk) + 1
		var a handshake.Assembler
		var got [][]byte
		var werr error
		for rest := data; len(rest) > 0 && werr == nil; {
			n := min(size, len(rest))
			werr = a.Write(rest[:n])
			rest = rest[n:]
			for msg, ok := a.Next(); ok; msg, ok = a.Next() {
				got = append(got, bytes.Clone(msg))
			}
		}
		if !oversized {
			require.NoError(t, werr)
			require.Equal(t, want, got)
			require.Equal(t, pending, a.Pending())
			return
		}
		require.ErrorIs(t, werr, alert.IllegalParameter)
		require.LessOrEqual(t, len(got), len(want))
		require.True(t, slices.EqualFunc(want[:len(got)], got, bytes.Equal))
		if size == 1 {
			require.Len(t, got, len(want), "byte by byte, every message before the bad header is delivered")
		}
	})
}
