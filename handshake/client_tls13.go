package handshake

import (
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// clientHandshakeTLS13 is one TLS 1.3 client handshake, its steps in the
// order of RFC 8446, Section 2's message flow.
type clientHandshakeTLS13 struct {
	t   Transport
	cfg *Config

	hello      *ClientHello
	shares     []*ClientShare
	suite      *cipher.Suite
	transcript *Transcript
	state      State

	sentCCS     bool // middlebox compatibility, RFC 8446, Appendix D.4
	certReq     *CertificateRequestTLS13
	hsSecret    HandshakeSecret
	clientHS    []byte // client_handshake_traffic_secret
	serverHS    []byte // server_handshake_traffic_secret
	master      MasterSecret
	serverCerts [][]byte
	session     *Session // offered for resumption, nil once dropped
	usingPSK    bool     // the server accepted it
}

// newClientHandshakeTLS13 continues the handshake ch began once the
// ServerHello selected TLS 1.3.
func newClientHandshakeTLS13(t Transport, cfg *Config, ch *clientHello) *clientHandshakeTLS13 {
	hs := &clientHandshakeTLS13{t: t, cfg: cfg, hello: ch.hello, shares: ch.shares, session: ch.session}
	hs.state.ClientRandom = ch.hello.Random
	hs.state.ServerName = cfg.ServerName
	hs.transcript = NewTranscriptBuffered()
	hs.transcript.Write(ch.msg)
	return hs
}

// handshake runs the flow from the first ServerHello (or
// HelloRetryRequest) sh, whose whole message is msg.
func (hs *clientHandshakeTLS13) handshake(sh *ServerHello, msg []byte) (*State, error) {
	if err := hs.acceptServerHello(sh, msg); err != nil {
		return nil, err
	}
	if sh.IsHelloRetryRequest() {
		var err error
		if sh, err = hs.retryHello(sh); err != nil {
			return nil, err
		}
	}
	err := runSteps(
		func() error { return hs.processServerHello(sh) },
		hs.readEncryptedExtensions,
		hs.readCertificate,
		hs.readCertificateVerify,
		hs.readServerFinished,
		hs.sendClientFlight,
	)
	if err != nil {
		return nil, err
	}
	// A copy: &hs.state would keep the whole handshake (hello, key
	// shares, transcript) reachable for the connection's lifetime.
	st := hs.state
	return &st, nil
}

// pskModeDHE is psk_dhe_ke (RFC 8446, Section 4.2.9), the only mode we
// offer: a resumed handshake always has a fresh (EC)DHE key share.
const pskModeDHE = PSKModeDHE

// processServerHello derives the handshake traffic secrets from the key
// share the server chose (RFC 8446, Sections 4.2.8 and 7.1).
func (hs *clientHandshakeTLS13) processServerHello(sh *ServerHello) error {
	if err := hs.acceptPSK(sh); err != nil {
		return err
	}
	// "This value MUST be in the same group as the KeyShareEntry value
	// offered by the client that the server has selected" (RFC 8446,
	// Section 4.2.8).
	var share *ClientShare
	for _, s := range hs.shares {
		if s.Group() == sh.KeyShare.Group {
			share = s
		}
	}
	if share == nil || len(sh.KeyShare.Data) == 0 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server key share for unoffered group %#04x", uint16(sh.KeyShare.Group)))
	}
	shared, err := share.SharedSecret(sh.KeyShare.Data)
	if err != nil {
		return err
	}
	hs.state.CurveID = share.Group()
	hs.hsSecret = hs.earlySecret().HandshakeSecret(shared)
	th := hs.transcript.Sum()
	hs.clientHS = hs.hsSecret.ClientTrafficSecret(th)
	hs.serverHS = hs.hsSecret.ServerTrafficSecret(th)
	if err := hs.keyLog(KeyLogLabelClientHandshake, hs.clientHS); err != nil {
		return err
	}
	if err := hs.keyLog(KeyLogLabelServerHandshake, hs.serverHS); err != nil {
		return err
	}
	// The dummy change_cipher_spec is sealed in plaintext now and leaves
	// with our second flight, "immediately before" it (Appendix D.4).
	if err := hs.sendDummyCCS(); err != nil {
		return err
	}
	if err := hs.t.SetWriteKeys(cipher.NewTLS13(hs.suite, hs.clientHS)); err != nil {
		return err
	}
	return hs.t.SetReadKeys(cipher.NewTLS13(hs.suite, hs.serverHS))
}

func (hs *clientHandshakeTLS13) readEncryptedExtensions() error {
	msg, err := hs.readMessage(TypeEncryptedExtensions)
	if err != nil {
		return err
	}
	ee := new(EncryptedExtensions)
	if err := ee.Unmarshal(msg); err != nil {
		return err
	}
	hs.transcript.Write(msg)
	// An ALPN, server_name or record_size_limit answer we did not ask for
	// is unsupported_extension (RFC 8446, Section 4.2).
	if err := hs.hello.CheckSolicited(ee.Extensions); err != nil {
		return err
	}
	if err := hs.cfg.checkALPN(ee.ALPNProtocol); err != nil {
		return err
	}
	hs.state.NegotiatedProtocol = ee.ALPNProtocol
	hs.state.PeerRecordSizeLimit = ee.RecordSizeLimit
	// The server's record_size_limit caps the records we send from now on,
	// our Finished included (RFC 8449, Section 4).
	if l, ok := hs.t.(RecordSizeLimiter); ok && ee.RecordSizeLimit != 0 {
		l.SetPeerRecordSizeLimit(int(ee.RecordSizeLimit))
	}
	return nil
}

