package handshake

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// clientHandshakeTLS12 is one TLS 1.2 ECDHE client handshake, its steps in
// the order of RFC 5246, Section 7.3's message flow (full handshakes only:
// this client resumes no sessions and never renegotiates).
type clientHandshakeTLS12 struct {
	t     Transport
	cfg   *Config
	r     *messageReader
	hello *ClientHello
	sh    *ServerHello
	suite *cipher.Suite
	state State

	// messages is handshake_messages: "all of the data from all messages
	// in this handshake (not including any HelloRequest messages)"
	// (RFC 5246, Section 7.4.9). Kept whole, since the client's
	// CertificateVerify may hash it with another hash than the PRF's
	// (Section 7.4.8).
	messages []byte

	certReq    *CertificateRequestTLS12
	preMaster  []byte
	share      *ClientShare
	serverKeys *cipher.AEAD12 // the read pending state until the server's ChangeCipherSpec
}

func newClientHandshakeTLS12(t Transport, cfg *Config, ch *clientHello, r *messageReader) *clientHandshakeTLS12 {
	hs := &clientHandshakeTLS12{t: t, cfg: cfg, r: r, hello: ch.hello}
	r.skipHelloRequests = true
	hs.messages = append(hs.messages, ch.msg...)
	hs.state.ClientRandom = ch.hello.Random
	hs.state.ServerName = cfg.ServerName
	return hs
}

// handshake runs the flow from the ServerHello sh, whose whole message is
// msg:
//
//	ServerHello, Certificate, ServerKeyExchange, [CertificateRequest],
//	ServerHelloDone  →  [Certificate], ClientKeyExchange,
//	[CertificateVerify], ChangeCipherSpec, Finished  →  ChangeCipherSpec,
//	Finished
func (hs *clientHandshakeTLS12) handshake(sh *ServerHello, msg []byte) (*State, error) {
	err := runSteps(
		func() error { return hs.processServerHello(sh, msg) },
		hs.readCertificate,
		hs.readServerKeyExchange,
		hs.readServerHelloDone,
		hs.sendClientFlight,
		hs.readServerFinished,
	)
	if err != nil {
		return nil, err
	}
	// A copy: &hs.state would keep the whole handshake (hello, key
	// shares, transcript) reachable for the connection's lifetime.
	st := hs.state
	return &st, nil
}

// processServerHello checks the TLS 1.2 ServerHello (RFC 5246, Section
// 7.4.1.3) and its extensions: suite, compression, renegotiation_info
// (RFC 5746), extended_master_secret (RFC 7627), ec_point_formats
// (RFC 8422) and ALPN (RFC 7301).
func (hs *clientHandshakeTLS12) processServerHello(sh *ServerHello, msg []byte) error {
	if err := hs.t.SetVersion(record.VersionTLS12); err != nil {
		return err
	}
	hs.sh = sh
	if err := hs.hello.CheckSolicited(sh.Extensions); err != nil {
		return err
	}
	if err := hs.checkSuite(sh); err != nil {
		return err
	}
	if err := hs.checkServerExtensions(sh); err != nil {
		return err
	}
	hs.messages = append(hs.messages, msg...)
	hs.state.Version = record.VersionTLS12
	hs.state.Suite = hs.suite
	hs.state.ServerRandom = sh.Random
	hs.state.NegotiatedProtocol = sh.ALPNProtocol
	hs.state.SignedCertificateTimestamps = sh.SCTs
	hs.state.ExtendedMasterSecret = sh.ExtendedMasterSecret
	hs.state.SecureRenegotiation = sh.SecureRenegotiation
	hs.state.PeerRecordSizeLimit = sh.RecordSizeLimit
	// The limit binds our protected records, the first of which is our
	// Finished (RFC 8449, Section 4).
	if l, ok := hs.t.(RecordSizeLimiter); ok && sh.RecordSizeLimit != 0 {
		l.SetPeerRecordSizeLimit(int(sh.RecordSizeLimit))
	}
	return nil
}

