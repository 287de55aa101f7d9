package conn_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// The abuse catalogue: what a hostile or broken server can send, row by
// row, through testpeer (in front of crypto/tls, or scripted). Every row
// asserts the alert we put on the wire (or that there is none), the error
// we return, that it ended within its deadline, and that goroutines and
// heap came back to where they were. The rows run one after another: the
// goroutine count is the process's.

// abuseDeadline bounds each row's whole conversation.
const abuseDeadline = 5 * time.Second

type abuseRow struct {
	name  string
	tls12 bool // the server speaks TLS 1.2 only
	// One of: a ready-made scenario, hooks (which may seal records by hand
	// with the client's keys, through env), or a script (no real server).
	sc     testpeer.Scenario
	hooks  func(env *abuseEnv) testpeer.Hooks
	script func(ch *handshake.ClientHello) []testpeer.Action
	client func(cfg *conn.Config)
	// ctxTimeout, when set, bounds the handshake with HandshakeContext.
	ctxTimeout time.Duration
	// act runs after the handshake; nil reads once.
	act  func(t *testing.T, c *conn.Conn) error
	want outcome
}

// abuseEnv is what a row's hooks may use.
type abuseEnv struct {
	p            *testpeer.Peer
	log          *keyLog
	mu           sync.Mutex
	serverRandom []byte // TLS 1.2, from the ServerHello
}

// outcome is what a row must end in: our alert (on the wire, exactly
// one), the peer's alert (none from us), an error (none from us), or
// success.
type outcome struct {
	ours, theirs alert.Description
	err          error
}

func ours(d alert.Description) outcome   { return outcome{ours: d} }
func theirs(d alert.Description) outcome { return outcome{theirs: d} }
func fails(err error) outcome            { return outcome{err: err} }

var accepted = outcome{}

func TestAbuseCatalogue(t *testing.T) {
	for _, rows := range [][]abuseRow{recordAbuse, alertAbuse, handshakeAbuse, orderAbuse(), transportAbuse()} {
		for _, row := range rows {
			t.Run(row.name, func(t *testing.T) { runAbuse(t, row) })
		}
	}
}

func runAbuse(t *testing.T, row abuseRow) {
	goroutines, heap := runtime.NumGoroutine(), heapAlloc()
	env := &abuseEnv{log: new(keyLog)}
	pcfg := testpeer.Config{Scenario: row.sc, Script: row.script}
	if row.hooks != nil {
		pcfg.Scenario = testpeer.Hooked(row.name, row.hooks(env))
	}
	if row.tls12 {
		pcfg.Server = testpeer.DefaultServerConfig()
		pcfg.Server.MaxVersion = tls.VersionTLS12
	}
	p, err := testpeer.New(pcfg)
	require.NoError(t, err)
	env.mu.Lock()
	env.p = p
	env.mu.Unlock()
	cfg := &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(), KeyLogWriter: io.MultiWriter(p.KeyLog(), env.log)}
	if row.client != nil {
		row.client(cfg)
	}
	start := time.Now()
	raw, err := net.DialTimeout("tcp", p.Addr(), abuseDeadline)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(start.Add(abuseDeadline)))
	c := conn.Client(raw, cfg)
	err = handshakeRow(c, row.ctxTimeout)
	if err == nil {
		act := row.act
		if act == nil {
			act = readOnce
		}
		err = act(t, c)
	}
	require.Less(t, time.Since(start), abuseDeadline, "ended within its deadline (%v)", err)
	if os.Getenv("ABUSE_DEBUG") != "" {
		t.Log(testpeer.Format(p.Timeline()))
	}
	row.want.check(t, p, err)
	c.Close()
	require.NoError(t, p.Close())
	settle(t, goroutines, heap)
}