// readCertificate reads an optional CertificateRequest and the server's
// Certificate, and verifies the chain (RFC 8446, Sections 4.3.2 and 4.4.2).
// A resumed handshake has neither: "Servers which are authenticating with
// a PSK MUST NOT send the CertificateRequest message in the main handshake"
// (Section 4.3.2), and Finished follows EncryptedExtensions, so any of
// them is an unexpected_message when Finished is read.
func (hs *clientHandshakeTLS13) readCertificate() error {
	if hs.usingPSK {
		return nil
	}
	msg, err := hs.t.ReadMessage()
	if err != nil {
		return err
	}
	if len(msg) > 0 && MsgType(msg[0]) == TypeCertificateRequest {
		req := new(CertificateRequestTLS13)
		if err := req.Unmarshal(msg); err != nil {
			return err
		}
		// "This field SHALL be zero length unless used for the
		// post-handshake authentication exchanges" (RFC 8446, Section 4.3.2).
		if len(req.Context) != 0 {
			return alert.Wrap(alert.IllegalParameter, errors.New("tls: non-empty certificate_request_context in handshake"))
		}
		hs.transcript.Write(msg)
		hs.certReq = req
		if msg, err = hs.t.ReadMessage(); err != nil {
			return err
		}
	}
	if err := expectType(msg, TypeCertificate); err != nil {
		return err
	}
	cert := new(CertificateTLS13)
	if err := cert.Unmarshal(msg); err != nil {
		return err
	}
	hs.transcript.Write(msg)
	// "In the case of server authentication, this field SHALL be zero
	// length" (RFC 8446, Section 4.4.2).
	if len(cert.Context) != 0 {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: non-empty certificate_request_context from server"))
	}
	for _, e := range cert.Entries {
		// "The extensions in the Certificate message from the server MUST
		// correspond to ones from the ClientHello message" (RFC 8446,
		// Section 4.4.2): a status_request or SCT answer we did not ask for
		// is unsupported_extension (Section 4.2).
		if err := hs.hello.CheckSolicited(e.Extensions); err != nil {
			return err
		}
		hs.serverCerts = append(hs.serverCerts, e.Data)
	}
	// The leaf's entry carries its OCSP response and SCTs (RFC 8446,
	// Section 4.4.2.1).
	if len(cert.Entries) > 0 {
		hs.state.OCSPResponse = cert.Entries[0].OCSPStaple
		hs.state.SignedCertificateTimestamps = cert.Entries[0].SCTs
	}
	return hs.cfg.verifyServer(hs.serverCerts, &hs.state)
}

// readCertificateVerify checks the server's proof of its key over the
// transcript (RFC 8446, Section 4.4.3). It runs even with
// InsecureSkipVerify: the key in the leaf must still have signed.
func (hs *clientHandshakeTLS13) readCertificateVerify() error {
	if hs.usingPSK {
		// The caller's check of the connection still runs on resumption,
		// over the original certificates, as crypto/tls does.
		return hs.cfg.verifyConnection(&hs.state)
	}
	msg, err := hs.readMessage(TypeCertificateVerify)
	if err != nil {
		return err
	}
	cv := new(CertificateVerify)
	if err := cv.Unmarshal(msg); err != nil {
		return err
	}
	leaf := hs.state.PeerCertificates[0]
	if err := VerifyCertificateVerifyTLS13(leaf.PublicKey, cv.Scheme, hs.hello.SignatureAlgorithms, hs.transcript.Sum(), cv.Signature); err != nil {
		return err
	}
	hs.state.PeerSignatureScheme = cv.Scheme
	hs.transcript.Write(msg)
	return hs.cfg.verifyConnection(&hs.state)
}

