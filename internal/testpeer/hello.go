package testpeer

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// serverHello is what the proxy needs from a ServerHello.
type serverHello struct {
	vers      uint16 // selected_version, else legacy_version
	random    []byte
	sessionID []byte
	suite     uint16
}

// parseServerHello reads the version, random and suite of a whole
// ServerHello message (RFC 8446, Section 4.1.3; RFC 5246, Section
// 7.4.1.3). It is deliberately lenient where handshake.ServerHello is a
// client's strict parser: the proxy must follow whatever the real server
// chose (a pre_shared_key, an extension our client never offers) and leave
// judging to the client.
func parseServerHello(msg []byte) (serverHello, bool) {
	var sh serverHello
	var typ, comp uint8
	var body, sessionID cryptobyte.String
	s := cryptobyte.String(msg)
	if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&body) || !s.Empty() ||
		!body.ReadUint16(&sh.vers) || !body.ReadBytes(&sh.random, 32) ||
		!body.ReadUint8LengthPrefixed(&sessionID) || !body.ReadUint16(&sh.suite) || !body.ReadUint8(&comp) {
		return sh, false
	}
	sh.random = append([]byte(nil), sh.random...)
	sh.sessionID = append([]byte(nil), sessionID...)
	if body.Empty() {
		return sh, true
	}
	var exts cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return sh, false
	}
	for !exts.Empty() {
		var ext uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&ext) || !exts.ReadUint16LengthPrefixed(&data) {
			return sh, false
		}
		// "A server which negotiates TLS 1.3 MUST respond by sending a
		// "supported_versions" extension containing the selected version
		// value" (RFC 8446, Section 4.2.1).
		if ext == handshake.ExtSupportedVersions && (!data.ReadUint16(&sh.vers) || !data.Empty()) {
			return sh, false
		}
	}
	return sh, true
}

// ServerHelloFor returns a plausible ServerHello answering ch at version
// (record.VersionTLS13 or record.VersionTLS12), for scripted mode: a fresh
// random, ch's session ID echoed, the first suite of ch that the cipher
// package supports at that version, and for TLS 1.3 supported_versions and
// a real key share for ch's first share (X25519, P-256, P-384 or
// X25519MLKEM768); for TLS 1.2 the renegotiation_info, extended master
// secret and ec_point_formats ch offered. Change fields to make it wrong.
func ServerHelloFor(ch *handshake.ClientHello, version uint16) *handshake.ServerHello {
	sh := &handshake.ServerHello{
		Vers:      record.VersionTLS12,
		Random:    make([]byte, 32),
		SessionID: ch.SessionID,
	}
	rand.Read(sh.Random)
	for _, id := range ch.CipherSuites {
		if s := cipher.SuiteByID(id); s != nil && s.Version == version {
			sh.CipherSuite = id
			break
		}
	}
	if version == record.VersionTLS13 {
		sh.SupportedVersion = version
		if len(ch.KeyShares) > 0 {
			sh.KeyShare = serverShare(ch.KeyShares[0])
		}
		return sh
	}
	sh.SecureRenegotiation = ch.SecureRenegotiation
	sh.ExtendedMasterSecret = ch.ExtendedMasterSecret
	if len(ch.ECPointFormats) > 0 {
		sh.ECPointFormats = []uint8{0} // uncompressed
	}
	return sh
}

// serverShare answers a client's key share with a fresh key of the same
// group; an unknown group or a malformed client share gets an empty share.
func serverShare(cs handshake.KeyShare) handshake.KeyShare {
	ks := handshake.KeyShare{Group: cs.Group}
	curves := map[handshake.CurveID]ecdh.Curve{
		handshake.X25519:    ecdh.X25519(),
		handshake.CurveP256: ecdh.P256(),
		handshake.CurveP384: ecdh.P384(),
	}
	if c, ok := curves[cs.Group]; ok {
		if k, err := c.GenerateKey(rand.Reader); err == nil {
			ks.Data = k.PublicKey().Bytes()
		}
		return ks
	}
	// X25519MLKEM768's server share is the ML-KEM-768 ciphertext then the
	// X25519 share (draft-ietf-tls-ecdhe-mlkem, Section 4.1).
	if cs.Group == handshake.X25519MLKEM768 && len(cs.Data) == mlkem.EncapsulationKeySize768+32 {
		ek, err := mlkem.NewEncapsulationKey768(cs.Data[:mlkem.EncapsulationKeySize768])
		k, err2 := ecdh.X25519().GenerateKey(rand.Reader)
		if err == nil && err2 == nil {
			_, ct := ek.Encapsulate()
			ks.Data = append(ct, k.PublicKey().Bytes()...)
		}
	}
	return ks
}

// EditClientHello returns a ToServer hook that lets edit change each
// ClientHello that arrives whole in one record before the server sees it. The message is re-marshaled by the handshake
// package, which drops extensions it does not know. The server's
// transcript then differs from the client's, so a handshake that gets as
// far as the Finished messages fails there: this is for tests that end
// earlier (a downgrade the client must detect, a server's refusal).
func EditClientHello(edit func(ch *handshake.ClientHello)) Hook {
	return func(r Record) []Action {
		if r.Type != record.Handshake || len(r.Messages) != 1 || r.Messages[0].Type() != handshake.TypeClientHello ||
			len(r.Messages[0]) != len(r.Payload) {
			return nil
		}
		var ch handshake.ClientHello
		if err := ch.Unmarshal(r.Payload); err != nil {
			return nil
		}
		edit(&ch)
		return []Action{SendMessage(&ch)}
	}
}
