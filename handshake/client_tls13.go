package handshake

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"

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

// initialShareGroups picks the key shares of the first ClientHello: the
// hybrid X25519MLKEM768 and X25519 when both are enabled, as crypto/tls
// sends, otherwise one share for the most preferred group. Any other group
// is reached through HelloRetryRequest.
func initialShareGroups(groups []CurveID) []CurveID {
	var out []CurveID
	for _, g := range []CurveID{X25519MLKEM768, X25519} {
		if slices.Contains(groups, g) {
			out = append(out, g)
		}
	}
	if len(out) == 0 && len(groups) > 0 {
		out = groups[:1]
	}
	return out
}

// shareGroups returns the groups of the first ClientHello's key shares,
// KeyShareGroups or initialShareGroups' choice, in the order of groups:
// "Each KeyShareEntry value MUST correspond to a group offered in the
// "supported_groups" extension and MUST appear in the same order" (RFC 8446,
// Section 4.2.8).
func (cfg *Config) shareGroups(groups []CurveID) []CurveID {
	want := cfg.KeyShareGroups
	if want == nil {
		want = initialShareGroups(groups)
	}
	var out []CurveID
	for _, g := range groups {
		if slices.Contains(want, g) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func (hs *clientHandshakeTLS13) keyShares() []KeyShare {
	out := make([]KeyShare, 0, len(hs.shares))
	for _, s := range hs.shares {
		out = append(out, KeyShare{Group: s.Group(), Data: s.Public()})
	}
	return out
}

// writeHello sends the second ClientHello; a PSK still offered gets a
// fresh age and a binder over the transcript so far: "When the server
// responds with a HelloRetryRequest ... the client ... MUST update the
// "obfuscated_ticket_age" ... and ... recompute the binder values" (RFC
// 8446, Sections 4.1.2 and 4.2.11.2).
func (hs *clientHandshakeTLS13) writeHello() error {
	var msg []byte
	var err error
	if hs.session != nil {
		msg, err = marshalWithPSK(hs.hello, hs.session, hs.cfg.Time(), hs.transcript)
	} else if msg, err = hs.hello.Marshal(); err != nil {
		err = alert.Wrap(alert.InternalError, err)
	}
	if err != nil {
		return err
	}
	hs.transcript.Write(msg)
	if err := hs.t.WriteMessage(msg); err != nil {
		return err
	}
	return hs.t.Flush()
}

func (hs *clientHandshakeTLS13) readServerHello() (*ServerHello, error) {
	msg, err := hs.readMessage(TypeServerHello)
	if err != nil {
		return nil, err
	}
	sh := new(ServerHello)
	if err := sh.Unmarshal(msg); err != nil {
		return nil, err
	}
	return sh, hs.acceptServerHello(sh, msg)
}

// acceptServerHello checks a ServerHello or HelloRetryRequest and adds it
// to the transcript.
func (hs *clientHandshakeTLS13) acceptServerHello(sh *ServerHello, msg []byte) error {
	if err := hs.checkServerHello(sh); err != nil {
		return err
	}
	if sh.IsHelloRetryRequest() {
		// "the value of ClientHello1 is replaced with a special synthetic
		// handshake message of handshake type "message_hash"" before the
		// HelloRetryRequest joins the transcript (RFC 8446, Section 4.4.1).
		hs.transcript.RewriteForHRR()
	}
	hs.transcript.Write(msg)
	return nil
}

// checkServerHello applies the checks a ServerHello and a HelloRetryRequest
// share (RFC 8446, Sections 4.1.3, 4.1.4 and 4.2.1).
func (hs *clientHandshakeTLS13) checkServerHello(sh *ServerHello) error {
	// "The value of selected_version in the HelloRetryRequest
	// "supported_versions" extension MUST be retained in the ServerHello,
	// and a client MUST abort the handshake with an "illegal_parameter"
	// alert if the value changes" (RFC 8446, Section 4.1.4). The
	// HelloRetryRequest's passed the checks below: TLS 1.3.
	if hs.state.HelloRetryRequest && sh.SupportedVersion != record.VersionTLS13 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server changed selected_version to %#04x after a HelloRetryRequest", sh.SupportedVersion))
	}
	if sh.SupportedVersion == 0 {
		// A HelloRetryRequest without supported_versions, or a second
		// ServerHello choosing through legacy_version: a version we do not
		// support here.
		return alert.Wrap(alert.ProtocolVersion, fmt.Errorf("tls: server selected unsupported protocol version %#04x", sh.Vers))
	}
	// "If the "supported_versions" extension in the ServerHello contains a
	// version not offered by the client or contains a version prior to TLS
	// 1.3, the client MUST abort the handshake with an "illegal_parameter"
	// alert" (RFC 8446, Section 4.2.1).
	if sh.SupportedVersion < record.VersionTLS13 || !slices.Contains(hs.hello.SupportedVersions, sh.SupportedVersion) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered version %#04x", sh.SupportedVersion))
	}
	// "A client which receives a legacy_session_id_echo field that does not
	// match what it sent in the ClientHello MUST abort the handshake with an
	// "illegal_parameter" alert" (RFC 8446, Section 4.1.3).
	// "In TLS 1.3, the TLS server indicates its version using the
	// "supported_versions" extension (Section 4.2.1), and the
	// legacy_version field MUST be set to 0x0303" (RFC 8446, Section
	// 4.1.3), in a HelloRetryRequest too (Section 4.1.4).
	if sh.Vers != record.VersionTLS12 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: TLS 1.3 server_hello with legacy_version %#04x", sh.Vers))
	}
	if !bytes.Equal(sh.SessionID, hs.hello.SessionID) {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server did not echo the legacy session id"))
	}
	// "legacy_compression_method: A single byte which MUST have the value
	// 0" (RFC 8446, Section 4.1.3); decode_error (alert policy, package
	// alert).
	if sh.CompressionMethod != 0 {
		return alert.Wrap(alert.DecodeError, errors.New("tls: server selected a compression method"))
	}
	// "A client which receives a cipher suite that was not offered MUST
	// abort the handshake with an "illegal_parameter" alert" (RFC 8446,
	// Section 4.1.3).
	suite := cipher.SuiteByID(sh.CipherSuite)
	if suite == nil || suite.Version != record.VersionTLS13 || !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered cipher suite %#04x", sh.CipherSuite))
	}
	// "Upon receiving the ServerHello, clients MUST check that the cipher
	// suite supplied in the ServerHello is the same as that in the
	// HelloRetryRequest" (RFC 8446, Section 4.1.4).
	if hs.suite != nil && hs.suite != suite {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server changed cipher suite after a HelloRetryRequest"))
	}
	if err := hs.hello.CheckSolicited(sh.Extensions); err != nil {
		return err
	}
	if hs.suite == nil {
		hs.suite = suite
		hs.state.Suite = suite
		hs.transcript.SetHash(suite.Hash)
	}
	hs.state.Version = record.VersionTLS13
	return hs.t.SetVersion(record.VersionTLS13)
}