func handshakeRow(c *conn.Conn, timeout time.Duration) error {
	if timeout == 0 {
		return c.Handshake()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.HandshakeContext(ctx)
}

func (o outcome) check(t *testing.T, p *testpeer.Peer, err error) {
	t.Helper()
	var ae *alert.Error
	switch {
	case o.ours != 0:
		require.ErrorAs(t, err, &ae, "got %v", err)
		require.False(t, ae.Remote, "got %v", err)
		require.ErrorIs(t, err, o.ours)
		p.MustWaitFor(t, testpeer.SentAlert(testpeer.ClientToServer, o.ours))
		require.Len(t, ourAlerts(p), 1, "one alert from us")
		return
	case o.theirs != 0:
		require.ErrorAs(t, err, &ae, "got %v", err)
		require.True(t, ae.Remote, "got %v", err)
		require.ErrorIs(t, err, o.theirs)
	case o.err != nil:
		require.ErrorIs(t, err, o.err)
	default:
		require.NoError(t, err)
	}
	require.Empty(t, ourAlerts(p), "no alert from us")
}

// ourAlerts lists the alerts we sent, close_notify aside.
func ourAlerts(p *testpeer.Peer) []testpeer.Event {
	return p.Events(func(e testpeer.Event) bool {
		return e.Dir == testpeer.ClientToServer && e.Kind == testpeer.KindSent && e.Alert != nil &&
			e.Alert.Description != alert.CloseNotify
	})
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// settle waits for the goroutines to come back to n and checks the heap
// against heap.
func settle(t *testing.T, n int, heap uint64) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > n && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), n, "goroutines back to their baseline")
	require.LessOrEqual(t, heapAlloc(), heap+4<<20, "heap back to its baseline")
}

func readOnce(t *testing.T, c *conn.Conn) error {
	_, err := c.Read(make([]byte, 64))
	return err
}

// echoOnce writes and reads an echo; the row expects it to work.
func echoOnce(t *testing.T, c *conn.Conn) error {
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	_, err := io.ReadFull(c, buf)
	return err
}

// writeThenRead writes first, so that the server sends data back.
func writeThenRead(t *testing.T, c *conn.Conn) error {
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	return readOnce(t, c)
}

// atEnd runs acts toward the client once the handshake is complete.
func atEnd(acts ...testpeer.Action) func(*abuseEnv) testpeer.Hooks {
	return func(*abuseEnv) testpeer.Hooks { return testpeer.AtHandshakeEnd(acts...) }
}

// on replaces the server's record that ends a message of type typ.
func on(typ handshake.MsgType, acts func(r testpeer.Record) []testpeer.Action) func(*abuseEnv) testpeer.Hooks {
	return func(*abuseEnv) testpeer.Hooks { return onMessage(typ, acts) }
}

// sealedAtEnd sends, once the handshake is complete, a record sealed by
// hand: a TLS 1.3 TLSInnerPlaintext (inner != nil) or a TLS 1.2 record.
func sealedAtEnd13(inner []byte) func(*abuseEnv) testpeer.Hooks {
	return func(env *abuseEnv) testpeer.Hooks {
		return testpeer.Hooks{ToServer: func(r testpeer.Record) []testpeer.Action {
			if !r.CompletesHandshake {
				return nil
			}
			// After the ticket crypto/tls sends in its first flight (it may
			// reach the proxy after our Finished).
			env.mu.Lock()
			p := env.p
			env.mu.Unlock()
			delivered := func(e testpeer.Event) bool {
				return e.Dir == testpeer.ServerToClient && e.Kind == testpeer.KindDelivered && e.Epoch == testpeer.EpochApplication
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			p.WaitFor(ctx, delivered)
			seq := len(p.Events(delivered))
			return []testpeer.Action{testpeer.Back(testpeer.Raw(sealRaw13(env.log, uint64(seq), inner))), testpeer.Forward()}
		}}
	}
}

func sealedAtEnd12(typ record.ContentType, payload []byte) func(*abuseEnv) testpeer.Hooks {
	return func(env *abuseEnv) testpeer.Hooks {
		return testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
			env.mu.Lock()
			defer env.mu.Unlock()
			if r.HasMessage(handshake.TypeServerHello) {
				sh := new(handshake.ServerHello)
				if sh.Unmarshal(r.Messages[0]) == nil {
					env.serverRandom = sh.Random
				}
			}
			if !r.CompletesHandshake {
				return nil
			}
			return []testpeer.Action{testpeer.Forward(), testpeer.Raw(sealRaw12(env.log, env.serverRandom, typ, payload))}
		}}
	}
}

