package handshake

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// Extension code points beyond types.go's, named so that the table of
// RFC 8446, Section 4.2 can be enforced in full (IANA TLS ExtensionType
// Values, in hex).
const (
	ExtMaxFragmentLength     uint16 = 0x0001
	ExtUseSRTP               uint16 = 0x000e
	ExtHeartbeat             uint16 = 0x000f
	ExtClientCertificateType uint16 = 0x0013
	ExtServerCertificateType uint16 = 0x0014
	ExtPadding               uint16 = 0x0015
	ExtRecordSizeLimit       uint16 = 0x001c // RFC 8449
	ExtOIDFilters            uint16 = 0x0030
	ExtPostHandshakeAuth     uint16 = 0x0031
)

// PskKeyExchangeMode values (RFC 8446, Section 4.2.9).
const (
	PSKModeKE  uint8 = 0 // psk_ke
	PSKModeDHE uint8 = 1 // psk_dhe_ke
)

// PointFormatUncompressed is the only ECPointFormat a TLS 1.2 client
// offers (RFC 8422, Section 5.1.2).
const PointFormatUncompressed uint8 = 0

const (
	nameTypeHostName uint8 = 0 // NameType host_name (RFC 6066, Section 3)
	statusTypeOCSP   uint8 = 1 // CertificateStatusType ocsp (RFC 6066, Section 8)
	// minRecordSizeLimit: "Endpoints MUST NOT send a value smaller than
	// 64" (RFC 8449, Section 4).
	minRecordSizeLimit = 64
)

// extContext is a set of the messages an extension may appear in: the
// columns CH, SH, HRR, EE, CT, CR and NST of the table in RFC 8446,
// Section 4.2.
type extContext uint8

const (
	inCH extContext = 1 << iota
	inSH
	inHRR
	inEE
	inCT
	inCR
	inNST
)

// String names the message of a single-message context, for errors.
func (c extContext) String() string {
	switch c {
	case inCH:
		return "client_hello"
	case inSH:
		return "server_hello"
	case inHRR:
		return "hello_retry_request"
	case inEE:
		return "encrypted_extensions"
	case inCT:
		return "certificate"
	case inCR:
		return "certificate_request"
	case inNST:
		return "new_session_ticket"
	}
	return "extension context " + strconv.Itoa(int(c))
}

// extInfo names every extension this package recognizes and, for TLS 1.3,
// where it may appear. The TLS 1.2 extensions a ClientHello also carries
// are listed as CH only: in a TLS 1.3 server message they are recognized
// and misplaced.
var extInfo = map[uint16]struct {
	name string
	in   extContext
}{
	ExtServerName:              {"server_name", inCH | inEE},
	ExtMaxFragmentLength:       {"max_fragment_length", inCH | inEE},
	ExtStatusRequest:           {"status_request", inCH | inCR | inCT},
	ExtSupportedGroups:         {"supported_groups", inCH | inEE},
	ExtECPointFormats:          {"ec_point_formats", inCH},
	ExtSignatureAlgorithms:     {"signature_algorithms", inCH | inCR},
	ExtUseSRTP:                 {"use_srtp", inCH | inEE},
	ExtHeartbeat:               {"heartbeat", inCH | inEE},
	ExtALPN:                    {"application_layer_protocol_negotiation", inCH | inEE},
	ExtSCT:                     {"signed_certificate_timestamp", inCH | inCR | inCT},
	ExtClientCertificateType:   {"client_certificate_type", inCH | inEE},
	ExtServerCertificateType:   {"server_certificate_type", inCH | inEE},
	ExtPadding:                 {"padding", inCH},
	ExtExtendedMasterSecret:    {"extended_master_secret", inCH},
	ExtRecordSizeLimit:         {"record_size_limit", inCH | inEE}, // RFC 8449, Section 5
	ExtSessionTicket:           {"session_ticket", inCH},
	ExtPreSharedKey:            {"pre_shared_key", inCH | inSH},
	ExtEarlyData:               {"early_data", inCH | inEE | inNST},
	ExtSupportedVersions:       {"supported_versions", inCH | inSH | inHRR},
	ExtCookie:                  {"cookie", inCH | inHRR},
	ExtPSKKeyExchangeModes:     {"psk_key_exchange_modes", inCH},
	ExtCertificateAuthorities:  {"certificate_authorities", inCH | inCR},
	ExtOIDFilters:              {"oid_filters", inCR},
	ExtPostHandshakeAuth:       {"post_handshake_auth", inCH},
	ExtSignatureAlgorithmsCert: {"signature_algorithms_cert", inCH | inCR},
	ExtKeyShare:                {"key_share", inCH | inSH | inHRR},
	ExtRenegotiationInfo:       {"renegotiation_info", inCH},
}

