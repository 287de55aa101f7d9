package handshake

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// HelloRetryRequestRandom is the Random of a ServerHello that is a
// HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446, Section 4.1.3).
var HelloRetryRequestRandom = [randomLen]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// The downgrade sentinels a TLS 1.3 server puts in the last 8 bytes of
// ServerHello.random when it negotiates TLS 1.2 (DowngradeTLS12) or an
// older version (DowngradeTLS11) (RFC 8446, Section 4.1.3).
var (
	DowngradeTLS12 = [8]byte{'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01}
	DowngradeTLS11 = [8]byte{'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x00}
)

// ServerHello is the ServerHello message of TLS 1.3 (RFC 8446,
// Section 4.1.3) or TLS 1.2 (RFC 5246, Section 7.4.1.3), and the
// HelloRetryRequest, which is a ServerHello with HelloRetryRequestRandom.
//
// Unmarshal tells the three apart as a client must: by the random, then by
// the presence of supported_versions, and admits the extensions of that
// kind only. TLS 1.3: supported_versions and key_share; HelloRetryRequest:
// supported_versions, key_share (the selected group) and cookie; TLS 1.2:
// server_name (empty), renegotiation_info, extended_master_secret, ALPN,
// ec_point_formats, session_ticket, status_request and
// signed_certificate_timestamp. The
// caller checks the ones it may not have offered with
// ClientHello.CheckSolicited.
type ServerHello struct {
	Vers              uint16 // legacy_version
	Random            []byte // 32 bytes
	SessionID         []byte // legacy_session_id_echo
	CipherSuite       uint16
	CompressionMethod uint8

	SupportedVersion uint16   // selected_version, 0 when absent
	KeyShare         KeyShare // the server's share; only Group in a HelloRetryRequest
	Cookie           []byte   // HelloRetryRequest only
	// PreSharedKey says the server accepted the PSK at SelectedIdentity
	// (pre_shared_key, RFC 8446, Section 4.2.11).
	PreSharedKey     bool
	SelectedIdentity uint16

	ServerNameAck          bool   // TLS 1.2 only: empty server_name
	ALPNProtocol           string // TLS 1.2 only
	ExtendedMasterSecret   bool
	SecureRenegotiation    bool   // renegotiation_info present
	RenegotiatedConnection []byte // its renegotiated_connection
	ECPointFormats         []uint8
	TicketSupported        bool     // empty session_ticket
	OCSPStapling           bool     // empty status_request
	SCTs                   [][]byte // signed_certificate_timestamp's SCTs
	RecordSizeLimit        uint16   // TLS 1.2 only: record_size_limit (RFC 8449), 0 when absent

	// Extensions lists the extension types Unmarshal saw, in wire order.
	// Marshal ignores it.
	Extensions []uint16
}

// IsHelloRetryRequest reports whether m is a HelloRetryRequest: its random
// is HelloRetryRequestRandom (RFC 8446, Section 4.1.3).
func (m *ServerHello) IsHelloRetryRequest() bool {
	return bytes.Equal(m.Random, HelloRetryRequestRandom[:])
}

// Marshal returns the whole ServerHello message. In a HelloRetryRequest
// key_share carries only KeyShare.Group.
func (m *ServerHello) Marshal() ([]byte, error) {
	if len(m.Random) != randomLen {
		return nil, invalidField(TypeServerHello, "random is %d bytes, want %d", len(m.Random), randomLen)
	}
	if len(m.SessionID) > maxSessionIDLen {
		return nil, invalidField(TypeServerHello, "session id is %d bytes", len(m.SessionID))
	}
	return marshalMessage(TypeServerHello, func(b *cryptobyte.Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.SessionID) })
		b.AddUint16(m.CipherSuite)
		b.AddUint8(m.CompressionMethod)
		addExtensionBlock(b, true, m.addExtensions)
	})
}