func aes128(cfg *conn.Config) {
	cfg.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
}

func max12(cfg *conn.Config) { cfg.MaxVersion = tls.VersionTLS12 }

// rawRecord is a plaintext record header announcing n bytes, and n bytes.
func rawRecord(typ record.ContentType, n int) []byte {
	return append([]byte{byte(typ), 3, 3, byte(n >> 8), byte(n)}, make([]byte, n)...)
}

var recordAbuse = []abuseRow{
	{name: "record/ciphertext-over-2^14+256", hooks: atEnd(testpeer.Raw(rawRecord(record.ApplicationData, 1<<14+256+1))), want: ours(alert.RecordOverflow)},
	{name: "record/ciphertext-over-2^14+2048/tls12", tls12: true, hooks: atEnd(testpeer.Raw(rawRecord(record.ApplicationData, 1<<14+2048+1))), want: ours(alert.RecordOverflow)},
	{name: "record/inner-plaintext-over-2^14+1", client: aes128, hooks: sealedAtEnd13(append(bytes.Repeat([]byte("x"), 1<<14), byte(record.ApplicationData), 0)), want: ours(alert.RecordOverflow)},
	{name: "record/plaintext-over-2^14/tls12", tls12: true, client: aes128, hooks: sealedAtEnd12(record.ApplicationData, make([]byte, 1<<14+1)), want: ours(alert.RecordOverflow)},
	{name: "record/maximum-padding-accepted", hooks: atEnd(testpeer.Send(record.ApplicationData, []byte("padded")).Pad(1 << 14)), want: accepted},
	{name: "record/all-zero-inner-plaintext", client: aes128, hooks: sealedAtEnd13(make([]byte, 10)), want: ours(alert.UnexpectedMessage)},
	{name: "record/unknown-inner-type", client: aes128, hooks: sealedAtEnd13([]byte{'x', 99}), want: ours(alert.UnexpectedMessage)},
	{name: "record/unknown-outer-type", hooks: atEnd(testpeer.Raw([]byte{99, 3, 3, 0, 1, 0})), want: ours(alert.UnexpectedMessage)},
	{name: "record/unknown-type/tls12", tls12: true, hooks: atEnd(testpeer.Send(99, []byte("x"))), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-handshake", hooks: atEnd(testpeer.Send(record.Handshake, nil)), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-handshake/tls12", tls12: true, hooks: atEnd(testpeer.Send(record.Handshake, nil)), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-alert", hooks: atEnd(testpeer.Send(record.Alert, nil)), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-ccs", hooks: atEnd(testpeer.Raw([]byte{byte(record.ChangeCipherSpec), 3, 3, 0, 0})), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-application-data-accepted", hooks: atEnd(testpeer.Send(record.ApplicationData, nil)), act: echoOnce, want: accepted},
	{name: "record/empty-flood-32-accepted", sc: testpeer.PeerFloodsEmptyRecords(32), act: echoOnce, want: accepted},
	{name: "record/empty-flood-33", sc: testpeer.PeerFloodsEmptyRecords(33), want: ours(alert.UnexpectedMessage)},
	{name: "record/empty-flood-33/tls12", tls12: true, sc: testpeer.PeerFloodsEmptyRecords(33), want: ours(alert.UnexpectedMessage)},
	{name: "record/bit-flip-tag", sc: testpeer.PeerCorruptsRecord(), act: writeThenRead, want: ours(alert.BadRecordMAC)},
	{name: "record/bit-flip-tag/tls12", tls12: true, sc: testpeer.PeerCorruptsRecord(), act: writeThenRead, want: ours(alert.BadRecordMAC)},
	{name: "record/bit-flip-header-type", hooks: atEnd(testpeer.Send(record.ApplicationData, []byte("x")).Corrupt(0)), want: ours(alert.UnexpectedMessage)},
	{name: "record/bit-flip-header-version", hooks: atEnd(testpeer.Send(record.ApplicationData, []byte("x")).Corrupt(2)), want: ours(alert.BadRecordMAC)},
	{name: "record/bit-flip-header-version/tls12", tls12: true, hooks: atEnd(testpeer.Send(record.ApplicationData, []byte("x")).Corrupt(2)), want: ours(alert.ProtocolVersion)},
	{name: "record/bit-flip-ciphertext", hooks: atEnd(testpeer.Send(record.ApplicationData, []byte("x")).Corrupt(5)), want: ours(alert.BadRecordMAC)},
	{name: "record/ccs-after-handshake", sc: testpeer.PeerFloodsChangeCipherSpecs(1), want: ours(alert.UnexpectedMessage)},
	{name: "record/ccs-after-handshake/tls12", tls12: true, sc: testpeer.PeerFloodsChangeCipherSpecs(1), want: ours(alert.UnexpectedMessage)},
	{name: "record/ccs-protected", hooks: on(handshake.TypeEncryptedExtensions, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ChangeCipherSpec, []byte{1}), testpeer.Forward()}
	}), want: ours(alert.UnexpectedMessage)},
	{name: "record/ccs-wrong-body", hooks: on(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Forward(), testpeer.Send(record.ChangeCipherSpec, []byte{2}).Plain()}
	}), want: ours(alert.UnexpectedMessage)},
	{name: "record/ccs-before-server-hello/tls12", tls12: true, client: max12, hooks: on(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ChangeCipherSpec, []byte{1}).Plain(), testpeer.Forward()}
	}), want: ours(alert.UnexpectedMessage)},
	{name: "record/handshake-in-1-byte-records", sc: testpeer.PeerSplitsRecords(1), act: echoOnce, want: accepted},
	{name: "record/handshake-in-1-byte-records/tls12", tls12: true, sc: testpeer.PeerSplitsRecords(1), act: echoOnce, want: accepted},
	{name: "record/handshake-coalesced", hooks: coalesceFlight, act: echoOnce, want: accepted},
	{name: "record/handshake-coalesced/tls12", tls12: true, hooks: coalesceFlight, act: echoOnce, want: accepted},
	{name: "record/message-straddles-key-change", hooks: on(handshake.TypeServerHello, func(r testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.Handshake, append(r.Payload, byte(handshake.TypeEncryptedExtensions), 0))}
	}), want: ours(alert.UnexpectedMessage)},
	{name: "record/message-straddles-ccs/tls12", tls12: true, hooks: func(*abuseEnv) testpeer.Hooks {
		return testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
			if r.Type == record.ChangeCipherSpec {
				return []testpeer.Action{testpeer.Send(record.Handshake, []byte{byte(handshake.TypeFinished), 0}), testpeer.Forward()}
			}
			return nil
		}}
	}, want: ours(alert.UnexpectedMessage)},
	{name: "record/app-data-before-keys", hooks: on(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ApplicationData, []byte("early")).Plain(), testpeer.Forward()}
	}), want: ours(alert.UnexpectedMessage)},
	// After the ServerHello a plaintext record of type application_data is
	// indistinguishable from a protected one that fails to open.
	{name: "record/plaintext-app-data-after-keys", hooks: on(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Forward(), testpeer.Send(record.ApplicationData, []byte("early")).Plain()}
	}), want: ours(alert.BadRecordMAC)},
	{name: "record/app-data-under-handshake-keys", hooks: on(handshake.TypeEncryptedExtensions, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ApplicationData, []byte("early")), testpeer.Forward()}
	}), want: ours(alert.UnexpectedMessage)},
	{name: "record/app-data-before-finished/tls12", tls12: true, hooks: on(handshake.TypeServerHelloDone, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.ApplicationData, []byte("early")), testpeer.Forward()}
	}), want: ours(alert.UnexpectedMessage)},
}