// extName returns the registry name of extension typ, for errors.
func extName(typ uint16) string {
	if e, ok := extInfo[typ]; ok {
		return e.name
	}
	return "extension(0x" + strconv.FormatUint(uint64(typ), 16) + ")"
}

// rawExtension is one Extension (RFC 8446, Section 4.2) whose
// extension_data is not parsed yet.
type rawExtension struct {
	typ  uint16
	data cryptobyte.String
}

// readExtensions reads the extension block "Extension extensions<..>" of
// a message of type t and returns the extensions and their types in wire
// order; types is nil for an empty block.
func readExtensions(s *cryptobyte.String, t MsgType) (exts []rawExtension, types []uint16, err error) {
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) {
		return nil, nil, malformed(t)
	}
	seen := make(map[uint16]bool)
	if !block.Empty() {
		exts, types = make([]rawExtension, 0, 8), make([]uint16, 0, 8) // a hello's, without regrowing
	}
	for !block.Empty() {
		var e rawExtension
		if !block.ReadUint16(&e.typ) || !block.ReadUint16LengthPrefixed(&e.data) {
			return nil, nil, malformed(t)
		}
		// "There MUST NOT be more than one extension of the same type in a
		// given extension block" (RFC 8446, Section 4.2).
		// The block is then malformed: decode_error (alert policy,
		// package alert).
		if seen[e.typ] {
			return nil, nil, alert.Wrap(alert.DecodeError,
				fmt.Errorf("tls: duplicate %s extension in %v", extName(e.typ), t))
		}
		seen[e.typ] = true
		exts = append(exts, e)
		types = append(types, e.typ)
	}
	return exts, types, nil
}

// extParser parses one extension's data into the message being built. It
// returns a bare alert.Description (usually alert.DecodeError) for the
// caller to name the extension, or a complete *alert.Error.
type extParser func(typ uint16, d *cryptobyte.String) error

// parseExtensions runs parse over exts and checks that each extension's
// data is consumed entirely.
func parseExtensions(exts []rawExtension, t MsgType, parse extParser) error {
	var d cryptobyte.String // one for the loop: it escapes into parse
	for _, e := range exts {
		d = e.data
		err := parse(e.typ, &d)
		if err == nil && !d.Empty() {
			err = alert.DecodeError
		}
		if err != nil {
			return extError(t, e.typ, err)
		}
	}
	return nil
}

// extError names the extension in an error that carries only an alert.
func extError(t MsgType, typ uint16, err error) error {
	if d, ok := err.(alert.Description); ok {
		return alert.Wrap(d, fmt.Errorf("tls: invalid %s extension in %v", extName(typ), t))
	}
	return err
}

// wellFormed turns a cryptobyte success flag into an extParser result.
func wellFormed(ok bool) error {
	if ok {
		return nil
	}
	return alert.DecodeError
}