// addExtensions writes the TLS 1.2 extensions, then the TLS 1.3 ones in
// the order of RFC 8448's trace (key_share before supported_versions).
func (m *ServerHello) addExtensions(b *cryptobyte.Builder) {
	if m.ServerNameAck {
		addExtension(b, ExtServerName, noData)
	}
	if m.SecureRenegotiation {
		addExtension(b, ExtRenegotiationInfo, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.RenegotiatedConnection) })
		})
	}
	if m.ExtendedMasterSecret {
		addExtension(b, ExtExtendedMasterSecret, noData)
	}
	if m.ALPNProtocol != "" {
		addALPN(b, []string{m.ALPNProtocol})
	}
	if len(m.ECPointFormats) > 0 {
		addExtension(b, ExtECPointFormats, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.ECPointFormats) })
		})
	}
	if m.TicketSupported {
		addExtension(b, ExtSessionTicket, noData)
	}
	if m.OCSPStapling {
		addExtension(b, ExtStatusRequest, noData)
	}
	if len(m.SCTs) > 0 {
		addExtension(b, ExtSCT, func(b *cryptobyte.Builder) { addSCTList(b, m.SCTs) })
	}
	if m.RecordSizeLimit != 0 {
		addExtension(b, ExtRecordSizeLimit, func(b *cryptobyte.Builder) { b.AddUint16(m.RecordSizeLimit) })
	}
	switch {
	case m.IsHelloRetryRequest() && m.KeyShare.Group != 0:
		addExtension(b, ExtKeyShare, func(b *cryptobyte.Builder) { b.AddUint16(uint16(m.KeyShare.Group)) })
	case !m.IsHelloRetryRequest() && (m.KeyShare.Group != 0 || len(m.KeyShare.Data) > 0):
		addExtension(b, ExtKeyShare, func(b *cryptobyte.Builder) { addKeyShareEntry(b, m.KeyShare) })
	}
	if m.PreSharedKey {
		addExtension(b, ExtPreSharedKey, func(b *cryptobyte.Builder) { b.AddUint16(m.SelectedIdentity) })
	}
	if m.SupportedVersion != 0 {
		addExtension(b, ExtSupportedVersions, func(b *cryptobyte.Builder) { b.AddUint16(m.SupportedVersion) })
	}
	if len(m.Cookie) > 0 {
		addExtension(b, ExtCookie, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Cookie) })
		})
	}
}

// Unmarshal parses a whole ServerHello or HelloRetryRequest message.
func (m *ServerHello) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeServerHello)
	if err != nil {
		return err
	}
	var out ServerHello
	var random []byte
	var sessionID cryptobyte.String
	if !body.ReadUint16(&out.Vers) || !body.ReadBytes(&random, randomLen) ||
		!body.ReadUint8LengthPrefixed(&sessionID) || len(sessionID) > maxSessionIDLen ||
		!body.ReadUint16(&out.CipherSuite) || !body.ReadUint8(&out.CompressionMethod) {
		return malformed(TypeServerHello)
	}
	out.Random, out.SessionID = ownBytes(random), ownBytes(sessionID)
	exts, types, err := readOptionalExtensions(&body, TypeServerHello)
	if err != nil {
		return err
	}
	out.Extensions = types
	parse := out.parseTLS12Extension
	switch {
	case out.IsHelloRetryRequest():
		parse = out.parseHRRExtension
	case slices.Contains(types, ExtSupportedVersions):
		// "A server which negotiates TLS 1.3 MUST respond by sending a
		// "supported_versions" extension" (RFC 8446, Section 4.2.1).
		parse = out.parseTLS13Extension
	}
	if err := parseExtensions(exts, TypeServerHello, parse); err != nil {
		return err
	}
	*m = out
	return nil
}

// parseTLS13Extension parses an extension of a TLS 1.3 ServerHello:
// supported_versions, key_share and pre_shared_key's "uint16
// selected_identity" (RFC 8446, Section 4.2.11).
func (m *ServerHello) parseTLS13Extension(typ uint16, d *cryptobyte.String) error {
	switch typ {
	case ExtPreSharedKey:
		m.PreSharedKey = true
		return wellFormed(d.ReadUint16(&m.SelectedIdentity))
	case ExtSupportedVersions:
		return readSelectedVersion(d, &m.SupportedVersion)
	case ExtKeyShare:
		return wellFormed(readKeyShareEntry(d, &m.KeyShare))
	}
	return unexpectedExtension(inSH, typ)
}

