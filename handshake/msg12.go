package handshake

import (
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// The TLS 1.2 messages of an ECDHE handshake that TLS 1.3 does not share
// (RFC 5246, Section 7.4; RFC 8422, Section 5). HelloRequest and
// ServerHelloDone, whose bodies are empty, are in msg_post.go. TLS 1.2's
// CertificateVerify ("SignatureAndHashAlgorithm algorithm; opaque
// signature<0..2^16-1>", RFC 5246, Section 4.7) and Finished ("opaque
// verify_data[verify_data_length]", Section 7.4.9) have the TLS 1.3 wire
// form, so CertificateVerify and Finished serve both versions.

// curveTypeNamedCurve is ECCurveType named_curve (RFC 8422, Section 5.4),
// the only curve type a client that lists supported_groups can get:
// "explicit_prime" and "explicit_char2" are deprecated there.
const curveTypeNamedCurve uint8 = 3

// ClientCertificateType values of a TLS 1.2 CertificateRequest (RFC 5246,
// Section 7.4.4; RFC 8422, Section 5.5). ecdsa_sign also covers EdDSA keys
// (RFC 8422, Section 5.5).
const (
	CertTypeRSASign   uint8 = 1
	CertTypeECDSASign uint8 = 64
)

// ServerKeyExchange is the ECDHE ServerKeyExchange message (RFC 8422,
// Section 5.4): ServerECDHParams (a named curve and the server's ephemeral
// public point) and the server's signature over client_random ‖
// server_random ‖ ServerECDHParams with "SignatureAndHashAlgorithm
// algorithm" first (RFC 5246, Section 4.7). Unmarshal refuses every curve
// type but named_curve with illegal_parameter: no other was offered.
type ServerKeyExchange struct {
	Curve     CurveID
	Public    []byte // ECPoint.point, <1..2^8-1>
	Scheme    SignatureScheme
	Signature []byte
}

// Params returns the encoded ServerECDHParams, the bytes the signature
// covers after the two randoms.
func (m *ServerKeyExchange) Params() ([]byte, error) {
	var b cryptobyte.Builder
	m.addParams(&b)
	out, err := b.Bytes()
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: encoding server_key_exchange params: %w", err))
	}
	return out, nil
}

func (m *ServerKeyExchange) addParams(b *cryptobyte.Builder) {
	b.AddUint8(curveTypeNamedCurve)
	b.AddUint16(uint16(m.Curve))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Public) })
}

// Marshal returns the whole ServerKeyExchange message.
func (m *ServerKeyExchange) Marshal() ([]byte, error) {
	if len(m.Public) == 0 {
		return nil, invalidField(TypeServerKeyExchange, "empty public point")
	}
	return marshalMessage(TypeServerKeyExchange, func(b *cryptobyte.Builder) {
		m.addParams(b)
		b.AddUint16(uint16(m.Scheme))
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Signature) })
	})
}

// Unmarshal parses a whole ServerKeyExchange message.
func (m *ServerKeyExchange) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeServerKeyExchange)
	if err != nil {
		return err
	}
	var curveType uint8
	if !body.ReadUint8(&curveType) {
		return malformed(TypeServerKeyExchange)
	}
	if curveType != curveTypeNamedCurve {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server_key_exchange with curve type %d; only named_curve was offered", curveType))
	}
	var curve, scheme uint16
	var public, sig cryptobyte.String
	if !body.ReadUint16(&curve) || !body.ReadUint8LengthPrefixed(&public) || public.Empty() ||
		!body.ReadUint16(&scheme) || !body.ReadUint16LengthPrefixed(&sig) || !body.Empty() {
		return malformed(TypeServerKeyExchange)
	}
	*m = ServerKeyExchange{Curve: CurveID(curve), Public: ownBytes(public), Scheme: SignatureScheme(scheme), Signature: ownBytes(sig)}
	return nil
}

// CertificateTLS12 is the TLS 1.2 Certificate message (RFC 5246,
// Section 7.4.2): "ASN.1Cert certificate_list<0..2^24-1>" of "opaque
// ASN.1Cert<1..2^24-1>", the sender's certificate first. Unmarshal parses
// an empty list; the flow decides whether it may be empty.
type CertificateTLS12 struct {
	Certificates [][]byte // DER X.509 certificates
}

// Marshal returns the whole Certificate message.
func (m *CertificateTLS12) Marshal() ([]byte, error) {
	for _, c := range m.Certificates {
		if len(c) == 0 {
			return nil, invalidField(TypeCertificate, "empty certificate")
		}
	}
	return marshalMessage(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range m.Certificates {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
			}
		})
	})
}