// unexpectedExtension is the error for extension typ that a TLS 1.3
// message of context ctx does not take. "If an implementation receives an
// extension which it recognizes and which is not specified for the message
// in which it appears, it MUST abort the handshake with an
// "illegal_parameter" alert" (RFC 8446, Section 4.2). Any other one is a
// response to a request our ClientHello cannot make: "Implementations MUST
// NOT send extension responses if the remote endpoint did not send the
// corresponding extension requests ... Upon receiving such an extension,
// an endpoint MUST abort the handshake with an "unsupported_extension"
// alert" (RFC 8446, Section 4.2).
func unexpectedExtension(ctx extContext, typ uint16) error {
	if e, ok := extInfo[typ]; ok && e.in&ctx == 0 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: %s extension not allowed in %v", e.name, ctx))
	}
	return alert.Wrap(alert.UnsupportedExtension, fmt.Errorf("tls: unsolicited %s extension in %v", extName(typ), ctx))
}

// ignoreExtension skips the data d of extension typ in a message whose
// receiver "MUST ignore unrecognized extensions" (ClientHello, RFC 8446,
// Section 4.1.2; CertificateRequest, Section 4.3.2; NewSessionTicket,
// Section 4.6.1). A recognized extension the message may not carry is
// still an illegal_parameter (Section 4.2).
func ignoreExtension(ctx extContext, typ uint16, d *cryptobyte.String) error {
	if e, ok := extInfo[typ]; ok && e.in&ctx == 0 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: %s extension not allowed in %v", e.name, ctx))
	}
	*d = nil
	return nil
}

// readU16Vector reads the content of a non-empty vector of 16-bit values,
// such as "CipherSuite cipher_suites<2..2^16-2>", consuming all of v.
func readU16Vector[T ~uint16](v cryptobyte.String, out *[]T) bool {
	if v.Empty() {
		return false
	}
	list := make([]T, 0, len(v)/2)
	for !v.Empty() {
		var x uint16
		if !v.ReadUint16(&x) {
			return false
		}
		list = append(list, T(x))
	}
	*out = list
	return true
}

// readU16List reads a non-empty uint16-length-prefixed vector of 16-bit
// values, such as "NamedGroup named_group_list<2..2^16-1>".
func readU16List[T ~uint16](s *cryptobyte.String, out *[]T) bool {
	var v cryptobyte.String
	return s.ReadUint16LengthPrefixed(&v) && readU16Vector(v, out)
}

// readU8List reads a non-empty uint8-length-prefixed vector of bytes, such
// as "ECPointFormat ec_point_format_list<1..2^8-1>".
func readU8List(s *cryptobyte.String, out *[]uint8) bool {
	var v cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&v) || v.Empty() {
		return false
	}
	*out = ownBytes(v)
	return true
}

// addU16s writes 16-bit values.
func addU16s[T ~uint16](b *cryptobyte.Builder, list []T) {
	for _, x := range list {
		b.AddUint16(uint16(x))
	}
}

// addExtension writes one Extension with the extension_data f builds.
func addExtension(b *cryptobyte.Builder, typ uint16, f cryptobyte.BuilderContinuation) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(f)
}

// noData builds an empty extension_data.
func noData(*cryptobyte.Builder) {}

// addU16ListExtension writes an extension whose data is a uint16-length-
// prefixed vector of 16-bit values, when list is not empty.
func addU16ListExtension[T ~uint16](b *cryptobyte.Builder, typ uint16, list []T) {
	if len(list) == 0 {
		return
	}
	addExtension(b, typ, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { addU16s(b, list) })
	})
}

// readALPN reads a ProtocolNameList: "ProtocolName
// protocol_name_list<2..2^16-1>" of "opaque ProtocolName<1..2^8-1>"
// (RFC 7301, Section 3.1).
func readALPN(d *cryptobyte.String, out *[]string) bool {
	var list cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return false
	}
	var protos []string
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) || p.Empty() {
			return false
		}
		protos = append(protos, string(p))
	}
	*out = protos
	return true
}

