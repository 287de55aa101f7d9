package handshake

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"errors"

	"github.com/tlsrecord/tlsrecord/cipher"
)

// The TLS 1.3 key schedule (RFC 8446, Section 7.1), typed by stage so that
// a secret can only be derived from the stage the RFC derives it from:
//
//	0 → Extract(salt 0, PSK or 0)        = EarlySecret
//	    Derive-Secret(., "derived", "") → Extract(., (EC)DHE) = HandshakeSecret
//	    Derive-Secret(., "derived", "") → Extract(., 0)       = MasterSecret
//
// Transcript arguments are transcript hashes (Transcript.Sum) at the point
// the RFC names: ClientHello...ServerHello for the handshake traffic
// secrets, ClientHello...server Finished for the application traffic and
// exporter secrets, ClientHello...client Finished for the resumption one.

// Labels of Derive-Secret (RFC 8446, Section 7.1).
const (
	labelDerived          = "derived"
	labelClientHandshake  = "c hs traffic"
	labelServerHandshake  = "s hs traffic"
	labelClientAppTraffic = "c ap traffic"
	labelServerAppTraffic = "s ap traffic"
	labelExporterMaster   = "exp master"
	labelResumptionMaster = "res master"
	labelResumptionBinder = "res binder"
	labelResumption       = "resumption"
)

// EarlySecret is the first stage of the key schedule.
type EarlySecret struct {
	suite  *cipher.Suite
	secret []byte
}

// HandshakeSecret is the stage keyed by the (EC)DHE shared secret.
type HandshakeSecret struct {
	suite  *cipher.Suite
	secret []byte
}

// MasterSecret is the last stage, from which the application traffic,
// exporter and resumption secrets derive.
type MasterSecret struct {
	suite  *cipher.Suite
	secret []byte
}

// NewEarlySecret returns Early Secret = HKDF-Extract(0, PSK). A nil psk is
// the no-PSK case: "If a given secret is not available, then the 0-value
// consisting of a string of Hash.length bytes set to zeros is used"
// (RFC 8446, Section 7.1).
func NewEarlySecret(s *cipher.Suite, psk []byte) EarlySecret {
	return EarlySecret{suite: s, secret: cipher.Extract(s.Hash, psk, nil)}
}

// ResumptionBinderKey returns binder_key = Derive-Secret(Early Secret,
// "res binder", "") (RFC 8446, Section 7.1).
func (e EarlySecret) ResumptionBinderKey() []byte {
	return cipher.DeriveSecret(e.suite.Hash, e.secret, labelResumptionBinder, emptyHash(e.suite))
}

// ResumptionBinder returns the PskBinderEntry of a resumption PSK: "The
// PskBinderEntry is computed in the same way as the Finished message
// (Section 4.4.4) but with the BaseKey being the binder_key" (RFC 8446,
// Section 4.2.11.2). transcript is Transcript-Hash(Truncate(ClientHello1)),
// or with a HelloRetryRequest the hash of message_hash(ClientHello1),
// the HelloRetryRequest and Truncate(ClientHello2).
func (e EarlySecret) ResumptionBinder(transcript []byte) []byte {
	return VerifyData(e.suite, e.ResumptionBinderKey(), transcript)
}

// ResumptionPSK returns the PSK of a ticket: "HKDF-Expand-Label(
// resumption_master_secret, "resumption", ticket_nonce, Hash.length)"
// (RFC 8446, Section 4.6.1).
func ResumptionPSK(s *cipher.Suite, resumptionSecret, nonce []byte) []byte {
	return cipher.ExpandLabel(s.Hash, resumptionSecret, labelResumption, nonce, s.Hash.Size())
}

// HandshakeSecret returns Handshake Secret = HKDF-Extract(Derive-Secret(
// Early Secret, "derived", ""), (EC)DHE) (RFC 8446, Section 7.1).
func (e EarlySecret) HandshakeSecret(shared []byte) HandshakeSecret {
	return HandshakeSecret{suite: e.suite, secret: nextStage(e.suite, e.secret, shared)}
}

// ClientTrafficSecret returns client_handshake_traffic_secret =
// Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello).
func (h HandshakeSecret) ClientTrafficSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(h.suite.Hash, h.secret, labelClientHandshake, transcript)
}

// ServerTrafficSecret returns server_handshake_traffic_secret =
// Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello).
func (h HandshakeSecret) ServerTrafficSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(h.suite.Hash, h.secret, labelServerHandshake, transcript)
}

// MasterSecret returns Master Secret = HKDF-Extract(Derive-Secret(
// Handshake Secret, "derived", ""), 0) (RFC 8446, Section 7.1).
func (h HandshakeSecret) MasterSecret() MasterSecret {
	return MasterSecret{suite: h.suite, secret: nextStage(h.suite, h.secret, nil)}
}

