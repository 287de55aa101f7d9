package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// ReadChangeCipherSpec completes the TLS 1.3 tests' scriptedTransport: the
// TLS 1.3 flow never reads a ChangeCipherSpec.
func (s *scriptedTransport) ReadChangeCipherSpec() error { return nil }

// certs12 are self-signed leaves for the TLS 1.2 flow tests, made once.
var certs12 = sync.OnceValue(func() map[string]tls.Certificate {
	out := map[string]tls.Certificate{}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, key := range map[string]crypto.Signer{"ecdsa": ec, "rsa": rk, "ed25519": ed} {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "example.test"},
			DNSNames:     []string{"example.test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			panic(err)
		}
		out[name] = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	return out
})

// testConfig12 offers TLS 1.3 and 1.2 and skips chain verification: the
// flow's certificate rules are the TLS 1.3 ones, tested there and in conn.
func testConfig12() *Config {
	return &Config{
		ServerName:         "example.test",
		InsecureSkipVerify: true,
		MinVersion:         record.VersionTLS12,
		MaxVersion:         record.VersionTLS13,
		Groups:             []CurveID{X25519MLKEM768, X25519, CurveP256, CurveP384},
		Rand:               rand.Reader,
		Time:               time.Now,
	}
}

// server12 is a Transport that plays a TLS 1.2 server with real keys, so
// a test can break exactly one thing and everything else stays right. Its
// hooks change messages before (editSH, presign) or after (editSKE,
// rawSKE, editFinished) the server computes with them.
type server12 struct {
	t       *testing.T
	cert    string // key of certs12
	suite   uint16
	curve   CurveID
	scheme  SignatureScheme
	certReq *CertificateRequestTLS12
	// hellosBefore[i] HelloRequests go before the i-th message the server
	// sends (0: ServerHello).
	hellosBefore map[int]int
	pushed       int
	skipSKE      bool
	ocsp         []byte // a CertificateStatus after the Certificate, when set

	editSH       func(*ServerHello)
	presign      func(*ServerKeyExchange)
	editPoint    func([]byte) []byte // the server's public point, before signing
	editSKE      func(*ServerKeyExchange)
	rawSKE       func([]byte) []byte
	editFinished func([]byte) []byte
	ccsErr       error

	hello       *ClientHello
	sh          *ServerHello
	key         *ecdh.PrivateKey
	transcript  []byte
	queue       [][]byte
	master      []byte
	clientCerts [][]byte
	clientCV    bool // our CertificateVerify verified
	clientFin   bool // our Finished verified
	ccsWritten  int
	ccsRead     int
	version     uint16
}

func newServer12(t *testing.T) *server12 {
	return &server12{t: t, cert: "ecdsa", suite: 0xc02b, curve: X25519, scheme: ECDSAWithP256AndSHA256}
}

func (s *server12) ReadMessage() ([]byte, error) {
	if len(s.queue) == 0 {
		return nil, io.EOF
	}
	msg := s.queue[0]
	s.queue = s.queue[1:]
	return msg, nil
}

func (s *server12) WriteMessage(msg []byte) error {
	t := s.t
	switch MsgType(msg[0]) {
	case TypeClientHello:
		s.hello = new(ClientHello)
		require.NoError(t, s.hello.Unmarshal(msg))
		s.transcript = append(s.transcript, msg...)
		s.firstFlight()
		return nil
	case TypeCertificate:
		var c CertificateTLS12
		require.NoError(t, c.Unmarshal(msg))
		s.clientCerts = c.Certificates
	case TypeClientKeyExchange:
		var cke ClientKeyExchange
		require.NoError(t, cke.Unmarshal(msg))
		s.transcript = append(s.transcript, msg...)
		s.deriveMaster(cke.Public)
		return nil
	case TypeCertificateVerify:
		s.verifyClientCV(msg)
	case TypeFinished:
		var fin Finished
		require.NoError(t, fin.Unmarshal(msg))
		h := cipher.SuiteByID(s.suite).Hash
		want := cipher.FinishedTLS12(h, s.master, "client finished", digest(h, s.transcript))
		s.clientFin = bytes.Equal(want, fin.VerifyData)
		s.transcript = append(s.transcript, msg...)
		verify := cipher.FinishedTLS12(h, s.master, "server finished", digest(h, s.transcript))
		if s.editFinished != nil {
			verify = s.editFinished(verify)
		}
		s.push(&Finished{VerifyData: verify})
		return nil
	}
	s.transcript = append(s.transcript, msg...)
	return nil
}

