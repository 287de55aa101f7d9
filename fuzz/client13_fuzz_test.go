package fuzz_test

import (
	"crypto/ed25519"
	"io"

	"bytes"
	"crypto/tls"
	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/conn"
	"sync"
	"testing"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

var suites13 = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

// fixture13 is what every TLS 1.3 run shares: the client's ClientHello and
// the (EC)DHE shared secret with the server's constant key share.
type fixture13 struct {
	hello    *handshake.ClientHello
	helloMsg []byte
	share    []byte // the server's key_share
	shared   []byte
	// The last CertificateVerify signature and its transcript hash: most
	// runs sign the same transcript.
	cvMu        sync.Mutex
	cvTH, cvSig []byte
}

var getFixture13 = sync.OnceValue(func() *fixture13 {
	f := new(fixture13)
	f.hello, f.helloMsg = clientHelloFor(clientConfig(tls.VersionTLS13, suites13, nil))
	server, err := handshake.GenerateKeyShare(constRand(serverRandByte), handshake.X25519)
	if err != nil {
		panic(err)
	}
	f.share = server.Public()
	for _, ks := range f.hello.KeyShares {
		if ks.Group == handshake.X25519 {
			f.shared, err = server.SharedSecret(ks.Data)
		}
	}
	if err != nil || f.shared == nil {
		panic("no X25519 share in the ClientHello")
	}
	return f
})

// proto13 follows the TLS 1.3 key schedule of a run.
type proto13 struct {
	f         *fixture13
	suite     *cipher.Suite
	hs        handshake.HandshakeSecret
	serverHS  []byte
	serverApp []byte
}

// newServer13 returns the server of one TLS 1.3 run: the flight of RFC
// 8446, Section 2, then a NewSessionTicket and a KeyUpdate asking for
// ours.
func newServer13(suiteByte byte) *fuzzServer {
	f := getFixture13()
	p := &proto13{f: f, suite: cipher.SuiteByID(suites13[int(suiteByte)%len(suites13)])}
	s := newFuzzServer(p, p.suite, f.helloMsg)
	der, key := serverIdentity()
	s.flight = []item{
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.ServerHello{
				Vers: record.VersionTLS12, Random: bytes.Repeat([]byte{serverRandByte}, 32), SessionID: f.hello.SessionID,
				CipherSuite: p.suite.ID, SupportedVersion: record.VersionTLS13,
				KeyShare: handshake.KeyShare{Group: handshake.X25519, Data: f.share},
			})
		}},
		{build: func(*fuzzServer) []byte { return mustMarshal(&handshake.EncryptedExtensions{}) }},
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.CertificateTLS13{Entries: []handshake.CertificateEntry{{Data: der}}})
		}},
		{build: func(s *fuzzServer) []byte {
			th := s.transcript.Sum()
			f.cvMu.Lock()
			defer f.cvMu.Unlock()
			if !bytes.Equal(th, f.cvTH) {
				f.cvTH, f.cvSig = th, ed25519.Sign(key, handshake.SignedMessageTLS13(handshake.ServerSignatureContext, th))
			}
			return mustMarshal(&handshake.CertificateVerify{Scheme: handshake.Ed25519, Signature: f.cvSig})
		}},
		{build: func(s *fuzzServer) []byte {
			key := p.serverHS
			if key == nil { // the ServerHello was skipped
				key = make([]byte, p.suite.Hash.Size())
			}
			return mustMarshal(&handshake.Finished{VerifyData: handshake.VerifyData(p.suite, key, s.transcript.Sum())})
		}},
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.NewSessionTicket{Lifetime: 3600, AgeAdd: 1, Nonce: []byte{0}, Ticket: []byte("ticket")})
		}},
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.KeyUpdate{RequestUpdate: handshake.UpdateRequested})
		}},
	}
	return s
}