// ClientTrafficSecret returns client_application_traffic_secret_0 =
// Derive-Secret(Master Secret, "c ap traffic", ClientHello...server
// Finished).
func (m MasterSecret) ClientTrafficSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(m.suite.Hash, m.secret, labelClientAppTraffic, transcript)
}

// ServerTrafficSecret returns server_application_traffic_secret_0 =
// Derive-Secret(Master Secret, "s ap traffic", ClientHello...server
// Finished).
func (m MasterSecret) ServerTrafficSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(m.suite.Hash, m.secret, labelServerAppTraffic, transcript)
}

// ExporterSecret returns exporter_master_secret = Derive-Secret(Master
// Secret, "exp master", ClientHello...server Finished).
func (m MasterSecret) ExporterSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(m.suite.Hash, m.secret, labelExporterMaster, transcript)
}

// ResumptionSecret returns resumption_master_secret = Derive-Secret(Master
// Secret, "res master", ClientHello...client Finished).
func (m MasterSecret) ResumptionSecret(transcript []byte) []byte {
	return cipher.DeriveSecret(m.suite.Hash, m.secret, labelResumptionMaster, transcript)
}

// nextStage is HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm); a
// nil ikm is the zero string.
func nextStage(s *cipher.Suite, secret, ikm []byte) []byte {
	salt := cipher.DeriveSecret(s.Hash, secret, labelDerived, emptyHash(s))
	return cipher.Extract(s.Hash, ikm, salt)
}

// emptyHash is Transcript-Hash of no messages, Hash("").
// They are computed once per hash: the key schedule asks for them in every
// handshake.
func emptyHash(s *cipher.Suite) []byte {
	switch s.Hash {
	case crypto.SHA256:
		return emptySHA256[:]
	case crypto.SHA384:
		return emptySHA384[:]
	}
	return s.Hash.New().Sum(nil)
}

var (
	emptySHA256 = sha256.Sum256(nil)
	emptySHA384 = sha512.Sum384(nil)
)

// FinishedKey returns finished_key = HKDF-Expand-Label(BaseKey,
// "finished", "", Hash.length) (RFC 8446, Section 4.4.4); the base key is
// the sender's handshake traffic secret.
func FinishedKey(s *cipher.Suite, baseKey []byte) []byte {
	return cipher.ExpandLabel(s.Hash, baseKey, "finished", nil, s.Hash.Size())
}

// VerifyData returns verify_data = HMAC(finished_key, Transcript-Hash(
// Handshake Context, Certificate*, CertificateVerify*)) (RFC 8446,
// Section 4.4.4).
func VerifyData(s *cipher.Suite, baseKey, transcript []byte) []byte {
	return cipher.HMAC(s.Hash, FinishedKey(s, baseKey), transcript)
}

// VerifyFinished reports whether got is the peer's correct verify_data,
// compared in constant time. "Recipients of Finished messages MUST verify
// that the contents are correct and if incorrect MUST terminate the
// connection with a "decrypt_error" alert" (RFC 8446, Section 4.4.4): the
// caller fails with alert.DecryptError on false.
func VerifyFinished(s *cipher.Suite, baseKey, transcript, got []byte) bool {
	return hmac.Equal(VerifyData(s, baseKey, transcript), got)
}

// maxExporterLabel keeps "tls13 " + label within HkdfLabel's label<7..255>
// (RFC 8446, Section 7.1).
const maxExporterLabel = 255 - len("tls13 ")

// ExportKeyingMaterial is the TLS 1.3 exporter (RFC 8446, Section 7.5):
//
//	TLS-Exporter(label, context_value, key_length) =
//	    HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
//	                      "exporter", Hash(context_value), key_length)
//
// with exporter_master_secret as Secret ("Implementations MUST use the
// exporter_master_secret unless explicitly specified by the application").
// "If no context is provided, the context_value is zero length" (RFC 8446,
// Section 7.5): a nil context hashes like an empty one. The errors are for
// the caller of conn.ExportKeyingMaterial; no alert is involved.
func ExportKeyingMaterial(s *cipher.Suite, exporterSecret []byte, label string, context []byte, length int) ([]byte, error) {
	if len(label) > maxExporterLabel {
		return nil, errors.New("tls: exporter label longer than 249 bytes")
	}
	// HKDF-Expand outputs at most 255·HashLen bytes (RFC 5869, Section 2.3).
	if length < 0 || length > 255*s.Hash.Size() {
		return nil, errors.New("tls: invalid exporter output length")
	}
	secret := cipher.DeriveSecret(s.Hash, exporterSecret, label, emptyHash(s))
	d := s.Hash.New()
	d.Write(context)
	return cipher.ExpandLabel(s.Hash, secret, "exporter", d.Sum(nil), length), nil
}