// checkSuite checks the suite, the compression method and the session id.
func (hs *clientHandshakeTLS12) checkSuite(sh *ServerHello) error {
	// cipher_suite is "The single cipher suite selected by the server from
	// the list in ClientHello.cipher_suites" (RFC 5246, Section 7.4.1.3);
	// anything else is an illegal_parameter (alert policy, package alert).
	suite := cipher.SuiteByID(sh.CipherSuite)
	if suite == nil || suite.Version != record.VersionTLS12 || !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered cipher suite %#04x", sh.CipherSuite))
	}
	hs.suite = suite
	// compression_method is "The single compression algorithm selected by
	// the server from the list in ClientHello.compression_methods"
	// (RFC 5246, Section 7.4.1.3): we listed null only.
	if sh.CompressionMethod != 0 {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server selected a compression method"))
	}
	// Our session id, when we sent one, is the random one of TLS 1.3's
	// middlebox compatibility mode: a server echoing it claims to resume a
	// session that never existed.
	if len(hs.hello.SessionID) > 0 && bytes.Equal(sh.SessionID, hs.hello.SessionID) {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server resumed a session we did not offer"))
	}
	return nil
}

// checkServerExtensions applies the rules of the TLS 1.2 extensions.
func (hs *clientHandshakeTLS12) checkServerExtensions(sh *ServerHello) error {
	// "If the extension is present, set the secure_renegotiation flag to
	// TRUE. The client MUST then verify that the length of the
	// "renegotiated_connection" field is zero, and if it is not, MUST
	// abort the handshake (by sending a fatal handshake_failure alert)"
	// (RFC 5746, Section 3.4).
	if len(sh.RenegotiatedConnection) != 0 {
		return alert.Wrap(alert.HandshakeFailure, errors.New("tls: initial server_hello has a non-empty renegotiated_connection"))
	}
	// "If a client receives a ServerHello without the extension, it
	// SHOULD abort the handshake if it does not wish to interoperate with
	// legacy servers", where "abort the handshake" is "terminating the
	// handshake by sending a fatal "handshake_failure" alert" (RFC 7627,
	// Section 5.2). We do unless Config.AllowNoExtendedMasterSecret.
	if !sh.ExtendedMasterSecret && !hs.cfg.AllowNoExtendedMasterSecret {
		return alert.Wrap(alert.HandshakeFailure, errors.New("tls: server does not support the extended master secret (RFC 7627)"))
	}
	// "The Supported Point Formats Extension, when used, MUST contain the
	// value 0 (uncompressed) as one of the items in the list of point
	// formats" (RFC 8422, Section 5.2).
	if sh.ECPointFormats != nil && !slices.Contains(sh.ECPointFormats, PointFormatUncompressed) {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server does not accept uncompressed points"))
	}
	return hs.cfg.checkALPN(sh.ALPNProtocol)
}

// readCertificate reads and verifies the server's chain (RFC 5246,
// Section 7.4.2), with the rules of the TLS 1.3 flow.
func (hs *clientHandshakeTLS12) readCertificate() error {
	msg, err := hs.r.read(TypeCertificate)
	if err != nil {
		return err
	}
	cert := new(CertificateTLS12)
	if err := cert.Unmarshal(msg); err != nil {
		return err
	}
	hs.messages = append(hs.messages, msg...)
	return hs.cfg.verifyServer(cert.Certificates, &hs.state)
}