// coalesceFlight sends each run of the server's handshake records under
// one set of keys as one record: TLS 1.3 EncryptedExtensions to Finished,
// TLS 1.2 ServerHello to ServerHelloDone.
func coalesceFlight(*abuseEnv) testpeer.Hooks {
	var flight []byte
	return testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
		if r.HandshakeDone || r.Type != record.Handshake || r.Epoch == testpeer.EpochApplication ||
			r.HasMessage(handshake.TypeServerHello) && r.Version == record.VersionTLS13 {
			return nil
		}
		flight = append(flight, r.Payload...)
		if !r.HasMessage(handshake.TypeServerHelloDone) && !r.HasMessage(handshake.TypeFinished) {
			return []testpeer.Action{testpeer.Drop()}
		}
		all := flight
		flight = nil
		return []testpeer.Action{testpeer.Send(record.Handshake, all)}
	}}
}

var alertAbuse = []abuseRow{
	{name: "alert/fragmented", hooks: atEnd(testpeer.Send(record.Alert, []byte{2})), want: ours(alert.DecodeError)},
	{name: "alert/fragmented/tls12", tls12: true, hooks: atEnd(testpeer.Send(record.Alert, []byte{2})), want: ours(alert.DecodeError)},
	{name: "alert/coalesced", hooks: atEnd(testpeer.Send(record.Alert, []byte{1, 0, 1, 0})), want: ours(alert.DecodeError)},
	{name: "alert/unknown-level/tls12", tls12: true, hooks: atEnd(testpeer.Send(record.Alert, []byte{3, 0})), want: ours(alert.IllegalParameter)},
	{name: "alert/unknown-level-ignored", hooks: atEnd(testpeer.Send(record.Alert, []byte{3, byte(alert.InternalError)})), want: theirs(alert.InternalError)},
	{name: "alert/unknown-description", hooks: atEnd(testpeer.Send(record.Alert, []byte{1, 200})), want: theirs(200)},
	{name: "alert/unknown-description-warning/tls12", tls12: true, hooks: atEnd(testpeer.Send(record.Alert, []byte{1, 200})), act: echoOnce, want: accepted},
	{name: "alert/warning-flood-4/tls12", tls12: true, sc: testpeer.PeerFloodsWarnings(4), act: echoOnce, want: accepted},
	{name: "alert/warning-flood-5/tls12", tls12: true, sc: testpeer.PeerFloodsWarnings(5), want: ours(alert.UnexpectedMessage)},
	{name: "alert/user_canceled", sc: testpeer.PeerUserCanceled(), want: fails(io.EOF)},
	{name: "alert/user_canceled-flood", sc: testpeer.PeerFloodsWarnings(5), want: ours(alert.UnexpectedMessage)},
	{name: "alert/plaintext-after-keys", hooks: atEnd(testpeer.SendAlert(alert.Warning, alert.CloseNotify).Plain()), want: ours(alert.UnexpectedMessage)},
	{name: "alert/plaintext-after-keys/tls12", tls12: true, hooks: atEnd(testpeer.SendAlert(alert.Warning, alert.CloseNotify).Plain()), want: ours(alert.BadRecordMAC)},
	{name: "alert/fatal-during-handshake", hooks: on(handshake.TypeServerHello, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.SendAlert(alert.Fatal, alert.HandshakeFailure).Plain()}
	}), want: theirs(alert.HandshakeFailure)},
}

