package handshake

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// Transport is what a handshake needs from its connection. conn implements
// it over the record layer; tests implement it with scripted messages.
type Transport interface {
	// ReadMessage returns the next whole handshake message, its 4-byte
	// header included. Records of other types are the transport's business
	// (alerts become errors; a TLS 1.3 middlebox-compatibility
	// change_cipher_spec is dropped).
	ReadMessage() ([]byte, error)
	// WriteMessage seals a handshake message under the current write
	// protection into the pending flight; Flush sends the flight.
	WriteMessage(msg []byte) error
	// WriteChangeCipherSpec seals a change_cipher_spec record (body 0x01)
	// under the current write protection into the pending flight.
	WriteChangeCipherSpec() error
	// ReadChangeCipherSpec reads TLS 1.2's ChangeCipherSpec: the next
	// record that is not an alert must be an unprotected change_cipher_spec
	// of body 0x01, with no handshake message buffered before it, else the
	// transport fails with unexpected_message (RFC 5246, Sections 7.1 and
	// 7.4.9).
	ReadChangeCipherSpec() error
	Flush() error
	// SetReadKeys installs new read protection. "Handshake messages MUST
	// NOT span key changes" (RFC 8446, Section 5.1): the transport fails
	// with unexpected_message if part of a message is still buffered.
	SetReadKeys(o record.Opener) error
	// SetWriteKeys installs new write protection for records sealed later.
	SetWriteKeys(s record.Sealer) error
	// SetVersion tells the transport the negotiated version once the
	// ServerHello fixes it (alert and record rules differ by version). It
	// fails when what the transport already let pass is illegal in v: a
	// change_cipher_spec dropped before a TLS 1.2 ServerHello.
	SetVersion(v uint16) error
}

// Config is the part of conn.Config the handshake reads. conn fills it in
// with defaults applied.
type Config struct {
	ServerName         string
	RootCAs            *x509.CertPool
	InsecureSkipVerify bool
	NextProtos         []string
	// MinVersion and MaxVersion bound the versions offered: TLS 1.2
	// (record.VersionTLS12) and TLS 1.3 (record.VersionTLS13).
	MinVersion uint16
	MaxVersion uint16
	// CipherSuites lists the suites to offer, in our preference order;
	// suites of a version outside [MinVersion, MaxVersion] are left out.
	CipherSuites []uint16
	// Groups lists the groups to offer in supported_groups, in order.
	// X25519MLKEM768 is left out when TLS 1.3 is not offered.
	Groups []CurveID
	// KeyShareGroups lists the groups whose key shares the first TLS 1.3
	// ClientHello carries, each one of Groups; nil means
	// initialShareGroups' choice. The shares go out in the order of
	// Groups.
	KeyShareGroups []CurveID
	// SignatureSchemes lists the schemes offered in signature_algorithms
	// (and so accepted from the server); nil means
	// SupportedSignatureSchemes.
	SignatureSchemes []SignatureScheme
	// ClientSignatureSchemes lists the schemes our client certificate may
	// sign with, best first; nil means SupportedSignatureSchemes.
	ClientSignatureSchemes []SignatureScheme
	Certificates           []tls.Certificate
	GetClientCertificate   func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// VerifyConnection runs after the server's CertificateVerify (TLS 1.3)
	// or ServerKeyExchange signature (TLS 1.2) is checked and before its
	// Finished; an error fails the handshake with the alert.Description it
	// wraps, else bad_certificate.
	VerifyConnection func(*State) error
	KeyLogWriter     io.Writer
	Rand             io.Reader
	Time             func() time.Time
	// Session, when set, is offered for TLS 1.3 resumption (psk_dhe_ke,
	// RFC 8446, Section 4.2.11) if it is for ServerName, within its
	// lifetime, and its suite's hash is among the suites offered.
	Session *Session
	// RecordSizeLimit, when not 0, is sent as record_size_limit (RFC 8449)
	// and caps the protected records the server may send; conn enforces it.
	RecordSizeLimit uint16
	// AllowNoExtendedMasterSecret lets a TLS 1.2 handshake go on with a
	// server that does not answer extended_master_secret (RFC 7627). The
	// connection's ExportKeyingMaterial then refuses to work.
	AllowNoExtendedMasterSecret bool
}

