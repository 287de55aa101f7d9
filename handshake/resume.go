package handshake

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
)

// maxTicketLifetime: "Servers MUST NOT use any value greater than 604800
// seconds (7 days)" (RFC 8446, Section 4.6.1).
const maxTicketLifetime = 7 * 24 * time.Hour

// Session is what a client keeps of a TLS 1.3 connection to resume it with
// one of the server's tickets (RFC 8446, Section 4.6.1): the ticket and its
// lifetime and age_add, the resumption_master_secret and ticket_nonce the
// PSK derives from, the suite, and what the original handshake
// established. Its secrets are unexported, and String and every fmt verb
// print no secret.
type Session struct {
	suite        *cipher.Suite
	secret       []byte // resumption_master_secret
	nonce        []byte // ticket_nonce
	ticket       []byte
	lifetime     uint32 // ticket_lifetime, seconds
	ageAdd       uint32
	maxEarlyData uint32
	receivedAt   time.Time

	serverName       string
	alpn             string
	peerCertificates []*x509.Certificate
	verifiedChains   [][]*x509.Certificate
	scts             [][]byte
	ocsp             []byte
	peerScheme       SignatureScheme
}

// NewSession returns the session a NewSessionTicket t, received at now on
// the TLS 1.3 connection st, resumes.
func NewSession(st *State, t *NewSessionTicket, now time.Time) *Session {
	return &Session{
		suite:            st.Suite,
		secret:           st.ResumptionSecret,
		nonce:            t.Nonce,
		ticket:           t.Ticket,
		lifetime:         t.Lifetime,
		ageAdd:           t.AgeAdd,
		maxEarlyData:     t.MaxEarlyData,
		receivedAt:       now,
		serverName:       st.ServerName,
		alpn:             st.NegotiatedProtocol,
		peerCertificates: st.PeerCertificates,
		verifiedChains:   st.VerifiedChains,
		scts:             st.SignedCertificateTimestamps,
		ocsp:             st.OCSPResponse,
		peerScheme:       st.PeerSignatureScheme,
	}
}

// Suite returns the cipher suite of the connection the ticket came from;
// a resumption must use a suite with the same hash.
func (s *Session) Suite() *cipher.Suite { return s.suite }

// ServerName returns the server name the original connection verified.
func (s *Session) ServerName() string { return s.serverName }

// ReceivedAt returns when the ticket arrived.
func (s *Session) ReceivedAt() time.Time { return s.receivedAt }

// Lifetime returns the ticket's lifetime, at most 7 days.
func (s *Session) Lifetime() time.Duration {
	return min(time.Duration(s.lifetime)*time.Second, maxTicketLifetime)
}

// MaxEarlyData returns the ticket's max_early_data_size (this client sends
// no early data).
func (s *Session) MaxEarlyData() uint32 { return s.maxEarlyData }

// ALPN returns the protocol the original connection negotiated.
func (s *Session) ALPN() string { return s.alpn }

// PeerCertificates and VerifiedChains return the original connection's.
func (s *Session) PeerCertificates() []*x509.Certificate { return s.peerCertificates }
func (s *Session) VerifiedChains() [][]*x509.Certificate { return s.verifiedChains }

// Valid reports whether the ticket may still be offered at now: "Clients
// MUST NOT cache tickets for longer than 7 days, regardless of the
// ticket_lifetime" (RFC 8446, Section 4.6.1), nor past its lifetime.
func (s *Session) Valid(now time.Time) bool {
	age := now.Sub(s.receivedAt)
	return age >= 0 && age < s.Lifetime()
}

// String describes the session without its secrets or ticket.
func (s *Session) String() string {
	name := "unknown suite"
	if s.suite != nil {
		name = s.suite.Name
	}
	return fmt.Sprintf("TLS 1.3 session for %q (%s, ticket of %d bytes received %s, lifetime %s)",
		s.serverName, name, len(s.ticket), s.receivedAt.UTC().Format(time.RFC3339), s.Lifetime())
}

// Format prints String for every verb, so that %#v and %+v print no secret.
func (s *Session) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// psk returns the ticket's PSK.
func (s *Session) psk() []byte { return ResumptionPSK(s.suite, s.secret, s.nonce) }