// readSelectedALPN reads a server's ALPN extension: the "ProtocolNameList"
// "MUST contain exactly one "ProtocolName"" (RFC 7301, Section 3.1).
func readSelectedALPN(d *cryptobyte.String, out *string) error {
	var protos []string
	if !readALPN(d, &protos) || len(protos) != 1 {
		return alert.DecodeError
	}
	*out = protos[0]
	return nil
}

// addALPN writes the ALPN extension for protos, when there are any.
func addALPN(b *cryptobyte.Builder, protos []string) {
	if len(protos) == 0 {
		return
	}
	addExtension(b, ExtALPN, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range protos {
				if p == "" || len(p) > 255 {
					b.SetError(alert.Wrap(alert.InternalError, fmt.Errorf("tls: invalid ALPN protocol %q", p)))
					return
				}
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
			}
		})
	})
}

// readRecordSizeLimit reads "uint16 RecordSizeLimit"; "An endpoint MUST
// treat receipt of a smaller value as a fatal error and generate an
// "illegal_parameter" alert" (RFC 8449, Section 4).
func readRecordSizeLimit(d *cryptobyte.String, out *uint16) error {
	if !d.ReadUint16(out) {
		return alert.DecodeError
	}
	if *out < minRecordSizeLimit {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: record_size_limit %d is below 64", *out))
	}
	return nil
}

// sniHostName returns the HostName Marshal writes in server_name for
// name, or "" when it writes none. The name is sent "without a trailing
// dot", and "Literal IPv4 and IPv6 addresses are not permitted in
// "HostName"" (RFC 6066, Section 3).
func sniHostName(name string) string {
	name = strings.TrimRight(name, ".")
	if name == "" {
		return ""
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")); err == nil {
		return ""
	}
	return name
}

// Offers reports whether the ClientHello m, as Marshal writes it, carries
// extension ext, which makes a server's response extension of that type
// solicited.
func (m *ClientHello) Offers(ext uint16) bool {
	switch ext {
	case ExtServerName:
		return sniHostName(m.ServerName) != ""
	case ExtStatusRequest:
		return m.RequestOCSP
	case ExtSupportedGroups:
		return len(m.SupportedGroups) > 0
	case ExtECPointFormats:
		return len(m.ECPointFormats) > 0
	case ExtSignatureAlgorithms:
		return len(m.SignatureAlgorithms) > 0
	case ExtALPN:
		return len(m.ALPNProtocols) > 0
	case ExtSCT:
		return m.RequestSCTs
	case ExtExtendedMasterSecret:
		return m.ExtendedMasterSecret
	case ExtRecordSizeLimit:
		return m.RecordSizeLimit != 0
	case ExtSessionTicket:
		return m.TicketSupported
	case ExtSupportedVersions:
		return len(m.SupportedVersions) > 0
	case ExtCookie:
		return len(m.Cookie) > 0
	case ExtPSKKeyExchangeModes:
		return len(m.PSKModes) > 0
	case ExtSignatureAlgorithmsCert:
		return len(m.SignatureAlgorithmsCert) > 0
	case ExtKeyShare:
		return len(m.KeyShares) > 0
	case ExtRenegotiationInfo:
		return m.SecureRenegotiation
	case ExtPreSharedKey:
		return len(m.PSKIdentities) > 0
	}
	return false
}

// CheckSolicited returns an unsupported_extension error for the first of
// exts (a server message's Extensions) that m did not offer. The cookie of
// a HelloRetryRequest is the one extension a server sends unasked
// (RFC 8446, Section 4.2); the parsers admit it nowhere else.
func (m *ClientHello) CheckSolicited(exts []uint16) error {
	for _, ext := range exts {
		if ext != ExtCookie && !m.Offers(ext) {
			// "Implementations MUST NOT send extension responses if the
			// remote endpoint did not send the corresponding extension
			// requests" (RFC 8446, Section 4.2).
			return alert.Wrap(alert.UnsupportedExtension,
				fmt.Errorf("tls: server sent %s extension, which the client did not offer", extName(ext)))
		}
	}
	return nil
}