func (s *server12) WriteChangeCipherSpec() error       { s.ccsWritten++; return nil }
func (s *server12) ReadChangeCipherSpec() error        { s.ccsRead++; return s.ccsErr }
func (s *server12) Flush() error                       { return nil }
func (s *server12) SetReadKeys(o record.Opener) error  { return nil }
func (s *server12) SetWriteKeys(w record.Sealer) error { return nil }
func (s *server12) SetVersion(v uint16) error          { s.version = v; return nil }

// push queues a message for the client; it joins the server's transcript.
func (s *server12) push(m marshaler) {
	msg, err := m.Marshal()
	require.NoError(s.t, err)
	s.pushRaw(msg)
}

func (s *server12) pushRaw(msg []byte) {
	// HelloRequests stay out of the server's transcript: "This message
	// MUST NOT be included in the message hashes" (RFC 5246, Section
	// 7.4.1.1).
	for range s.hellosBefore[s.pushed] {
		s.queue = append(s.queue, []byte{byte(TypeHelloRequest), 0, 0, 0})
	}
	s.pushed++
	s.queue = append(s.queue, msg)
	s.transcript = append(s.transcript, msg...)
}

// firstFlight queues ServerHello, Certificate, ServerKeyExchange,
// [CertificateRequest,] ServerHelloDone.
func (s *server12) firstFlight() {
	s.sh = &ServerHello{
		Vers:                 record.VersionTLS12,
		Random:               make([]byte, 32),
		SessionID:            []byte("a new TLS 1.2 session id"),
		CipherSuite:          s.suite,
		SecureRenegotiation:  s.hello.SecureRenegotiation,
		ExtendedMasterSecret: s.hello.ExtendedMasterSecret,
		ECPointFormats:       []uint8{PointFormatUncompressed},
	}
	rand.Read(s.sh.Random)
	if s.editSH != nil {
		s.editSH(s.sh)
	}
	s.push(s.sh)
	cert := certs12()[s.cert]
	s.push(&CertificateTLS12{Certificates: cert.Certificate})
	if s.ocsp != nil {
		s.push(&CertificateStatus{OCSPResponse: s.ocsp})
	}
	if !s.skipSKE {
		s.pushRaw(s.serverKeyExchange(cert.PrivateKey.(crypto.Signer)))
	}
	if s.certReq != nil {
		s.push(s.certReq)
	}
	s.push(&ServerHelloDone{})
}

// serverKeyExchange builds the signed ServerKeyExchange.
func (s *server12) serverKeyExchange(signer crypto.Signer) []byte {
	ske := &ServerKeyExchange{Curve: s.curve, Scheme: s.scheme}
	if s.presign != nil {
		s.presign(ske)
	}
	curves := map[CurveID]ecdh.Curve{X25519: ecdh.X25519(), CurveP256: ecdh.P256(), CurveP384: ecdh.P384(), CurveP521: ecdh.P521()}
	if c, ok := curves[ske.Curve]; ok {
		s.key, _ = c.GenerateKey(rand.Reader)
		ske.Public = s.key.PublicKey().Bytes()
	} else {
		ske.Public = bytes.Repeat([]byte{1}, 32)
	}
	if s.editPoint != nil {
		ske.Public = s.editPoint(ske.Public)
	}
	params, err := ske.Params()
	require.NoError(s.t, err)
	signed := append(append(append([]byte(nil), s.hello.Random...), s.sh.Random...), params...)
	ske.Signature = sign12(signer, ske.Scheme, signed)
	if s.editSKE != nil {
		s.editSKE(ske)
	}
	msg, err := ske.Marshal()
	require.NoError(s.t, err)
	if s.rawSKE != nil {
		msg = s.rawSKE(msg)
	}
	return msg
}