// State is what a completed handshake established.
type State struct {
	Version            uint16
	Suite              *cipher.Suite
	CurveID            CurveID
	NegotiatedProtocol string
	ServerName         string
	PeerCertificates   []*x509.Certificate
	VerifiedChains     [][]*x509.Certificate
	HelloRetryRequest  bool
	ClientRandom       []byte
	// DidResume says a TLS 1.3 handshake resumed Config.Session with its
	// PSK; PeerCertificates and VerifiedChains are then the original ones.
	DidResume bool
	// PeerRecordSizeLimit is the server's record_size_limit (RFC 8449), 0
	// when it sent none.
	PeerRecordSizeLimit uint16
	// PeerSignatureScheme is the scheme of the server's signature: its
	// CertificateVerify (TLS 1.3) or ServerKeyExchange (TLS 1.2).
	PeerSignatureScheme SignatureScheme
	// SignedCertificateTimestamps and OCSPResponse are what the server
	// sent for its leaf certificate (RFC 6962; RFC 6066, Section 8), nil
	// when absent.
	SignedCertificateTimestamps [][]byte
	OCSPResponse                []byte
	// TLSUnique is the first Finished message's verify_data of a full
	// TLS 1.2 handshake, the tls-unique channel binding (RFC 5929,
	// Section 3.1); nil for TLS 1.3, where it is not defined.
	TLSUnique []byte

	// TLS 1.3 application traffic secrets, for KeyUpdate, and the exporter
	// master secret (RFC 8446, Section 7.5).
	ClientSecret   []byte
	ServerSecret   []byte
	ExporterSecret []byte
	// ResumptionSecret is TLS 1.3's resumption_master_secret (RFC 8446,
	// Section 7.1), from which each ticket's PSK derives.
	ResumptionSecret []byte

	// TLS 1.2: whether the master secret is the extended one (RFC 7627)
	// and the server answered renegotiation_info (RFC 5746), and what the
	// RFC 5705 exporter needs.
	ExtendedMasterSecret bool
	SecureRenegotiation  bool
	MasterSecret         []byte
	ServerRandom         []byte
}

// ExportKeyingMaterial implements the exporter of the negotiated version:
// RFC 8446, Section 7.5 for TLS 1.3, RFC 5705 for TLS 1.2 (which refuses
// to work without the extended master secret, RFC 7627, Section 5.4).
func (s *State) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if s.Version == record.VersionTLS12 {
		return exportKeyingMaterialTLS12(s, label, context, length)
	}
	return ExportKeyingMaterial(s.Suite, s.ExporterSecret, label, context, length)
}

// maxHelloRequests bounds the HelloRequests ignored during one handshake,
// as conn bounds those after it (alert policy, package alert).
const maxHelloRequests = 4

// Client runs the client side of a handshake over t and returns the
// negotiated state. It sends one ClientHello offering every version in
// [MinVersion, MaxVersion], reads the ServerHello, and goes on with the
// TLS 1.3 or the TLS 1.2 flow. Every error carries the alert conn must
// send, or is the transport's own (a remote alert, an I/O error).
func Client(t Transport, cfg *Config) (*State, error) {
	ch, err := newClientHello(cfg)
	if err != nil {
		return nil, err
	}
	if err := t.WriteMessage(ch.msg); err != nil {
		return nil, err
	}
	if err := t.Flush(); err != nil {
		return nil, err
	}
	r := &messageReader{t: t, skipHelloRequests: ch.offer12}
	msg, err := r.read(TypeServerHello)
	if err != nil {
		return nil, err
	}
	sh := new(ServerHello)
	if err := sh.Unmarshal(msg); err != nil {
		return nil, err
	}
	version, err := ch.negotiateVersion(sh)
	if err != nil {
		return nil, err
	}
	if version == record.VersionTLS13 {
		return newClientHandshakeTLS13(t, cfg, ch).handshake(sh, msg)
	}
	return newClientHandshakeTLS12(t, cfg, ch, r).handshake(sh, msg)
}

// clientHello is the first ClientHello as sent, with the secrets behind
// its key shares.
type clientHello struct {
	hello   *ClientHello
	msg     []byte         // the whole message as sent
	shares  []*ClientShare // TLS 1.3 key shares
	session *Session       // the session offered for resumption, or nil
	offer13 bool
	offer12 bool
}