// scriptHello answers each ClientHello with a TLS 1.3 ServerHello changed
// by edit.
func scriptHello(edit func(sh *handshake.ServerHello)) func(ch *handshake.ClientHello) []testpeer.Action {
	return func(ch *handshake.ClientHello) []testpeer.Action {
		sh := testpeer.ServerHelloFor(ch, record.VersionTLS13)
		edit(sh)
		return []testpeer.Action{testpeer.SendMessage(sh)}
	}
}

// replace sends m instead of the server's record ending a message of typ.
func replace(typ handshake.MsgType, m testpeer.Marshaler) func(*abuseEnv) testpeer.Hooks {
	return on(typ, func(testpeer.Record) []testpeer.Action { return []testpeer.Action{testpeer.SendMessage(m)} })
}

var handshakeAbuse = []abuseRow{
	{name: "handshake/duplicated-extension", script: func(ch *handshake.ClientHello) []testpeer.Action {
		msg, err := testpeer.ServerHelloFor(ch, record.VersionTLS13).Marshal()
		if err != nil {
			panic(err)
		}
		return []testpeer.Action{testpeer.SendMessage(rawMessage(withDuplicateExtension(msg)))}
	}, want: ours(alert.DecodeError)}, // alert policy (package alert), and BoGo's DuplicateExtensionClient-*
	{name: "handshake/unsolicited-extension", hooks: replace(handshake.TypeEncryptedExtensions, &handshake.EncryptedExtensions{ALPNProtocol: "h2"}), want: ours(alert.UnsupportedExtension)},
	{name: "handshake/unoffered-suite", script: scriptHello(func(sh *handshake.ServerHello) { sh.CipherSuite = 0x1304 }), want: ours(alert.IllegalParameter)},
	{name: "handshake/unoffered-group", script: scriptHello(func(sh *handshake.ServerHello) {
		sh.KeyShare = handshake.KeyShare{Group: handshake.CurveP384, Data: bytes.Repeat([]byte{4}, 97)}
	}), want: ours(alert.IllegalParameter)},
	{name: "handshake/unoffered-version", script: scriptHello(func(sh *handshake.ServerHello) { sh.SupportedVersion = 0x0305 }), want: ours(alert.IllegalParameter)},
	{name: "handshake/second-HelloRetryRequest", script: func(ch *handshake.ClientHello) []testpeer.Action {
		hrr := testpeer.ServerHelloFor(ch, record.VersionTLS13)
		hrr.Random = handshake.HelloRetryRequestRandom[:]
		hrr.KeyShare = handshake.KeyShare{Group: handshake.CurveP256}
		if len(ch.KeyShares) == 1 && ch.KeyShares[0].Group == handshake.CurveP256 {
			hrr.KeyShare.Group = handshake.CurveP384
		}
		return []testpeer.Action{testpeer.SendMessage(hrr)}
	}, want: ours(alert.UnexpectedMessage)},
	{name: "handshake/bad-Finished", client: aes128, hooks: replace(handshake.TypeFinished, &handshake.Finished{VerifyData: make([]byte, 32)}), want: ours(alert.DecryptError)},
	{name: "handshake/bad-CertificateVerify", hooks: replace(handshake.TypeCertificateVerify, &handshake.CertificateVerify{
		Scheme: handshake.ECDSAWithP256AndSHA256, Signature: []byte{0x30, 6, 2, 1, 1, 2, 1, 1},
	}), want: ours(alert.DecryptError)},
	{name: "handshake/bad-Finished/tls12", tls12: true, hooks: replace(handshake.TypeFinished, &handshake.Finished{VerifyData: make([]byte, 12)}), want: ours(alert.DecryptError)},
	{name: "handshake/bad-ServerKeyExchange-signature/tls12", tls12: true, hooks: on(handshake.TypeServerKeyExchange, func(r testpeer.Record) []testpeer.Action {
		ske := new(handshake.ServerKeyExchange)
		if err := ske.Unmarshal(r.Messages[0]); err != nil {
			panic(err)
		}
		ske.Signature[len(ske.Signature)/2] ^= 1
		return []testpeer.Action{testpeer.SendMessage(ske)}
	}), want: ours(alert.DecryptError)},
	{name: "handshake/disallowed-signature-scheme", hooks: replace(handshake.TypeCertificateVerify, &handshake.CertificateVerify{
		Scheme: handshake.PKCS1WithSHA256, Signature: make([]byte, 256),
	}), want: ours(alert.IllegalParameter)},
	{name: "handshake/chain-does-not-verify", client: func(cfg *conn.Config) { cfg.RootCAs = x509.NewCertPool() }, want: ours(alert.UnknownCA)},
	{name: "handshake/downgrade-sentinel", hooks: func(*abuseEnv) testpeer.Hooks {
		return testpeer.Hooks{ToServer: testpeer.EditClientHello(func(ch *handshake.ClientHello) {
			ch.SupportedVersions = []uint16{record.VersionTLS12}
		})}
	}, want: ours(alert.IllegalParameter)},
	{name: "handshake/16MiB-message-length", hooks: on(handshake.TypeEncryptedExtensions, func(testpeer.Record) []testpeer.Action {
		return []testpeer.Action{testpeer.Send(record.Handshake, []byte{byte(handshake.TypeEncryptedExtensions), 0xff, 0xff, 0xff})}
	}), want: ours(alert.IllegalParameter)},
	{name: "handshake/KeyUpdate-flood", sc: testpeer.PeerFloodsKeyUpdates(33), want: ours(alert.UnexpectedMessage)},
	{name: "handshake/NewSessionTicket-flood", sc: testpeer.PeerFloodsTickets(33), want: ours(alert.UnexpectedMessage)},
	{name: "handshake/HelloRequest/tls12", tls12: true, sc: testpeer.PeerHelloRequest(), want: ours(alert.NoRenegotiation)},
}