// sign12 signs msg under scheme, or returns filler when the key cannot
// (the client must refuse before it verifies).
func sign12(key crypto.Signer, scheme SignatureScheme, msg []byte) []byte {
	info, ok := schemeInfos[scheme]
	if !ok || !keyFits(info, key.Public(), false) {
		return bytes.Repeat([]byte{0x5a}, 64)
	}
	var opts crypto.SignerOpts = info.hash
	if info.key != keyEd25519 {
		msg = digest(info.hash, msg)
	}
	if info.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash}
	}
	sig, err := key.Sign(rand.Reader, msg, opts)
	if err != nil {
		panic(err)
	}
	return sig
}

func (s *server12) deriveMaster(clientPublic []byte) {
	pub, err := s.key.Curve().NewPublicKey(clientPublic)
	require.NoError(s.t, err)
	pre, err := s.key.ECDH(pub)
	require.NoError(s.t, err)
	h := cipher.SuiteByID(s.suite).Hash
	if s.sh.ExtendedMasterSecret {
		s.master = cipher.ExtendedMasterSecret(h, pre, digest(h, s.transcript))
	} else {
		s.master = cipher.MasterSecret(h, pre, s.hello.Random, s.sh.Random)
	}
}

// verifyClientCV checks our CertificateVerify as a server would.
func (s *server12) verifyClientCV(msg []byte) {
	var cv CertificateVerify
	require.NoError(s.t, cv.Unmarshal(msg))
	require.Contains(s.t, s.certReq.SignatureAlgorithms, cv.Scheme)
	leaf, err := x509.ParseCertificate(s.clientCerts[0])
	require.NoError(s.t, err)
	info := schemeInfos[cv.Scheme]
	s.clientCV = verifySignature(leaf.PublicKey, info, s.transcript, cv.Signature) == nil
}

// run runs our client against s.
func (s *server12) run(cfg *Config) (*State, error) {
	return Client(s, cfg)
}

func TestClientHelloOffersBothVersions(t *testing.T) {
	t.Parallel()
	s := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	cfg := testConfig12()
	cfg.CipherSuites = []uint16{0xcca9, 0x1302, 0xc02f}
	_, err := Client(s, cfg)
	require.ErrorIs(t, err, io.EOF)
	ch := s.hello()
	require.Equal(t, []uint16{record.VersionTLS13, record.VersionTLS12}, ch.SupportedVersions)
	require.Equal(t, record.VersionTLS12, ch.Vers)
	require.Equal(t, []uint16{0x1302, 0xcca9, 0xc02f}, ch.CipherSuites, "TLS 1.3 suites first, each version in our order")
	require.True(t, ch.ExtendedMasterSecret)
	require.True(t, ch.SecureRenegotiation)
	require.Equal(t, []uint8{PointFormatUncompressed}, ch.ECPointFormats)
	require.Len(t, ch.SessionID, 32)
	require.Len(t, ch.KeyShares, 2)
	require.Equal(t, []CurveID{X25519MLKEM768, X25519, CurveP256, CurveP384}, ch.SupportedGroups)

	// Without a suite of a version named, all of that version's suites.
	s = &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	cfg.CipherSuites = []uint16{0x1303}
	Client(s, cfg)
	require.Equal(t, []uint16{0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}, s.hello().CipherSuites)
}