// readCertificateStatus reads the CertificateStatus the server may send
// after its Certificate ("a server MAY also choose not to send a
// "CertificateStatus" message, even if has received a "status_request"
// extension", RFC 6066, Section 8) and returns the message after it.
func (hs *clientHandshakeTLS12) readCertificateStatus() ([]byte, error) {
	msg, err := hs.r.next()
	if err != nil || len(msg) == 0 || MsgType(msg[0]) != TypeCertificateStatus {
		return msg, err
	}
	// "If a server returns a "CertificateStatus" message, then the server
	// MUST have included an extension of type "status_request" with empty
	// "extension_data" in the extended server hello" (RFC 6066, Section 8).
	if !hs.sh.OCSPStapling {
		return nil, alert.Wrap(alert.UnexpectedMessage, errors.New("tls: certificate_status without status_request in the server_hello"))
	}
	cs := new(CertificateStatus)
	if err := cs.Unmarshal(msg); err != nil {
		return nil, err
	}
	hs.messages = append(hs.messages, msg...)
	hs.state.OCSPResponse = cs.OCSPResponse
	return hs.r.next()
}

// readServerKeyExchange checks the server's ephemeral ECDH parameters and
// their signature (RFC 8422, Section 5.4; RFC 5246, Section 7.4.3) and
// computes the premaster secret. It runs even with InsecureSkipVerify.
func (hs *clientHandshakeTLS12) readServerKeyExchange() error {
	msg, err := hs.readCertificateStatus()
	if err != nil {
		return err
	}
	if err := expectType(msg, TypeServerKeyExchange); err != nil {
		return err
	}
	ske := new(ServerKeyExchange)
	if err := ske.Unmarshal(msg); err != nil {
		return err
	}
	if ske.Curve == X25519MLKEM768 || !slices.Contains(hs.hello.SupportedGroups, ske.Curve) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server_key_exchange for unoffered group %#04x", uint16(ske.Curve)))
	}
	pub := hs.state.PeerCertificates[0].PublicKey
	if err := checkSuiteKey(hs.suite, pub); err != nil {
		return err
	}
	if err := hs.checkLeafCurve(pub); err != nil {
		return err
	}
	params, err := ske.Params()
	if err != nil {
		return err
	}
	if err := VerifyServerKeyExchangeTLS12(pub, ske.Scheme, hs.hello.SignatureAlgorithms,
		hs.hello.Random, hs.sh.Random, params, ske.Signature); err != nil {
		return err
	}
	hs.state.PeerSignatureScheme = ske.Scheme
	hs.messages = append(hs.messages, msg...)
	if hs.share, err = GenerateKeyShare(hs.cfg.Rand, ske.Curve); err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	if hs.preMaster, err = hs.share.SharedSecret(ske.Public); err != nil {
		return err
	}
	hs.state.CurveID = ske.Curve
	return hs.cfg.verifyConnection(&hs.state)
}

// checkLeafCurve applies RFC 5246, Section 7.4.2 to an ECDSA leaf of an
// ECDHE_ECDSA suite: "The public key MUST use a curve and point format
// supported by the client".
// A curve we did not offer in supported_groups is an illegal_parameter,
// as an unoffered ServerKeyExchange curve is (alert policy, package alert).
func (hs *clientHandshakeTLS12) checkLeafCurve(pub any) error {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil
	}
	var g CurveID
	switch k.Curve {
	case elliptic.P256():
		g = CurveP256
	case elliptic.P384():
		g = CurveP384
	}
	if g == 0 || !slices.Contains(hs.hello.SupportedGroups, g) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server's ECDSA certificate uses curve %s, which we did not offer", k.Curve.Params().Name))
	}
	return nil
}

// checkSuiteKey applies RFC 8422, Section 5.3's table: for ECDHE_ECDSA the
// "Certificate MUST contain an ECDSA- or EdDSA-capable public key", for
// ECDHE_RSA the "Certificate MUST contain an RSA public key". A mismatch
// is an illegal_parameter (alert policy, package alert).
func checkSuiteKey(s *cipher.Suite, pub any) error {
	var ok bool
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
		ok = s.ECDSA
	case *rsa.PublicKey:
		ok = !s.ECDSA
	}
	if !ok {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: %s does not fit the server's %T certificate key", s.Name, pub))
	}
	return nil
}