// Unmarshal parses a whole Certificate message.
func (m *CertificateTLS12) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificate)
	if err != nil {
		return err
	}
	var list cryptobyte.String
	if !body.ReadUint24LengthPrefixed(&list) || !body.Empty() {
		return malformed(TypeCertificate)
	}
	var certs [][]byte
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&c) || c.Empty() {
			return malformed(TypeCertificate)
		}
		certs = append(certs, ownBytes(c))
	}
	*m = CertificateTLS12{Certificates: certs}
	return nil
}

// CertificateRequestTLS12 is the TLS 1.2 CertificateRequest message
// (RFC 5246, Section 7.4.4):
//
//	ClientCertificateType certificate_types<1..2^8-1>;
//	SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
//	DistinguishedName certificate_authorities<0..2^16-1>;
type CertificateRequestTLS12 struct {
	CertificateTypes       []uint8
	SignatureAlgorithms    []SignatureScheme
	CertificateAuthorities [][]byte // DER-encoded DistinguishedNames
}

// Marshal returns the whole CertificateRequest message.
func (m *CertificateRequestTLS12) Marshal() ([]byte, error) {
	if len(m.CertificateTypes) == 0 || len(m.SignatureAlgorithms) == 0 {
		return nil, invalidField(TypeCertificateRequest, "certificate_types and supported_signature_algorithms must not be empty")
	}
	for _, dn := range m.CertificateAuthorities {
		if len(dn) == 0 {
			return nil, invalidField(TypeCertificateRequest, "empty DistinguishedName")
		}
	}
	return marshalMessage(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.CertificateTypes) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { addU16s(b, m.SignatureAlgorithms) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, dn := range m.CertificateAuthorities {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(dn) })
			}
		})
	})
}

// Unmarshal parses a whole CertificateRequest message. "opaque
// DistinguishedName<1..2^16-1>" (RFC 5246, Section 7.4.4): an empty name
// is malformed.
func (m *CertificateRequestTLS12) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificateRequest)
	if err != nil {
		return err
	}
	var out CertificateRequestTLS12
	var cas cryptobyte.String
	if !readU8List(&body, &out.CertificateTypes) || !readU16List(&body, &out.SignatureAlgorithms) ||
		!body.ReadUint16LengthPrefixed(&cas) || !body.Empty() {
		return malformed(TypeCertificateRequest)
	}
	for !cas.Empty() {
		var dn cryptobyte.String
		if !cas.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
			return malformed(TypeCertificateRequest)
		}
		out.CertificateAuthorities = append(out.CertificateAuthorities, ownBytes(dn))
	}
	*m = out
	return nil
}

// ClientKeyExchange is the ECDHE ClientKeyExchange message: the client's
// ephemeral public point, "opaque point <1..2^8-1>" (RFC 8422,
// Section 5.7; explicit encoding, the only one ECDHE uses).
type ClientKeyExchange struct {
	Public []byte
}

// Marshal returns the whole ClientKeyExchange message.
func (m *ClientKeyExchange) Marshal() ([]byte, error) {
	if len(m.Public) == 0 {
		return nil, invalidField(TypeClientKeyExchange, "empty public point")
	}
	return marshalMessage(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Public) })
	})
}

// Unmarshal parses a whole ClientKeyExchange message.
func (m *ClientKeyExchange) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeClientKeyExchange)
	if err != nil {
		return err
	}
	var public cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&public) || public.Empty() || !body.Empty() {
		return malformed(TypeClientKeyExchange)
	}
	*m = ClientKeyExchange{Public: ownBytes(public)}
	return nil
}

// CertificateStatus is the message a TLS 1.2 server may send after its
// Certificate when it answered status_request: "struct {
// CertificateStatusType status_type; select (status_type) { case ocsp:
// OCSPResponse; } response; } CertificateStatus;" with "opaque
// OCSPResponse<1..2^24-1>" (RFC 6066, Section 8). Only the ocsp type
// exists, so any other is a decode_error.
type CertificateStatus struct {
	OCSPResponse []byte
}

// Marshal returns the whole CertificateStatus message.
func (m *CertificateStatus) Marshal() ([]byte, error) {
	if len(m.OCSPResponse) == 0 {
		return nil, invalidField(TypeCertificateStatus, "empty OCSP response")
	}
	return marshalMessage(TypeCertificateStatus, func(b *cryptobyte.Builder) {
		b.AddUint8(statusTypeOCSP)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.OCSPResponse) })
	})
}

// Unmarshal parses a whole CertificateStatus message.
func (m *CertificateStatus) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificateStatus)
	if err != nil {
		return err
	}
	var statusType uint8
	var resp cryptobyte.String
	if !body.ReadUint8(&statusType) || statusType != statusTypeOCSP ||
		!body.ReadUint24LengthPrefixed(&resp) || resp.Empty() || !body.Empty() {
		return malformed(TypeCertificateStatus)
	}
	m.OCSPResponse = ownBytes(resp)
	return nil
}