func TestClientHelloTLS12Only(t *testing.T) {
	t.Parallel()
	s := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	cfg := testConfig12()
	cfg.MaxVersion = record.VersionTLS12
	_, err := Client(s, cfg)
	require.ErrorIs(t, err, io.EOF)
	ch := s.hello()
	require.Empty(t, ch.SupportedVersions, "RFC 8446, Section 4.2.1: absent means TLS 1.2")
	require.Empty(t, ch.KeyShares)
	require.Empty(t, ch.PSKModes)
	require.Empty(t, ch.SessionID, "no session to resume")
	require.Equal(t, []CurveID{X25519, CurveP256, CurveP384}, ch.SupportedGroups, "no hybrid in TLS 1.2")
	require.Equal(t, []uint16{0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}, ch.CipherSuites)
	require.True(t, ch.ExtendedMasterSecret)
	require.True(t, ch.SecureRenegotiation)
	require.NotContains(t, ch.Extensions, ExtSupportedVersions)
}

// A whole handshake against server12 for each suite and certificate type:
// the server accepts our Finished, we accept its, both derive the same
// extended master secret, and the key log carries it.
func TestTLS12Handshake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		suite  uint16
		cert   string
		scheme SignatureScheme
		curve  CurveID
	}{
		{0xc02b, "ecdsa", ECDSAWithP256AndSHA256, X25519},
		{0xc02c, "ecdsa", ECDSAWithP384AndSHA384, CurveP384}, // TLS 1.2 ECDSA schemes name the hash only
		{0xcca9, "ed25519", Ed25519, CurveP256},
		{0xc02f, "rsa", PSSWithSHA256, X25519},
		{0xc030, "rsa", PKCS1WithSHA384, CurveP384},
		{0xcca8, "rsa", PKCS1WithSHA256, CurveP256},
	} {
		t.Run(cipher.SuiteByID(tc.suite).Name+"/"+tc.cert, func(t *testing.T) {
			t.Parallel()
			s := newServer12(t)
			s.suite, s.cert, s.scheme, s.curve = tc.suite, tc.cert, tc.scheme, tc.curve
			var keyLog bytes.Buffer
			cfg := testConfig12()
			cfg.KeyLogWriter = &keyLog
			st, err := s.run(cfg)
			require.NoError(t, err)
			require.True(t, s.clientFin, "the server accepted our Finished")
			require.Equal(t, record.VersionTLS12, st.Version)
			require.Equal(t, record.VersionTLS12, s.version, "SetVersion")
			require.Equal(t, tc.suite, st.Suite.ID)
			require.Equal(t, tc.curve, st.CurveID)
			require.True(t, st.ExtendedMasterSecret)
			require.True(t, st.SecureRenegotiation)
			require.Equal(t, s.master, st.MasterSecret)
			require.Equal(t, 1, s.ccsWritten)
			require.Equal(t, 1, s.ccsRead)
			var line bytes.Buffer
			require.NoError(t, WriteKeyLog(&line, KeyLogLabelTLS12, s.hello.Random, s.master))
			require.Equal(t, line.String(), keyLog.String())
			ekm, err := st.ExportKeyingMaterial("EXPORTER-test", nil, 16)
			require.NoError(t, err)
			seed := append(append([]byte(nil), s.hello.Random...), s.sh.Random...)
			require.Equal(t, cipher.PRF12(st.Suite.Hash, s.master, "EXPORTER-test", seed, 16), ekm)
		})
	}
}