// retryHello answers a HelloRetryRequest with a second ClientHello and
// returns the ServerHello that follows (RFC 8446, Section 4.1.4).
func (hs *clientHandshakeTLS13) retryHello(hrr *ServerHello) (*ServerHello, error) {
	hs.state.HelloRetryRequest = true
	// The HelloRetryRequest ends the server's flight: it waits for our
	// second ClientHello, so bytes of a further message after it are an
	// unexpected_message (alert policy, package alert), as BoringSSL's
	// excess handshake data.
	if p, ok := hs.t.(pendingReporter); ok && p.Pending() {
		return nil, alert.Wrap(alert.UnexpectedMessage, errors.New("tls: handshake data after the HelloRetryRequest"))
	}
	changed := false
	if g := hrr.KeyShare.Group; g != 0 {
		// "the client MUST verify that (1) the selected_group field
		// corresponds to a group which was provided in the "supported_groups"
		// extension in the original ClientHello and (2) the selected_group
		// field does not correspond to a group which was provided in the
		// "key_share" extension in the original ClientHello. If either of
		// these checks fails, then the client MUST abort the handshake with an
		// "illegal_parameter" alert" (RFC 8446, Section 4.2.8).
		if !slices.Contains(hs.hello.SupportedGroups, g) || slices.ContainsFunc(hs.shares, func(s *ClientShare) bool { return s.Group() == g }) {
			return nil, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: HelloRetryRequest selected group %#04x", uint16(g)))
		}
		share, err := GenerateKeyShare(hs.cfg.Rand, g)
		if err != nil {
			return nil, alert.Wrap(alert.InternalError, err)
		}
		hs.shares = []*ClientShare{share}
		hs.hello.KeyShares = hs.keyShares()
		changed = true
	}
	if len(hrr.Cookie) > 0 {
		hs.hello.Cookie = hrr.Cookie
		changed = true
	}
	// "Clients MUST abort the handshake with an "illegal_parameter" alert if
	// the HelloRetryRequest would not result in any change in the
	// ClientHello" (RFC 8446, Section 4.1.4).
	if !changed {
		return nil, alert.Wrap(alert.IllegalParameter, errors.New("tls: HelloRetryRequest changes nothing"))
	}
	// A PSK whose hash is not the selected suite's cannot be used: "the
	// client SHOULD omit any PSKs ... that are not compatible with the
	// server's indicated cipher suite" (RFC 8446, Section 4.1.4).
	if hs.session != nil && hs.session.suite.Hash != hs.suite.Hash {
		hs.session = nil
		hs.hello.dropPSK()
	}
	// The dummy change_cipher_spec goes "immediately after its first
	// ClientHello" or before the second flight; with an HRR we send it
	// before the second ClientHello, as crypto/tls does (Appendix D.4).
	if err := hs.sendDummyCCS(); err != nil {
		return nil, err
	}
	if err := hs.writeHello(); err != nil {
		return nil, err
	}
	sh, err := hs.readServerHello()
	if err != nil {
		return nil, err
	}
	// "If a client receives a second HelloRetryRequest in the same
	// connection ..., it MUST abort the handshake with an
	// "unexpected_message" alert" (RFC 8446, Section 4.1.4).
	if sh.IsHelloRetryRequest() {
		return nil, alert.Wrap(alert.UnexpectedMessage, errors.New("tls: second HelloRetryRequest"))
	}
	return sh, nil
}

// pendingReporter is implemented by a Transport that can tell whether
// handshake bytes are buffered beyond the last message it returned.
type pendingReporter interface{ Pending() bool }

func (hs *clientHandshakeTLS13) sendDummyCCS() error {
	if hs.sentCCS {
		return nil
	}
	hs.sentCCS = true
	return hs.t.WriteChangeCipherSpec()
}

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