// orderAbuse: each message of the server's flight duplicated, and each
// pair of neighbours swapped.
func orderAbuse() []abuseRow {
	var rows []abuseRow
	for _, v := range []struct {
		suffix string
		tls12  bool
		flight []handshake.MsgType
	}{
		{"", false, []handshake.MsgType{handshake.TypeServerHello, handshake.TypeEncryptedExtensions,
			handshake.TypeCertificate, handshake.TypeCertificateVerify, handshake.TypeFinished}},
		{"/tls12", true, []handshake.MsgType{handshake.TypeServerHello, handshake.TypeCertificate,
			handshake.TypeServerKeyExchange, handshake.TypeServerHelloDone, handshake.TypeFinished}},
	} {
		for _, typ := range v.flight {
			rows = append(rows, abuseRow{name: "handshake/duplicated-" + typ.String() + v.suffix, tls12: v.tls12,
				hooks: on(typ, func(testpeer.Record) []testpeer.Action {
					return []testpeer.Action{testpeer.Forward(), testpeer.Forward()}
				}),
				want: ours(alert.UnexpectedMessage)})
		}
		// Records: TLS 1.3 SH, CCS, EE, Cert, CV, Fin; TLS 1.2 SH, Cert,
		// SKE, SHD, CCS, Fin. The TLS 1.3 CCS may go anywhere before the
		// Finished; the TLS 1.2 one follows our flight, which waits for the
		// ServerHelloDone: those pairs cannot be swapped.
		for i := range 5 {
			if !v.tls12 && i < 2 || v.tls12 && i == 3 {
				continue
			}
			rows = append(rows, abuseRow{name: fmt.Sprintf("handshake/records-%d-and-%d-swapped%s", i, i+1, v.suffix), tls12: v.tls12,
				sc: testpeer.PeerSwapsRecords(i), want: ours(alert.UnexpectedMessage)})
		}
	}
	return rows
}

