package handshake

import (
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// EncryptedExtensions is the EncryptedExtensions message (RFC 8446,
// Section 4.3.1). Unmarshal admits server_name (empty), ALPN (exactly one
// protocol), supported_groups and record_size_limit; the caller checks the
// ones it may not have offered with ClientHello.CheckSolicited.
type EncryptedExtensions struct {
	ALPNProtocol    string
	ServerNameAck   bool      // empty server_name: the server used our SNI
	SupportedGroups []CurveID // the server's preference; informational
	RecordSizeLimit uint16    // RFC 8449; 0 when absent

	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// Marshal returns the whole EncryptedExtensions message, its extensions
// in the order of RFC 8448's trace.
func (m *EncryptedExtensions) Marshal() ([]byte, error) {
	return marshalMessage(TypeEncryptedExtensions, func(b *cryptobyte.Builder) {
		addExtensionBlock(b, false, func(b *cryptobyte.Builder) {
			addU16ListExtension(b, ExtSupportedGroups, m.SupportedGroups)
			if m.RecordSizeLimit != 0 {
				addExtension(b, ExtRecordSizeLimit, func(b *cryptobyte.Builder) { b.AddUint16(m.RecordSizeLimit) })
			}
			if m.ServerNameAck {
				addExtension(b, ExtServerName, noData)
			}
			if m.ALPNProtocol != "" {
				addALPN(b, []string{m.ALPNProtocol})
			}
		})
	})
}

// Unmarshal parses a whole EncryptedExtensions message.
func (m *EncryptedExtensions) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeEncryptedExtensions)
	if err != nil {
		return err
	}
	exts, types, err := readExtensions(&body, TypeEncryptedExtensions)
	if err != nil {
		return err
	}
	if !body.Empty() {
		return malformed(TypeEncryptedExtensions)
	}
	out := EncryptedExtensions{Extensions: types}
	err = parseExtensions(exts, TypeEncryptedExtensions, func(typ uint16, d *cryptobyte.String) error {
		switch typ {
		case ExtServerName:
			// "The "extension_data" field of this extension SHALL be
			// empty" (RFC 6066, Section 3).
			out.ServerNameAck = true
		case ExtALPN:
			return readSelectedALPN(d, &out.ALPNProtocol)
		case ExtSupportedGroups:
			return wellFormed(readU16List(d, &out.SupportedGroups))
		case ExtRecordSizeLimit:
			return readRecordSizeLimit(d, &out.RecordSizeLimit)
		default:
			return unexpectedExtension(inEE, typ)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*m = out
	return nil
}

// CertificateRequestTLS13 is the TLS 1.3 CertificateRequest message
// (RFC 8446, Section 4.3.2).
type CertificateRequestTLS13 struct {
	Context                 []byte // certificate_request_context
	SignatureAlgorithms     []SignatureScheme
	SignatureAlgorithmsCert []SignatureScheme
	CertificateAuthorities  [][]byte // DER-encoded DistinguishedNames

	// Extensions lists the extension types Unmarshal saw, in wire order,
	// ignored ones included. Marshal ignores it.
	Extensions []uint16
}

// Marshal returns the whole CertificateRequest message.
func (m *CertificateRequestTLS13) Marshal() ([]byte, error) {
	if len(m.SignatureAlgorithms) == 0 {
		return nil, invalidField(TypeCertificateRequest, "signature_algorithms is required")
	}
	return marshalMessage(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Context) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			addU16ListExtension(b, ExtSignatureAlgorithms, m.SignatureAlgorithms)
			addU16ListExtension(b, ExtSignatureAlgorithmsCert, m.SignatureAlgorithmsCert)
			if len(m.CertificateAuthorities) > 0 {
				addExtension(b, ExtCertificateAuthorities, func(b *cryptobyte.Builder) {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, dn := range m.CertificateAuthorities {
							b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(dn) })
						}
					})
				})
			}
		})
	})
}

// Unmarshal parses a whole CertificateRequest message. Unrecognized
// extensions are ignored: "Clients MUST ignore unrecognized extensions"
// (RFC 8446, Section 4.3.2).
func (m *CertificateRequestTLS13) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificateRequest)
	if err != nil {
		return err
	}
	var out CertificateRequestTLS13
	var context cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&context) {
		return malformed(TypeCertificateRequest)
	}
	out.Context = ownBytes(context)
	exts, types, err := readExtensions(&body, TypeCertificateRequest)
	if err != nil {
		return err
	}
	if !body.Empty() {
		return malformed(TypeCertificateRequest)
	}
	out.Extensions = types
	if err := parseExtensions(exts, TypeCertificateRequest, out.parseExtension); err != nil {
		return err
	}
	// "The "signature_algorithms" extension MUST be specified"
	// (RFC 8446, Section 4.3.2).
	if out.SignatureAlgorithms == nil {
		return alert.Wrap(alert.MissingExtension, fmt.Errorf("tls: certificate_request without signature_algorithms"))
	}
	*m = out
	return nil
}

// parseExtension parses one CertificateRequest extension into m.
func (m *CertificateRequestTLS13) parseExtension(typ uint16, d *cryptobyte.String) error {
	switch typ {
	case ExtSignatureAlgorithms:
		return wellFormed(readU16List(d, &m.SignatureAlgorithms))
	case ExtSignatureAlgorithmsCert:
		return wellFormed(readU16List(d, &m.SignatureAlgorithmsCert))
	case ExtCertificateAuthorities:
		// "DistinguishedName authorities<3..2^16-1>" of "opaque
		// DistinguishedName<1..2^16-1>" (RFC 8446, Section 4.2.4).
		var list cryptobyte.String
		if !d.ReadUint16LengthPrefixed(&list) || list.Empty() {
			return alert.DecodeError
		}
		for !list.Empty() {
			var dn cryptobyte.String
			if !list.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
				return alert.DecodeError
			}
			m.CertificateAuthorities = append(m.CertificateAuthorities, ownBytes(dn))
		}
		return nil
	}
	return ignoreExtension(inCR, typ, d)
}