// readServerFinished verifies the server's Finished in constant time and
// derives the application traffic secrets (RFC 8446, Sections 4.4.4, 7.1).
func (hs *clientHandshakeTLS13) readServerFinished() error {
	msg, err := hs.readMessage(TypeFinished)
	if err != nil {
		return err
	}
	fin := new(Finished)
	if err := fin.Unmarshal(msg); err != nil {
		return err
	}
	// "Recipients of Finished messages MUST verify that the contents are
	// correct and if incorrect MUST terminate the connection with a
	// "decrypt_error" alert" (RFC 8446, Section 4.4.4).
	if !VerifyFinished(hs.suite, hs.serverHS, hs.transcript.Sum(), fin.VerifyData) {
		return alert.Wrap(alert.DecryptError, errors.New("tls: invalid server finished hash"))
	}
	hs.transcript.Write(msg)
	hs.master = hs.hsSecret.MasterSecret()
	th := hs.transcript.Sum()
	hs.state.ClientSecret = hs.master.ClientTrafficSecret(th)
	hs.state.ServerSecret = hs.master.ServerTrafficSecret(th)
	hs.state.ExporterSecret = hs.master.ExporterSecret(th)
	for _, kl := range []struct {
		label  string
		secret []byte
	}{
		{KeyLogLabelClientTraffic, hs.state.ClientSecret},
		{KeyLogLabelServerTraffic, hs.state.ServerSecret},
		{KeyLogLabelExporter, hs.state.ExporterSecret},
	} {
		if err := hs.keyLog(kl.label, kl.secret); err != nil {
			return err
		}
	}
	return hs.t.SetReadKeys(cipher.NewTLS13(hs.suite, hs.state.ServerSecret))
}

// sendClientFlight sends [Certificate, CertificateVerify,] Finished under
// the handshake keys, then switches to the application keys (RFC 8446,
// Section 4.4).
func (hs *clientHandshakeTLS13) sendClientFlight() error {
	if hs.certReq != nil {
		if err := hs.sendClientCertificate(); err != nil {
			return err
		}
	}
	fin := &Finished{VerifyData: VerifyData(hs.suite, hs.clientHS, hs.transcript.Sum())}
	if err := hs.writeMessage(fin); err != nil {
		return err
	}
	if err := hs.t.SetWriteKeys(cipher.NewTLS13(hs.suite, hs.state.ClientSecret)); err != nil {
		return err
	}
	// resumption_master_secret hashes ClientHello...client Finished (RFC
	// 8446, Section 7.1).
	hs.state.ResumptionSecret = hs.master.ResumptionSecret(hs.transcript.Sum())
	hs.state.Version = record.VersionTLS13
	return hs.t.Flush()
}

// sendClientCertificate answers a CertificateRequest (RFC 8446, Section
// 4.4.2): "If the server requests client authentication but no suitable
// certificate is available, the client MUST send a Certificate message
// containing no certificates."
func (hs *clientHandshakeTLS13) sendClientCertificate() error {
	cert, err := hs.clientCertificate()
	if err != nil {
		return err
	}
	msg := &CertificateTLS13{Context: hs.certReq.Context}
	if cert != nil {
		for _, der := range cert.Certificate {
			msg.Entries = append(msg.Entries, CertificateEntry{Data: der})
		}
	}
	if err := hs.writeMessage(msg); err != nil {
		return err
	}
	if len(msg.Entries) == 0 {
		return nil
	}
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return alert.Wrap(alert.InternalError, errors.New("tls: client certificate key does not implement crypto.Signer"))
	}
	scheme, err := SelectClientScheme(signer.Public(), hs.cfg.clientSchemes(cert), hs.certReq.SignatureAlgorithms)
	if err != nil {
		return err
	}
	sig, err := SignCertificateVerifyTLS13(hs.cfg.Rand, signer, scheme, hs.transcript.Sum())
	if err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	return hs.writeMessage(&CertificateVerify{Scheme: scheme, Signature: sig})
}

// clientCertificate picks the certificate that answers the request: one
// whose key can sign a scheme the server accepts.
func (hs *clientHandshakeTLS13) clientCertificate() (*tls.Certificate, error) {
	req := hs.certReq
	return hs.cfg.clientCertificate(record.VersionTLS13, req.CertificateAuthorities, req.SignatureAlgorithms,
		func(cert *tls.Certificate, pub crypto.PublicKey) bool {
			_, err := SelectClientScheme(pub, hs.cfg.clientSchemes(cert), req.SignatureAlgorithms)
			return err == nil
		})
}

type marshaler interface{ Marshal() ([]byte, error) }

func (hs *clientHandshakeTLS13) writeMessage(m marshaler) error {
	msg, err := m.Marshal()
	if err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	hs.transcript.Write(msg)
	return hs.t.WriteMessage(msg)
}

func (hs *clientHandshakeTLS13) readMessage(want MsgType) ([]byte, error) {
	msg, err := hs.t.ReadMessage()
	if err != nil {
		return nil, err
	}
	return msg, expectType(msg, want)
}

// expectType fails with unexpected_message when msg is not of type want:
// TLS 1.3's message order is fixed (RFC 8446, Section 4).
func expectType(msg []byte, want MsgType) error {
	if len(msg) == 0 || MsgType(msg[0]) != want {
		got := "empty message"
		if len(msg) > 0 {
			got = MsgType(msg[0]).String()
		}
		return alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: expected %v, got %s", want, got))
	}
	return nil
}

func (hs *clientHandshakeTLS13) keyLog(label string, secret []byte) error {
	if hs.cfg.KeyLogWriter == nil {
		return nil
	}
	if err := WriteKeyLog(hs.cfg.KeyLogWriter, label, hs.state.ClientRandom, secret); err != nil {
		return alert.Wrap(alert.InternalError, err)
	}
	return nil
}