// newClientHello builds the ClientHello (RFC 8446, Section 4.1.2; RFC 5246,
// Section 7.4.1.2). Every random byte comes from Config.Rand, so a fixed
// Rand replays the handshake byte for byte.
func newClientHello(cfg *Config) (*clientHello, error) {
	ch := &clientHello{
		offer13: cfg.MinVersion <= record.VersionTLS13 && cfg.MaxVersion >= record.VersionTLS13,
		offer12: cfg.MinVersion <= record.VersionTLS12 && cfg.MaxVersion >= record.VersionTLS12,
	}
	groups := cfg.Groups
	if !ch.offer13 {
		// The hybrid group exists for TLS 1.3 key_share only.
		groups = slices.DeleteFunc(slices.Clone(groups), func(g CurveID) bool { return g == X25519MLKEM768 })
	}
	suites := offeredSuites(cfg.CipherSuites, ch.offer13, ch.offer12)
	if (!ch.offer13 && !ch.offer12) || len(groups) == 0 || len(suites) == 0 {
		return nil, alert.Wrap(alert.InternalError, errors.New("tls: no version, group or cipher suite to offer"))
	}
	// Middlebox compatibility mode (RFC 8446, Appendix D.4): a random
	// session ID, read with the random in one allocation. A TLS 1.2 only
	// client has no session to resume and sends none.
	n := randomLen
	if ch.offer13 {
		n += maxSessionIDLen
	}
	random, err := readRand(cfg.Rand, n)
	if err != nil {
		return nil, err
	}
	random, sessionID := random[:randomLen:randomLen], random[randomLen:]
	if !ch.offer13 {
		sessionID = nil
	}
	if ch.offer13 {
		for _, g := range cfg.shareGroups(groups) {
			share, err := GenerateKeyShare(cfg.Rand, g)
			if err != nil {
				return nil, alert.Wrap(alert.InternalError, err)
			}
			ch.shares = append(ch.shares, share)
		}
	}
	schemes := cfg.SignatureSchemes
	if schemes == nil {
		schemes = SupportedSignatureSchemes()
	}
	ch.hello = &ClientHello{
		Vers:                    record.VersionTLS12,
		Random:                  random,
		SessionID:               sessionID,
		CipherSuites:            suites,
		CompressionMethods:      []uint8{0},
		ServerName:              cfg.ServerName,
		SupportedGroups:         groups,
		SignatureAlgorithms:     schemes,
		SignatureAlgorithmsCert: schemes,
		ALPNProtocols:           cfg.NextProtos,
		RecordSizeLimit:         cfg.RecordSizeLimit,
		// As crypto/tls's client: ask for the leaf's OCSP response and
		// SCTs, which ConnectionState reports (they are not checked).
		RequestOCSP: true,
		RequestSCTs: true,
	}
	ch.addVersionExtensions()
	if ch.offer13 && cfg.Session.offerable(cfg, suites) {
		ch.session = cfg.Session
		ch.msg, err = marshalWithPSK(ch.hello, ch.session, cfg.Time(), nil)
		return ch, err
	}
	if ch.msg, err = ch.hello.Marshal(); err != nil {
		return nil, alert.Wrap(alert.InternalError, err)
	}
	return ch, nil
}

// addVersionExtensions adds what each offered version needs: for TLS 1.3
// supported_versions, key_share and psk_key_exchange_modes; for TLS 1.2
// an empty extended_master_secret ("In all handshakes, a client
// implementing this document MUST send the "extended_master_secret"
// extension in its ClientHello", RFC 7627, Section 5.2), an empty
// renegotiation_info ("The client MUST include either an empty
// "renegotiation_info" extension, or the TLS_EMPTY_RENEGOTIATION_INFO_SCSV
// signaling cipher suite value in the ClientHello", RFC 5746, Section 3.4)
// and ec_point_formats [uncompressed] (RFC 8422, Section 5.1.2).
func (ch *clientHello) addVersionExtensions() {
	m := ch.hello
	if ch.offer13 {
		m.SupportedVersions = []uint16{record.VersionTLS13}
		if ch.offer12 {
			m.SupportedVersions = append(m.SupportedVersions, record.VersionTLS12)
		}
		for _, s := range ch.shares {
			m.KeyShares = append(m.KeyShares, KeyShare{Group: s.Group(), Data: s.Public()})
		}
		m.PSKModes = []uint8{pskModeDHE}
	}
	if ch.offer12 {
		m.ExtendedMasterSecret = true
		m.SecureRenegotiation = true
		m.ECPointFormats = []uint8{PointFormatUncompressed}
	}
}