// parseHRRExtension parses an extension of a HelloRetryRequest, whose
// key_share is "NamedGroup selected_group" (RFC 8446, Section 4.2.8).
func (m *ServerHello) parseHRRExtension(typ uint16, d *cryptobyte.String) error {
	switch typ {
	case ExtSupportedVersions:
		return readSelectedVersion(d, &m.SupportedVersion)
	case ExtKeyShare:
		var group uint16
		if !d.ReadUint16(&group) {
			return alert.DecodeError
		}
		if group == 0 {
			return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: hello_retry_request selected group 0x0000"))
		}
		m.KeyShare.Group = CurveID(group)
		return nil
	case ExtCookie:
		return wellFormed(readCookie(d, &m.Cookie))
	}
	return unexpectedExtension(inHRR, typ)
}

// readSelectedVersion reads "ProtocolVersion selected_version". Version
// 0x0000 is never offered, so it is refused here with the alert for an
// unoffered version (alert policy, package alert).
func readSelectedVersion(d *cryptobyte.String, out *uint16) error {
	if !d.ReadUint16(out) {
		return alert.DecodeError
	}
	if *out == 0 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server_hello selected version 0x0000"))
	}
	return nil
}

// parseTLS12Extension parses an extension of a TLS 1.2 ServerHello. "If a
// client receives an extension type in ServerHello that it did not request
// in the associated ClientHello, it MUST abort the handshake with an
// unsupported_extension fatal alert" (RFC 5246, Section 7.4.1.4): every
// type this client cannot request is refused here.
func (m *ServerHello) parseTLS12Extension(typ uint16, d *cryptobyte.String) error {
	switch typ {
	case ExtServerName:
		// "The "extension_data" field of this extension SHALL be empty"
		// (RFC 6066, Section 3).
		m.ServerNameAck = true
	case ExtRenegotiationInfo:
		var conn cryptobyte.String
		if !d.ReadUint8LengthPrefixed(&conn) {
			return alert.DecodeError
		}
		m.SecureRenegotiation, m.RenegotiatedConnection = true, ownBytes(conn)
	case ExtExtendedMasterSecret:
		m.ExtendedMasterSecret = true // its extension_data is empty
	case ExtALPN:
		return readSelectedALPN(d, &m.ALPNProtocol)
	case ExtECPointFormats:
		return wellFormed(readU8List(d, &m.ECPointFormats))
	case ExtSessionTicket:
		m.TicketSupported = true // its extension_data is empty (RFC 5077, Section 3.2)
	case ExtStatusRequest:
		m.OCSPStapling = true // its extension_data is empty (RFC 6066, Section 8)
	case ExtSCT:
		return wellFormed(readSCTList(d, &m.SCTs))
	case ExtRecordSizeLimit:
		return readRecordSizeLimit(d, &m.RecordSizeLimit)
	case ExtSupportedGroups:
		// We sent supported_groups, so a server that answers it is not
		// unsolicited; RFC 8422 gives the answer no meaning in TLS 1.2, so
		// it is checked for form and ignored, as BoringSSL does.
		var groups []CurveID
		return wellFormed(readU16List(d, &groups))
	default:
		return alert.Wrap(alert.UnsupportedExtension, fmt.Errorf("tls: unsolicited %s extension in a TLS 1.2 server_hello", extName(typ)))
	}
	return nil
}

// readSCTList reads a SignedCertificateTimestampList: "SerializedSCT
// sct_list <1..2^16-1>" of "opaque SerializedSCT<1..2^16-1>" (RFC 6962,
// Section 3.3).
func readSCTList(d *cryptobyte.String, out *[][]byte) bool {
	var list cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return false
	}
	var scts [][]byte
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return false
		}
		scts = append(scts, ownBytes(sct))
	}
	*out = scts
	return true
}

// addSCTList writes a SignedCertificateTimestampList.
func addSCTList(b *cryptobyte.Builder, scts [][]byte) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, sct := range scts {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sct) })
		}
	})
}