// transportAbuse: EOF and RST before each server record of the handshake
// and around each way of closing, and servers that stop reading, trickle
// or say nothing.
func transportAbuse() []abuseRow {
	var rows []abuseRow
	for _, end := range []struct {
		name string
		act  testpeer.Action
		err  error
	}{{"EOF", testpeer.Close(), conn.ErrTruncated}, {"RST", testpeer.Reset(), conn.ErrTruncated}} {
		for _, v := range []struct {
			suffix  string
			tls12   bool
			records int
		}{{"", false, 6}, {"/tls12", true, 5}} {
			for i := range v.records {
				rows = append(rows, abuseRow{
					name: "transport/" + end.name + "-before-server-record-" + string(rune('0'+i)) + v.suffix, tls12: v.tls12,
					hooks: func(*abuseEnv) testpeer.Hooks {
						return testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
							if r.Index == i {
								return []testpeer.Action{end.act}
							}
							return nil
						}}
					},
					want: fails(end.err),
				})
			}
		}
	}
	return append(rows, closingAbuse...)
}

func shutdown(t *testing.T, c *conn.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Shutdown(ctx)
}

var closingAbuse = []abuseRow{
	{name: "transport/EOF-after-our-close_notify", sc: testpeer.PeerClosesOnCloseNotify(), act: shutdown, want: fails(conn.ErrTruncated)},
	{name: "transport/RST-after-our-close_notify", hooks: func(*abuseEnv) testpeer.Hooks {
		return testpeer.Hooks{ToServer: func(r testpeer.Record) []testpeer.Action {
			if r.IsAlert(alert.CloseNotify) {
				return []testpeer.Action{testpeer.Back(testpeer.Reset())}
			}
			return nil
		}}
	}, act: shutdown, want: fails(conn.ErrTruncated)},
	{name: "transport/EOF-after-CloseWrite", sc: testpeer.PeerClosesOnCloseNotify(), act: func(t *testing.T, c *conn.Conn) error {
		require.NoError(t, c.CloseWrite())
		return readOnce(t, c)
	}, want: fails(conn.ErrTruncated)},
	{name: "transport/EOF-then-Shutdown", sc: testpeer.PeerClosesWithoutNotify(), act: shutdown, want: fails(conn.ErrTruncated)},
	{name: "transport/RST-then-Close", sc: testpeer.PeerResets(), act: func(t *testing.T, c *conn.Conn) error {
		err := readOnce(t, c)
		require.NoError(t, c.Close(), "nothing to send after a reset")
		return err
	}, want: fails(conn.ErrTruncated)},
	{name: "transport/peer-close_notify-then-Close", sc: testpeer.PeerClosesFirst(), act: func(t *testing.T, c *conn.Conn) error {
		err := readOnce(t, c)
		require.NoError(t, c.Close())
		return err
	}, want: fails(io.EOF)},
	{name: "transport/server-stops-reading", sc: testpeer.PeerStopsReading(), act: writeUntilDeadline, want: fails(os.ErrDeadlineExceeded)},
	{name: "transport/server-trickles-1-byte-a-second", sc: testpeer.PeerTrickles(1, time.Second), ctxTimeout: 1500 * time.Millisecond, want: fails(context.DeadlineExceeded)},
	{name: "transport/server-says-nothing", script: func(*handshake.ClientHello) []testpeer.Action { return nil }, ctxTimeout: 300 * time.Millisecond, want: fails(context.DeadlineExceeded)},
}

// writeUntilDeadline writes more than the socket buffers hold to a server
// that stopped reading: the Write ends at its deadline, and the connection
// stays usable (a second Write times out the same way, not with a sticky
// error).
func writeUntilDeadline(t *testing.T, c *conn.Conn) error {
	big := make([]byte, 32<<20)
	var err error
	for range 2 {
		require.NoError(t, c.SetWriteDeadline(time.Now().Add(300*time.Millisecond)))
		var n int
		n, err = c.Write(big)
		require.Less(t, n, len(big))
		var ne net.Error
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "got %v", err)
	}
	require.Nil(t, c.State().TerminalAlert)
	return err
}