// allSuites is cipher.Suites(), copied once.
var allSuites = cipher.Suites()

// offeredSuites keeps the suites of ids of an offered version, TLS 1.3
// ones first, each version's in the order of ids. A version whose suites
// ids does not name gets all of its suites, in the cipher package's order.
func offeredSuites(ids []uint16, offer13, offer12 bool) []uint16 {
	out := make([]uint16, 0, len(ids)+9) // every suite, all at once
	var buf [16]uint16
	for _, v := range []struct {
		version uint16
		offer   bool
	}{{record.VersionTLS13, offer13}, {record.VersionTLS12, offer12}} {
		if !v.offer {
			continue
		}
		named := buf[:0]
		for _, id := range ids {
			if s := cipher.SuiteByID(id); s != nil && s.Version == v.version && !slices.Contains(named, id) {
				named = append(named, id)
			}
		}
		if len(named) == 0 {
			for _, s := range allSuites {
				if s.Version == v.version {
					named = append(named, s.ID)
				}
			}
		}
		out = append(out, named...)
	}
	return out
}

// negotiateVersion returns the version the ServerHello selects, applying
// RFC 8446, Sections 4.1.3 and 4.2.1 (supported_versions and the downgrade
// sentinels) and RFC 5246, Appendix E.1 (legacy negotiation).
func (ch *clientHello) negotiateVersion(sh *ServerHello) (uint16, error) {
	if sh.SupportedVersion != 0 || sh.IsHelloRetryRequest() {
		// "If the "supported_versions" extension in the ServerHello
		// contains a version not offered by the client or contains a
		// version prior to TLS 1.3, the client MUST abort the handshake
		// with an "illegal_parameter" alert" (RFC 8446, Section 4.2.1). A
		// HelloRetryRequest without the extension is judged by the TLS 1.3
		// flow.
		if (sh.SupportedVersion != 0 && sh.SupportedVersion != record.VersionTLS13) || !ch.offer13 {
			return 0, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered version %#04x", sh.SupportedVersion))
		}
		return record.VersionTLS13, nil
	}
	// "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below
	// MUST check that the last 8 bytes are not equal to either of these
	// values. TLS 1.2 clients SHOULD also check that the last 8 bytes are
	// not equal to the second value if the ServerHello indicates TLS 1.1
	// or below. If a match is found, the client MUST abort the handshake
	// with an "illegal_parameter" alert" (RFC 8446, Section 4.1.3). The
	// check precedes the version floor: a sentinel names the attack.
	tail := [8]byte(sh.Random[randomLen-8:])
	if sh.Vers <= record.VersionTLS12 && (ch.offer13 && (tail == DowngradeTLS12 || tail == DowngradeTLS11) ||
		!ch.offer13 && sh.Vers < record.VersionTLS12 && tail == DowngradeTLS11) {
		return 0, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: downgrade sentinel in a %#04x server_hello", sh.Vers))
	}
	switch {
	case sh.Vers == record.VersionTLS12 && ch.offer12:
		return record.VersionTLS12, nil
	case sh.Vers <= record.VersionTLS12:
		// Below MinVersion (alert policy, package alert; TLS 1.2 is not offered
		// only when MinVersion is TLS 1.3): "If the version chosen by the
		// server is not supported by the client (or is not acceptable),
		// the client MUST abort the handshake with a "protocol_version"
		// alert" (RFC 8446, Appendix D.1).
		return 0, alert.Wrap(alert.ProtocolVersion, fmt.Errorf("tls: server selected unsupported protocol version %#04x", sh.Vers))
	}
	// legacy_version above the 0x0303 we sent, without supported_versions.
	return 0, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered version %#04x", sh.Vers))
}

// messageReader reads handshake messages, skipping TLS 1.2 HelloRequests
// when TLS 1.2 is offered: "This message will be ignored by the client if
// the client is currently negotiating a session", and "This message MUST
// NOT be included in the message hashes" (RFC 5246, Section 7.4.1.1), so
// the caller never sees one. More than maxHelloRequests is a flood.
type messageReader struct {
	t                 Transport
	skipHelloRequests bool
	helloRequests     int
}

// read returns the next message, which must be of type want.
func (r *messageReader) read(want MsgType) ([]byte, error) {
	msg, err := r.next()
	if err != nil {
		return nil, err
	}
	return msg, expectType(msg, want)
}

