package fuzz_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

var suites12 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
}

// fixture12 is what every TLS 1.2 run shares: the ClientHello, the
// ServerKeyExchange (its signature covers only the two randoms and the
// server's share) and the premaster secret. The client's ECDHE key comes
// from the constant Rand, so the harness makes the same one.
type fixture12 struct {
	hello     *handshake.ClientHello
	helloMsg  []byte
	ske       []byte
	clientKey []byte // the client's X25519 public key
	preMaster []byte
}

var serverRandom12 = bytes.Repeat([]byte{serverRandByte}, 32)

var getFixture12 = sync.OnceValue(func() *fixture12 {
	f := new(fixture12)
	f.hello, f.helloMsg = clientHelloFor(clientConfig(tls.VersionTLS12, suites12, nil))
	server, err := handshake.GenerateKeyShare(constRand(serverRandByte), handshake.X25519)
	if err != nil {
		panic(err)
	}
	client, err := handshake.GenerateKeyShare(constRand(clientRandByte), handshake.X25519)
	if err != nil {
		panic(err)
	}
	f.clientKey = client.Public()
	if f.preMaster, err = server.SharedSecret(f.clientKey); err != nil {
		panic(err)
	}
	ske := &handshake.ServerKeyExchange{Curve: handshake.X25519, Public: server.Public(), Scheme: handshake.Ed25519}
	params, err := ske.Params()
	if err != nil {
		panic(err)
	}
	_, key := serverIdentity()
	ske.Signature = ed25519.Sign(key, bytes.Join([][]byte{f.hello.Random, serverRandom12, params}, nil))
	f.ske = mustMarshal(ske)
	return f
})

// proto12 follows the TLS 1.2 keys of a run.
type proto12 struct {
	f          *fixture12
	suite      *cipher.Suite
	master     []byte
	serverKeys record.Sealer
}

// newServer12 returns the server of one TLS 1.2 run: the full handshake of
// RFC 5246, Section 7.3 with ECDHE (RFC 8422) and the extended master
// secret (RFC 7627), then a HelloRequest.
func newServer12(suiteByte byte) *fuzzServer {
	f := getFixture12()
	p := &proto12{f: f, suite: cipher.SuiteByID(suites12[int(suiteByte)%len(suites12)])}
	s := newFuzzServer(p, p.suite, f.helloMsg)
	s.tls12 = true
	der, _ := serverIdentity()
	s.flight = []item{
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.ServerHello{
				Vers: record.VersionTLS12, Random: serverRandom12, CipherSuite: p.suite.ID,
				ExtendedMasterSecret: true, SecureRenegotiation: true, ECPointFormats: []uint8{0},
			})
		}},
		{build: func(*fuzzServer) []byte {
			return mustMarshal(&handshake.CertificateTLS12{Certificates: [][]byte{der}})
		}},
		{build: func(*fuzzServer) []byte { return f.ske }},
		{build: func(*fuzzServer) []byte { return mustMarshal(&handshake.ServerHelloDone{}) }},
		{ccs: true},
		{build: func(s *fuzzServer) []byte {
			return mustMarshal(&handshake.Finished{VerifyData: cipher.FinishedTLS12(p.suite.Hash, p.master, "server finished", s.transcript.Sum())})
		}},
		{build: func(*fuzzServer) []byte { return mustMarshal(&handshake.HelloRequest{}) }},
	}
	return s
}

// sent plays the client's flight into the transcript after the
// ServerHelloDone (ClientKeyExchange, then Finished, as the client sends
// them), and switches to the server's keys at its ChangeCipherSpec.
func (p *proto12) sent(s *fuzzServer, m sentMessage, canonical bool) {
	switch {
	case !canonical:
	case m.msg == nil: // the ChangeCipherSpec
		if p.serverKeys != nil {
			s.w.SetSealer(p.serverKeys)
		}
	case handshake.MsgType(m.msg[0]) == handshake.TypeServerHelloDone && p.master == nil:
		h := p.suite.Hash
		s.transcript.Write(mustMarshal(&handshake.ClientKeyExchange{Public: p.f.clientKey}))
		p.master = cipher.ExtendedMasterSecret(h, p.f.preMaster, s.transcript.Sum())
		verify := cipher.FinishedTLS12(h, p.master, "client finished", s.transcript.Sum())
		s.transcript.Write(mustMarshal(&handshake.Finished{VerifyData: verify}))
		_, serverKey, _, serverIV := p.suite.KeyBlock(p.master, p.f.hello.Random, serverRandom12)
		p.serverKeys = cipher.NewTLS12(p.suite, serverKey, serverIV)
	}
}

// FuzzClientTLS12 is FuzzClientTLS13 for the TLS 1.2 client.
func FuzzClientTLS12(f *testing.F) { client12.fuzz(f) }

var client12 = clientTarget{newServer: newServer12, maxVersion: tls.VersionTLS12, suites: suites12, seeds: clientSeeds12}

func runClient12(t *testing.T, in []byte) (handshakeErr, err error) { return client12.run(t, in) }

// clientSeeds12 are whole sessions and their usual variants.
var clientSeeds12 = [][]byte{
	// Full handshake, data, close_notify.
	{0, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	// AES-256 and ChaCha20, the flight coalesced, EOF without close_notify.
	{1, opNextTwo, opNextTwo, opNext, opNext, opData, 2, opEOF},
	{2, opNext, opNext, opNext, opNext, opNext, opNext, opData, 2},
	// A HelloRequest after the handshake; one during it.
	{0, opNext, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1},
	{0, opNext, opNext, opMessage, 0, 0, opNext, opNext, opNext, opNext, opData, 1},
	// 1-byte records; a warning between the fragments of a message.
	{0, opFragment, 1, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	{0, opNext, opFragment, 100, opNext, opFragment, 0, opAlert, 1, 112, opNext, opNext, opNext, opNext, opData, 1},
	// Shutdown at the end (the high bits of the first byte, clientMovesOf).
	{0x40, opNext, opNext, opNext, opNext, opNext, opNext, opData, 1, opAlert, 1, 0},
	// A fatal alert; a bad Finished; a CCS before the ServerHello.
	{0, opNext, opNext, opNext, opNext, opNext, opNext, opAlert, 2, 40},
	{0, opNext, opNext, opNext, opNext, opNext, opFlip, 40, opNext},
	{0, opCCS, 1, opNext, opNext, opNext, opNext, opNext, opNext},
}

// The harness is right: the first seeds complete the handshake, read the
// data and end at close_notify or EOF.
func TestClientHarnessTLS12(t *testing.T) {
	for i, want := range []error{io.EOF, conn.ErrTruncated, conn.ErrTruncated} {
		hsErr, err := runClient12(t, clientSeeds12[i])
		require.NoError(t, hsErr, "seed %d", i)
		require.ErrorIs(t, err, want, "seed %d", i)
	}
	// The HelloRequest after the handshake ends it; the one during it is
	// ignored; the warning between fragments passes.
	_, err := runClient12(t, clientSeeds12[3])
	require.ErrorIs(t, err, alert.NoRenegotiation)
	for _, i := range []int{4, 6} {
		hsErr, _ := runClient12(t, clientSeeds12[i])
		require.NoError(t, hsErr, "seed %d", i)
	}
}