// readServerHelloDone reads an optional CertificateRequest (RFC 5246,
// Section 7.4.4), then ServerHelloDone (Section 7.4.5).
func (hs *clientHandshakeTLS12) readServerHelloDone() error {
	msg, err := hs.r.next()
	if err != nil {
		return err
	}
	if len(msg) > 0 && MsgType(msg[0]) == TypeCertificateRequest {
		hs.certReq = new(CertificateRequestTLS12)
		if err := hs.certReq.Unmarshal(msg); err != nil {
			return err
		}
		hs.messages = append(hs.messages, msg...)
		if msg, err = hs.r.next(); err != nil {
			return err
		}
	}
	if err := expectType(msg, TypeServerHelloDone); err != nil {
		return err
	}
	if err := new(ServerHelloDone).Unmarshal(msg); err != nil {
		return err
	}
	hs.messages = append(hs.messages, msg...)
	return nil
}

// sendClientFlight sends [Certificate,] ClientKeyExchange,
// [CertificateVerify,] ChangeCipherSpec and Finished (RFC 5246, Sections
// 7.4.6 to 7.4.9) as one flight, switching to the new write keys after the
// ChangeCipherSpec (Section 7.1).
func (hs *clientHandshakeTLS12) sendClientFlight() error {
	var signer *clientSigner
	if hs.certReq != nil {
		var err error
		if signer, err = hs.sendClientCertificate(); err != nil {
			return err
		}
	}
	if err := hs.writeMessage(&ClientKeyExchange{Public: hs.share.Public()}); err != nil {
		return err
	}
	hs.deriveMasterSecret()
	if err := hs.keyLog(); err != nil {
		return err
	}
	if signer != nil {
		if err := hs.sendCertificateVerify(signer); err != nil {
			return err
		}
	}
	clientKey, serverKey, clientIV, serverIV := hs.suite.KeyBlock(hs.state.MasterSecret, hs.hello.Random, hs.sh.Random)
	hs.serverKeys = cipher.NewTLS12(hs.suite, serverKey, serverIV)
	if err := hs.t.WriteChangeCipherSpec(); err != nil {
		return err
	}
	// "Immediately after sending this message, the sender MUST instruct
	// the record layer to make the write pending state the write active
	// state" (RFC 5246, Section 7.1).
	if err := hs.t.SetWriteKeys(cipher.NewTLS12(hs.suite, clientKey, clientIV)); err != nil {
		return err
	}
	verify := cipher.FinishedTLS12(hs.suite.Hash, hs.state.MasterSecret, "client finished", hs.transcriptHash())
	// In a full handshake the client's Finished is the first one: its
	// verify_data is tls-unique (RFC 5929, Section 3.1).
	hs.state.TLSUnique = verify
	if err := hs.writeMessage(&Finished{VerifyData: verify}); err != nil {
		return err
	}
	return hs.t.Flush()
}

// deriveMasterSecret computes the extended master secret (RFC 7627,
// Section 4) over session_hash, "the hash of the handshake messages up to
// and including ClientKeyExchange", when both sides agreed on it, and the
// RFC 5246, Section 8.1 one otherwise.
func (hs *clientHandshakeTLS12) deriveMasterSecret() {
	h := hs.suite.Hash
	if hs.state.ExtendedMasterSecret {
		hs.state.MasterSecret = cipher.ExtendedMasterSecret(h, hs.preMaster, hs.transcriptHash())
	} else {
		hs.state.MasterSecret = cipher.MasterSecret(h, hs.preMaster, hs.hello.Random, hs.sh.Random)
	}
	hs.preMaster = nil
}