// next returns the next message that is not a skipped HelloRequest.
func (r *messageReader) next() ([]byte, error) {
	for {
		msg, err := r.t.ReadMessage()
		if err != nil || !r.skipHelloRequests || len(msg) == 0 || MsgType(msg[0]) != TypeHelloRequest {
			return msg, err
		}
		if err := new(HelloRequest).Unmarshal(msg); err != nil {
			return nil, err
		}
		if r.helloRequests++; r.helloRequests > maxHelloRequests {
			return nil, alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many HelloRequest messages during the handshake"))
		}
	}
}

// verifyServer verifies the server's certificate chain against cfg and
// records it in st (RFC 8446, Section 4.4.2.4; RFC 5246, Section 7.4.2).
func (cfg *Config) verifyServer(certs [][]byte, st *State) error {
	peer, chains, err := VerifyServerCertificates(certs, VerifyOptions{
		ServerName:         cfg.ServerName,
		Roots:              cfg.RootCAs,
		Time:               cfg.Time,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
	})
	if err != nil {
		return err
	}
	st.PeerCertificates = peer
	st.VerifiedChains = chains
	return nil
}

// verifyConnection runs the caller's VerifyConnection, once the server has
// proved its key. Its error fails the handshake with the alert.Description
// it wraps, else with bad_certificate (alert policy, package alert); the
// handshake error wraps it.
func (cfg *Config) verifyConnection(st *State) error {
	if cfg.VerifyConnection == nil {
		return nil
	}
	if err := cfg.VerifyConnection(st); err != nil {
		d, ok := alert.Of(err)
		if !ok {
			d = alert.BadCertificate
		}
		return alert.Wrap(d, err)
	}
	return nil
}

// checkALPN checks the protocol the server selected, "" for none (the
// parser refuses an empty name): one we did not offer is an
// illegal_parameter, as the alert policy (package alert) rules for an unoffered
// suite, group or version, in either TLS version.
func (cfg *Config) checkALPN(selected string) error {
	if selected != "" && !slices.Contains(cfg.NextProtos, selected) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected unoffered ALPN protocol %q", selected))
	}
	return nil
}

// clientSchemes returns the schemes cert may sign with, best first: its own
// SupportedSignatureAlgorithms (crypto/tls's restriction of the key's
// use) when set, else ClientSignatureSchemes or the default.
func (cfg *Config) clientSchemes(cert *tls.Certificate) []SignatureScheme {
	if len(cert.SupportedSignatureAlgorithms) > 0 {
		out := make([]SignatureScheme, 0, len(cert.SupportedSignatureAlgorithms))
		for _, s := range cert.SupportedSignatureAlgorithms {
			out = append(out, SignatureScheme(s))
		}
		return out
	}
	if cfg.ClientSignatureSchemes != nil {
		return cfg.ClientSignatureSchemes
	}
	return SupportedSignatureSchemes()
}

// runSteps runs a handshake flow's steps in order, stopping at the first
// error.
func runSteps(steps ...func() error) error {
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// clientCertificate answers a CertificateRequest: GetClientCertificate
// decides when set (the request's certificate_authorities reach it as
// AcceptableCAs), otherwise the first of Certificates whose key usable
// accepts. nil means none: the client then sends an empty Certificate.
func (cfg *Config) clientCertificate(version uint16, cas [][]byte, schemes []SignatureScheme, usable func(*tls.Certificate, crypto.PublicKey) bool) (*tls.Certificate, error) {
	if cfg.GetClientCertificate != nil {
		info := &tls.CertificateRequestInfo{AcceptableCAs: cas, Version: version}
		for _, s := range schemes {
			info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
		}
		cert, err := cfg.GetClientCertificate(info)
		if err != nil {
			return nil, alert.Wrap(alert.InternalError, err)
		}
		return cert, nil
	}
	for i := range cfg.Certificates {
		c := &cfg.Certificates[i]
		if signer, ok := c.PrivateKey.(crypto.Signer); ok && len(c.Certificate) > 0 && usable(c, signer.Public()) {
			return c, nil
		}
	}
	return nil, nil
}

// RecordSizeLimiter is implemented by a Transport that applies the
// server's record_size_limit (RFC 8449) to the protected records it sends
// from the moment the handshake learns it: the TLS 1.3 EncryptedExtensions
// or the TLS 1.2 ServerHello.
type RecordSizeLimiter interface {
	SetPeerRecordSizeLimit(limit int)
}