// sent switches the server's keys where TLS 1.3 does: handshake keys after
// the ServerHello, application keys after the Finished, the next
// generation after each KeyUpdate (RFC 8446, Sections 7.1 and 4.6.3).
func (p *proto13) sent(s *fuzzServer, m sentMessage, canonical bool) {
	if len(m.msg) == 0 {
		return
	}
	switch typ := handshake.MsgType(m.msg[0]); {
	case canonical && typ == handshake.TypeServerHello:
		p.hs = handshake.NewEarlySecret(p.suite, nil).HandshakeSecret(p.f.shared)
		p.serverHS = p.hs.ServerTrafficSecret(m.th)
		s.w.SetSealer(cipher.NewTLS13(p.suite, p.serverHS))
	case canonical && typ == handshake.TypeFinished && p.serverHS != nil:
		p.serverApp = p.hs.MasterSecret().ServerTrafficSecret(m.th)
		s.w.SetSealer(cipher.NewTLS13(p.suite, p.serverApp))
	case typ == handshake.TypeKeyUpdate && p.serverApp != nil && len(m.msg) == 5 && m.msg[4] <= 1:
		p.serverApp = p.suite.NextTrafficSecret(p.serverApp)
		s.w.SetSealer(cipher.NewTLS13(p.suite, p.serverApp))
	}
}

func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzClientTLS13 drives our TLS 1.3 client with server flights the
// fuzzer writes as a program (see fuzzServer.play): canonical messages,
// skipped, reordered, coalesced, bit-flipped or replaced by the fuzzer's
// own, sealed under the keys the client derives, with data, alerts,
// change_cipher_spec, raw and empty records and EOF interleaved.
func FuzzClientTLS13(f *testing.F) { client13.fuzz(f) }

var client13 = clientTarget{newServer: newServer13, maxVersion: tls.VersionTLS13, suites: suites13, seeds: clientSeeds13}

func runClient13(t *testing.T, in []byte) (handshakeErr, err error) { return client13.run(t, in) }

// The harness is right: the first seeds complete the handshake, read the
// data and end at close_notify or EOF.
func TestClientHarnessTLS13(t *testing.T) {
	for i, want := range []error{io.EOF, conn.ErrTruncated, conn.ErrTruncated} {
		hsErr, err := runClient13(t, clientSeeds13[i])
		require.NoError(t, hsErr, "seed %d", i)
		require.ErrorIs(t, err, want, "seed %d", i)
	}
	// Our own KeyUpdate and Shutdown: the session still ends at the
	// server's close_notify.
	for _, i := range []int{len(clientSeeds13) - 3, len(clientSeeds13) - 2} {
		hsErr, err := runClient13(t, clientSeeds13[i])
		require.NoError(t, hsErr, "seed %d", i)
		require.ErrorIs(t, err, io.EOF, "seed %d", i)
	}
}

// clientSeeds13 are whole sessions and their usual variants.
var clientSeeds13 = [][]byte{
	// Full handshake, ticket, KeyUpdate, data, close_notify.
	{0, opNext, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	// The same with AES-256 and ChaCha20, then EOF without close_notify.
	{1, opNext, opNext, opNext, opNext, opNext, opData, 2, opEOF},
	{2, opNext, opNext, opNext, opNext, opNext, opData, 2},
	// Middlebox compatibility change_cipher_spec, coalesced flight.
	{0, opNext, opCCS, 1, opNextTwo, opNextTwo, opNext, opData, 1, opAlert, 1, 0},
	// Everything in 1-byte records.
	{0, opFragment, 1, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	// A fatal alert after the handshake; user_canceled then close_notify.
	{0, opNext, opNext, opNext, opNext, opNext, opAlert, 2, 80},
	{0, opNext, opNext, opNext, opNext, opNext, opAlert, 1, 90, opAlert, 1, 0},
	// A bad Finished; a skipped CertificateVerify; an extra message.
	{0, opNext, opNext, opNext, opNext, opFlip, 40, opNext},
	{0, opNext, opNext, opNext, opSkip, opNext},
	{0, opNext, opNext, opNext, opNext, opNext, opMessage, 24, 1, 0, opData, 1},
	// Our KeyUpdate after the handshake; Shutdown at the end (the high
	// bits of the first byte, clientMovesOf).
	{0x80, opNext, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	{0x40, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	// Empty records and padding-free garbage after the handshake.
	{0, opNext, opNext, opNext, opNext, opNext, opEmpty, 3, opEmpty, 2, opRaw, 23, 3, 1, 2, 3},
}