// readServerFinished reads the server's ChangeCipherSpec, switches to the
// new read keys, and verifies its Finished in constant time (RFC 5246,
// Sections 7.1 and 7.4.9).
func (hs *clientHandshakeTLS12) readServerFinished() error {
	// "It is a fatal error if a Finished message is not preceded by a
	// ChangeCipherSpec message at the appropriate point in the handshake"
	// (RFC 5246, Section 7.4.9): the transport reads exactly that.
	if err := hs.t.ReadChangeCipherSpec(); err != nil {
		return err
	}
	// "Reception of this message causes the receiver to instruct the
	// record layer to immediately copy the read pending state into the
	// read current state" (RFC 5246, Section 7.1).
	if err := hs.t.SetReadKeys(hs.serverKeys); err != nil {
		return err
	}
	msg, err := hs.r.read(TypeFinished)
	if err != nil {
		return err
	}
	fin := new(Finished)
	if err := fin.Unmarshal(msg); err != nil {
		return err
	}
	// "Recipients of Finished messages MUST verify that the contents are
	// correct" (RFC 5246, Section 7.4.9); decrypt_error is "a handshake
	// cryptographic operation failed, including being unable to ...
	// validate a finished message" (Section 7.2.2).
	want := cipher.FinishedTLS12(hs.suite.Hash, hs.state.MasterSecret, "server finished", hs.transcriptHash())
	if !hmac.Equal(want, fin.VerifyData) {
		return alert.Wrap(alert.DecryptError, errors.New("tls: invalid server finished hash"))
	}
	hs.messages = nil
	return nil
}

// transcriptHash is Hash(handshake_messages) with the PRF's hash: "the
// Hash MUST be the Hash used as the basis for the PRF" (RFC 5246, Section
// 7.4.9).
func (hs *clientHandshakeTLS12) transcriptHash() []byte {
	return digest(hs.suite.Hash, hs.messages)
}

func (hs *clientHandshakeTLS12) writeMessage(m marshaler) error {
	msg, err := m.Marshal()
	if err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	hs.messages = append(hs.messages, msg...)
	return hs.t.WriteMessage(msg)
}

// keyLog writes the CLIENT_RANDOM line: the TLS 1.2 master secret.
func (hs *clientHandshakeTLS12) keyLog() error {
	if hs.cfg.KeyLogWriter == nil {
		return nil
	}
	if err := WriteKeyLog(hs.cfg.KeyLogWriter, KeyLogLabelTLS12, hs.hello.Random, hs.state.MasterSecret); err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	return nil
}

// reservedExporterLabels are the PRF labels of RFC 5246 and RFC 7627,
// which an exporter label must not collide with (RFC 5705, Section 4).
var reservedExporterLabels = []string{"client finished", "server finished", "master secret", "extended master secret", "key expansion"}

// exportKeyingMaterialTLS12 is the RFC 5705, Section 4 exporter:
//
//	PRF(SecurityParameters.master_secret, label,
//	    SecurityParameters.client_random +
//	    SecurityParameters.server_random +
//	    context_value_length + context_value
//	    )[length]
//
// where a nil context leaves out context_value_length and context_value
// (an empty one does not). Without the extended master secret it refuses:
// "the client or server MUST NOT export any key material based on the new
// master secret for any subsequent application-level authentication. In
// particular, it MUST disable [RFC5705]" (RFC 7627, Section 5.4).
func exportKeyingMaterialTLS12(s *State, label string, context []byte, length int) ([]byte, error) {
	switch {
	case !s.ExtendedMasterSecret:
		return nil, errors.New("tls: ExportKeyingMaterial is disabled without the extended master secret (RFC 7627, Section 5.4)")
	case slices.Contains(reservedExporterLabels, label):
		return nil, fmt.Errorf("tls: reserved exporter label %q", label)
	case length < 0:
		return nil, errors.New("tls: invalid exporter output length")
	}
	var b cryptobyte.Builder
	b.AddBytes(s.ClientRandom)
	b.AddBytes(s.ServerRandom)
	if context != nil {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(context) })
	}
	seed, err := b.Bytes()
	if err != nil {
		return nil, errors.New("tls: exporter context longer than 65535 bytes")
	}
	return cipher.PRF12(s.Suite.Hash, s.MasterSecret, label, seed, length), nil
}
