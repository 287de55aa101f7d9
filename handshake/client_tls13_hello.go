package handshake

// The TLS 1.3 client's hello exchange: the key shares of the first
// ClientHello, the ServerHello's checks, and the HelloRetryRequest round
// (RFC 8446, Sections 4.1.2-4.1.4 and 4.2.8). The flow that calls these
// steps is in client_tls13.go.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

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