// CertificateEntry is one certificate of a TLS 1.3 Certificate message
// with its extensions (RFC 8446, Section 4.4.2).
type CertificateEntry struct {
	Data       []byte   // cert_data: a DER X.509 certificate
	OCSPStaple []byte   // status_request's OCSPResponse, nil when absent
	SCTs       [][]byte // signed_certificate_timestamp's SCTs

	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// CertificateTLS13 is the TLS 1.3 Certificate message (RFC 8446,
// Section 4.4.2). Unmarshal parses an empty certificate_list; the flow
// decides whether it may be empty.
type CertificateTLS13 struct {
	Context []byte // certificate_request_context
	Entries []CertificateEntry
}

// Marshal returns the whole Certificate message.
func (m *CertificateTLS13) Marshal() ([]byte, error) {
	for _, e := range m.Entries {
		if len(e.Data) == 0 {
			return nil, invalidField(TypeCertificate, "empty cert_data")
		}
	}
	return marshalMessage(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Context) })
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range m.Entries {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
				addExtensionBlock(b, false, e.addExtensions)
			}
		})
	})
}

// addExtensions writes an entry's status_request and
// signed_certificate_timestamp.
func (e *CertificateEntry) addExtensions(b *cryptobyte.Builder) {
	if len(e.OCSPStaple) > 0 {
		addExtension(b, ExtStatusRequest, func(b *cryptobyte.Builder) {
			b.AddUint8(statusTypeOCSP)
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.OCSPStaple) })
		})
	}
	if len(e.SCTs) > 0 {
		addExtension(b, ExtSCT, func(b *cryptobyte.Builder) { addSCTList(b, e.SCTs) })
	}
}

// Unmarshal parses a whole Certificate message.
func (m *CertificateTLS13) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificate)
	if err != nil {
		return err
	}
	var out CertificateTLS13
	var context, list cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&context) || !body.ReadUint24LengthPrefixed(&list) || !body.Empty() {
		return malformed(TypeCertificate)
	}
	out.Context = ownBytes(context)
	for !list.Empty() {
		var e CertificateEntry
		if err := e.read(&list); err != nil {
			return err
		}
		out.Entries = append(out.Entries, e)
	}
	*m = out
	return nil
}

// read reads one CertificateEntry: "opaque cert_data<1..2^24-1>;
// Extension extensions<0..2^16-1>;". Entry extensions must answer our
// ClientHello: "The extensions in the Certificate message from the server
// MUST correspond to ones from the ClientHello message" (RFC 8446,
// Section 4.4.2).
func (e *CertificateEntry) read(s *cryptobyte.String) error {
	var data cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&data) || data.Empty() {
		return malformed(TypeCertificate)
	}
	e.Data = ownBytes(data)
	exts, types, err := readExtensions(s, TypeCertificate)
	if err != nil {
		return err
	}
	e.Extensions = types
	return parseExtensions(exts, TypeCertificate, func(typ uint16, d *cryptobyte.String) error {
		switch typ {
		case ExtStatusRequest:
			// "struct { CertificateStatusType status_type; select
			// (status_type) { case ocsp: OCSPResponse; } response; }"
			// with "opaque OCSPResponse<1..2^24-1>" (RFC 6066, Section 8).
			var statusType uint8
			var resp cryptobyte.String
			if !d.ReadUint8(&statusType) || statusType != statusTypeOCSP ||
				!d.ReadUint24LengthPrefixed(&resp) || resp.Empty() {
				return alert.DecodeError
			}
			e.OCSPStaple = ownBytes(resp)
			return nil
		case ExtSCT:
			return wellFormed(readSCTList(d, &e.SCTs))
		}
		return unexpectedExtension(inCT, typ)
	})
}

// CertificateVerify is the CertificateVerify message (RFC 8446,
// Section 4.4.3).
type CertificateVerify struct {
	Scheme    SignatureScheme
	Signature []byte
}

// Marshal returns the whole CertificateVerify message.
func (m *CertificateVerify) Marshal() ([]byte, error) {
	return marshalMessage(TypeCertificateVerify, func(b *cryptobyte.Builder) {
		b.AddUint16(uint16(m.Scheme))
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Signature) })
	})
}

// Unmarshal parses a whole CertificateVerify message: "SignatureScheme
// algorithm; opaque signature<0..2^16-1>;".
func (m *CertificateVerify) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeCertificateVerify)
	if err != nil {
		return err
	}
	var scheme uint16
	var sig cryptobyte.String
	if !body.ReadUint16(&scheme) || !body.ReadUint16LengthPrefixed(&sig) || !body.Empty() {
		return malformed(TypeCertificateVerify)
	}
	*m = CertificateVerify{Scheme: SignatureScheme(scheme), Signature: ownBytes(sig)}
	return nil
}

// Finished is the Finished message (RFC 8446, Section 4.4.4). Unmarshal
// accepts verify_data of any length: the flow compares it, length
// included, with the expected value.
type Finished struct {
	VerifyData []byte
}

// Marshal returns the whole Finished message.
func (m *Finished) Marshal() ([]byte, error) {
	return marshalMessage(TypeFinished, func(b *cryptobyte.Builder) { b.AddBytes(m.VerifyData) })
}

// Unmarshal parses a whole Finished message.
func (m *Finished) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeFinished)
	if err != nil {
		return err
	}
	*m = Finished{VerifyData: ownBytes(body)}
	return nil
}