// offerable reports whether s may be offered by a ClientHello for cfg
// offering suites: same server name, within its lifetime, and a suite
// hash we offer ("Clients MUST only resume if the new SNI value is valid
// for the server certificate presented in the original session", RFC
// 8446, Section 4.6.1; the PSK "MUST only be used with a cipher suite
// with the same hash", Section 4.2.11).
func (s *Session) offerable(cfg *Config, suites []uint16) bool {
	if s == nil || s.suite == nil || len(s.secret) == 0 || s.serverName != cfg.ServerName || !s.Valid(cfg.Time()) {
		return false
	}
	return slices.ContainsFunc(suites, func(id uint16) bool {
		c := cipher.SuiteByID(id)
		return c != nil && c.Version == s.suite.Version && c.Hash == s.suite.Hash
	})
}

// obfuscatedAge returns obfuscated_ticket_age: "the age of the ticket in
// milliseconds ... added to the "ticket_age_add" value that was included
// with the ticket ... modulo 2^32" (RFC 8446, Section 4.2.11).
func (s *Session) obfuscatedAge(now time.Time) uint32 {
	return uint32(now.Sub(s.receivedAt).Milliseconds()) + s.ageAdd
}

// marshalWithPSK marshals m offering s, with a fresh obfuscated age and the
// binder over prefix (the transcript before this ClientHello, nil for the
// first) and Truncate(m): "the binder ... includes all of the ClientHello
// but not the binders list itself" (RFC 8446, Section 4.2.11.2).
func marshalWithPSK(m *ClientHello, s *Session, now time.Time, prefix *Transcript) ([]byte, error) {
	early := NewEarlySecret(s.suite, s.psk())
	m.PSKIdentities = []PSKIdentity{{Identity: s.ticket, ObfuscatedTicketAge: s.obfuscatedAge(now)}}
	m.PSKBinders = [][]byte{make([]byte, s.suite.Hash.Size())} // right length, for the truncated lengths
	msg, err := m.Marshal()
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, err)
	}
	if prefix == nil {
		prefix = NewTranscript(s.suite.Hash)
	}
	truncated := msg[:len(msg)-m.BindersLen()]
	m.PSKBinders = [][]byte{early.ResumptionBinder(prefix.SumWith(truncated))}
	if msg, err = m.Marshal(); err != nil {
		return nil, alert.Wrap(alert.InternalError, err)
	}
	return msg, nil
}

// dropPSK removes the PSK offer from the ClientHello.
func (m *ClientHello) dropPSK() { m.PSKIdentities, m.PSKBinders = nil, nil }

// acceptPSK judges the ServerHello's pre_shared_key (RFC 8446, Section
// 4.2.11) and, when the server accepted our PSK, switches the handshake to
// resumption: the original certificates are reported, and no Certificate
// or CertificateVerify may follow.
func (hs *clientHandshakeTLS13) acceptPSK(sh *ServerHello) error {
	if !sh.PreSharedKey {
		return nil // a full handshake: the server declined the ticket
	}
	// "Clients MUST verify that the server's selected_identity is within
	// the range supplied by the client, that the server selected a cipher
	// suite indicating a Hash associated with the PSK, and that a server
	// "key_share" extension is present if required by the ClientHello
	// "psk_key_exchange_modes" extension. If these values are not
	// consistent, the client MUST abort the handshake with an
	// "illegal_parameter" alert" (RFC 8446, Section 4.2.11).
	if hs.session == nil || int(sh.SelectedIdentity) >= len(hs.hello.PSKIdentities) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server selected PSK identity %d, which was not offered", sh.SelectedIdentity))
	}
	if hs.session.suite.Hash != hs.suite.Hash {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server selected a cipher suite whose hash does not match the PSK's"))
	}
	if sh.KeyShare.Group == 0 {
		return alert.Wrap(alert.IllegalParameter, errors.New("tls: server accepted a psk_dhe_ke PSK without a key_share"))
	}
	hs.usingPSK = true
	hs.state.DidResume = true
	hs.state.PeerCertificates = hs.session.peerCertificates
	hs.state.VerifiedChains = hs.session.verifiedChains
	hs.state.SignedCertificateTimestamps = hs.session.scts
	hs.state.OCSPResponse = hs.session.ocsp
	hs.state.PeerSignatureScheme = hs.session.peerScheme
	return nil
}

// earlySecret returns the Early Secret: from the PSK when the server
// accepted it, from zeros otherwise (RFC 8446, Section 7.1).
func (hs *clientHandshakeTLS13) earlySecret() EarlySecret {
	if hs.usingPSK {
		return NewEarlySecret(hs.suite, hs.session.psk())
	}
	return NewEarlySecret(hs.suite, nil)
}