// Client authentication: the chosen certificate, its CertificateVerify
// over handshake_messages, and the request's contents reaching the
// callback.
func TestTLS12ClientAuth(t *testing.T) {
	t.Parallel()
	ca := []byte("a DER DistinguishedName")
	for _, tc := range []struct {
		name     string
		cert     string
		req      CertificateRequestTLS12
		wantSent bool
	}{
		{"ecdsa", "ecdsa", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeECDSASign}, SignatureAlgorithms: []SignatureScheme{ECDSAWithP256AndSHA256}}, true},
		{"ed25519", "ed25519", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeECDSASign}, SignatureAlgorithms: []SignatureScheme{Ed25519}}, true},
		{"rsa-pkcs1", "rsa", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeRSASign}, SignatureAlgorithms: []SignatureScheme{PKCS1WithSHA256}}, true},
		{"rsa-pss", "rsa", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeRSASign, CertTypeECDSASign}, SignatureAlgorithms: []SignatureScheme{PSSWithSHA512, ECDSAWithP256AndSHA256}}, true},
		{"type-not-accepted", "ecdsa", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeRSASign}, SignatureAlgorithms: []SignatureScheme{ECDSAWithP256AndSHA256}}, false},
		{"no-common-scheme", "ecdsa", CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeECDSASign}, SignatureAlgorithms: []SignatureScheme{PKCS1WithSHA256}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer12(t)
			req := tc.req
			req.CertificateAuthorities = [][]byte{ca}
			s.certReq = &req
			cfg := testConfig12()
			cfg.Certificates = []tls.Certificate{certs12()[tc.cert]}
			_, err := s.run(cfg)
			require.NoError(t, err)
			require.True(t, s.clientFin)
			if !tc.wantSent {
				require.Empty(t, s.clientCerts, "RFC 5246, Section 7.4.6: an empty Certificate")
				require.False(t, s.clientCV)
				return
			}
			require.Equal(t, certs12()[tc.cert].Certificate, s.clientCerts)
			require.True(t, s.clientCV, "the server verified our CertificateVerify")
		})
	}
	t.Run("callback", func(t *testing.T) {
		t.Parallel()
		s := newServer12(t)
		s.certReq = &CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeECDSASign},
			SignatureAlgorithms: []SignatureScheme{ECDSAWithP256AndSHA256, PKCS1WithSHA256}, CertificateAuthorities: [][]byte{ca}}
		var info *tls.CertificateRequestInfo
		cfg := testConfig12()
		cfg.GetClientCertificate = func(i *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			info = i
			c := certs12()["ecdsa"]
			return &c, nil
		}
		_, err := s.run(cfg)
		require.NoError(t, err)
		require.Equal(t, [][]byte{ca}, info.AcceptableCAs)
		// certificate_types [ecdsa_sign] leaves out the RSA scheme, as in
		// crypto/tls: the callback's info has no other way to say it.
		require.Equal(t, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}, info.SignatureSchemes)
		require.Equal(t, record.VersionTLS12, info.Version)
		require.True(t, s.clientCV)
	})
}

// Without the extended master secret the RFC 5246 master secret is used,
// and the exporter refuses (RFC 7627, Section 5.4).
func TestTLS12WithoutEMS(t *testing.T) {
	t.Parallel()
	s := newServer12(t)
	s.editSH = func(sh *ServerHello) { sh.ExtendedMasterSecret = false }
	cfg := testConfig12()
	cfg.AllowNoExtendedMasterSecret = true
	st, err := s.run(cfg)
	require.NoError(t, err)
	require.True(t, s.clientFin)
	require.False(t, st.ExtendedMasterSecret)
	_, err = st.ExportKeyingMaterial("EXPORTER-test", nil, 16)
	require.ErrorContains(t, err, "RFC 7627")
}

// An ECDSA leaf on a curve we did not offer in supported_groups is refused
// (RFC 5246, Section 7.4.2: "The public key MUST use a curve and point
// format supported by the client"), here a P-256 key when only X25519 and
// P-384 were offered.
func TestTLS12LeafCurveNotOffered(t *testing.T) {
	t.Parallel()
	s := newServer12(t)
	cfg := testConfig12()
	cfg.Groups = []CurveID{X25519, CurveP384}
	_, err := s.run(cfg)
	require.ErrorIs(t, err, alert.IllegalParameter)
	require.ErrorContains(t, err, "ECDSA certificate uses curve P-256")

	// The same leaf goes through once P-256 is offered.
	s = newServer12(t)
	cfg.Groups = []CurveID{X25519, CurveP256}
	_, err = s.run(cfg)
	require.NoError(t, err)
}
