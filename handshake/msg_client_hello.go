package handshake

import (
	"fmt"
	"slices"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// KeyShare is a KeyShareEntry: a group and its key_exchange value
// (RFC 8446, Section 4.2.8). In a HelloRetryRequest only Group is used:
// the selected_group.
type KeyShare struct {
	Group CurveID
	Data  []byte
}

// ClientHello is the ClientHello message (RFC 8446, Section 4.1.2), with
// the TLS 1.2 extensions a client offering both versions sends. An
// optional extension is written when its field is set (non-empty or true)
// and omitted otherwise.
type ClientHello struct {
	Vers               uint16 // legacy_version, 0x0303
	Random             []byte // 32 bytes
	SessionID          []byte // legacy_session_id, at most 32 bytes
	CipherSuites       []uint16
	CompressionMethods []uint8 // [0]; Marshal writes [0] when nil

	// ServerName is sent as server_name's host_name without a trailing
	// dot, and not at all when it is an IP address (RFC 6066, Section 3).
	ServerName              string
	SupportedVersions       []uint16
	SupportedGroups         []CurveID
	KeyShares               []KeyShare
	SignatureAlgorithms     []SignatureScheme
	SignatureAlgorithmsCert []SignatureScheme
	ALPNProtocols           []string
	PSKModes                []uint8 // psk_key_exchange_modes
	Cookie                  []byte  // echoed from a HelloRetryRequest
	ExtendedMasterSecret    bool    // empty extended_master_secret (RFC 7627)
	SecureRenegotiation     bool    // empty renegotiation_info (RFC 5746)
	ECPointFormats          []uint8
	TicketSupported         bool   // empty session_ticket (RFC 5077)
	RequestOCSP             bool   // status_request for OCSP (RFC 6066, Section 8)
	RequestSCTs             bool   // empty signed_certificate_timestamp (RFC 6962)
	RecordSizeLimit         uint16 // record_size_limit (RFC 8449), 0 for none

	// PSKIdentities and PSKBinders are pre_shared_key's OfferedPsks
	// (RFC 8446, Section 4.2.11), written as the last extension when
	// PSKIdentities is not empty; PSKBinders holds one binder per identity.
	PSKIdentities []PSKIdentity
	PSKBinders    [][]byte

	// Extensions lists the extension types Unmarshal saw, in wire order,
	// unrecognized ones included. Marshal ignores it.
	Extensions []uint16
}

// Marshal returns the whole ClientHello message.
func (m *ClientHello) Marshal() ([]byte, error) {
	if len(m.Random) != randomLen {
		return nil, invalidField(TypeClientHello, "random is %d bytes, want %d", len(m.Random), randomLen)
	}
	if len(m.SessionID) > maxSessionIDLen {
		return nil, invalidField(TypeClientHello, "session id is %d bytes", len(m.SessionID))
	}
	comp := m.CompressionMethods
	if comp == nil {
		comp = []uint8{0}
	}
	size := 512 // the fixed fields and the usual extensions
	for _, ks := range m.KeyShares {
		size += 4 + len(ks.Data)
	}
	for _, id := range m.PSKIdentities {
		size += 6 + len(id.Identity)
	}
	for _, bd := range m.PSKBinders {
		size += 1 + len(bd)
	}
	return marshalMessageSized(TypeClientHello, size, func(b *cryptobyte.Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.SessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { addU16s(b, m.CipherSuites) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
		addExtensionBlock(b, true, m.addExtensions)
	})
}

// addExtensions writes the extensions in a fixed order close to
// crypto/tls's: the TLS 1.2 ones first, key_share late.
func (m *ClientHello) addExtensions(b *cryptobyte.Builder) {
	if host := sniHostName(m.ServerName); host != "" {
		addExtension(b, ExtServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(nameTypeHostName)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(host)) })
			})
		})
	}
	if len(m.ECPointFormats) > 0 {
		addExtension(b, ExtECPointFormats, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.ECPointFormats) })
		})
	}
	if m.TicketSupported {
		addExtension(b, ExtSessionTicket, noData)
	}
	if m.SecureRenegotiation {
		// An initial handshake's renegotiated_connection is empty
		// (RFC 5746, Section 3.4).
		addExtension(b, ExtRenegotiationInfo, func(b *cryptobyte.Builder) { b.AddUint8(0) })
	}
	if m.ExtendedMasterSecret {
		addExtension(b, ExtExtendedMasterSecret, noData)
	}
	if m.RequestSCTs {
		addExtension(b, ExtSCT, noData)
	}
	if m.RequestOCSP {
		addExtension(b, ExtStatusRequest, func(b *cryptobyte.Builder) {
			b.AddUint8(statusTypeOCSP)
			b.AddUint16(0) // empty responder_id_list
			b.AddUint16(0) // empty request_extensions
		})
	}
	addU16ListExtension(b, ExtSupportedGroups, m.SupportedGroups)
	addU16ListExtension(b, ExtSignatureAlgorithms, m.SignatureAlgorithms)
	addU16ListExtension(b, ExtSignatureAlgorithmsCert, m.SignatureAlgorithmsCert)
	addALPN(b, m.ALPNProtocols)
	m.addTLS13Extensions(b)
}

// addTLS13Extensions writes the extensions only TLS 1.3 servers read.
func (m *ClientHello) addTLS13Extensions(b *cryptobyte.Builder) {
	if len(m.SupportedVersions) > 0 {
		addExtension(b, ExtSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { addU16s(b, m.SupportedVersions) })
		})
	}
	if len(m.Cookie) > 0 {
		addExtension(b, ExtCookie, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Cookie) })
		})
	}
	if len(m.KeyShares) > 0 {
		addExtension(b, ExtKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, ks := range m.KeyShares {
					addKeyShareEntry(b, ks)
				}
			})
		})
	}
	if len(m.PSKModes) > 0 {
		addExtension(b, ExtPSKKeyExchangeModes, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.PSKModes) })
		})
	}
	if m.RecordSizeLimit != 0 {
		addExtension(b, ExtRecordSizeLimit, func(b *cryptobyte.Builder) { b.AddUint16(m.RecordSizeLimit) })
	}
	// "The "pre_shared_key" extension MUST be the last extension in the
	// ClientHello" (RFC 8446, Section 4.2.11).
	if len(m.PSKIdentities) > 0 {
		addExtension(b, ExtPreSharedKey, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, id := range m.PSKIdentities {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.Identity) })
					b.AddUint32(id.ObfuscatedTicketAge)
				}
			})
			addBinders(b, m.PSKBinders)
		})
	}
}

// PSKIdentity is one PskIdentity of pre_shared_key (RFC 8446, Section
// 4.2.11): a ticket and its obfuscated age.
type PSKIdentity struct {
	Identity            []byte
	ObfuscatedTicketAge uint32
}

// addBinders writes "PskBinderEntry binders<33..2^16-1>".
func addBinders(b *cryptobyte.Builder, binders [][]byte) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, bd := range binders {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(bd) })
		}
	})
}

// BindersLen returns how many bytes the binders list of m takes at the end
// of the marshaled message: the part that "Truncate(ClientHello1)" removes
// (RFC 8446, Section 4.2.11.2).
func (m *ClientHello) BindersLen() int {
	var b cryptobyte.Builder
	addBinders(&b, m.PSKBinders)
	return len(b.BytesOrPanic()) // local binders, never peer data
}

// addKeyShareEntry writes "NamedGroup group; opaque
// key_exchange<1..2^16-1>;".
func addKeyShareEntry(b *cryptobyte.Builder, ks KeyShare) {
	b.AddUint16(uint16(ks.Group))
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ks.Data) })
}

// readKeyShareEntry reads a KeyShareEntry and copies its key_exchange.
func readKeyShareEntry(s *cryptobyte.String, ks *KeyShare) bool {
	var group uint16
	var data cryptobyte.String
	if !s.ReadUint16(&group) || !s.ReadUint16LengthPrefixed(&data) || data.Empty() {
		return false
	}
	*ks = KeyShare{Group: CurveID(group), Data: ownBytes(data)}
	return true
}

// Unmarshal parses a whole ClientHello message. Unrecognized extensions
// are recorded in Extensions and otherwise ignored, as a server does.
func (m *ClientHello) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeClientHello)
	if err != nil {
		return err
	}
	var out ClientHello
	var random []byte
	var sessionID, suites, comp cryptobyte.String
	if !body.ReadUint16(&out.Vers) || !body.ReadBytes(&random, randomLen) ||
		!body.ReadUint8LengthPrefixed(&sessionID) || len(sessionID) > maxSessionIDLen ||
		!body.ReadUint16LengthPrefixed(&suites) || !readU16Vector(suites, &out.CipherSuites) ||
		!body.ReadUint8LengthPrefixed(&comp) || comp.Empty() {
		return malformed(TypeClientHello)
	}
	out.Random, out.SessionID, out.CompressionMethods = ownBytes(random), ownBytes(sessionID), ownBytes(comp)
	exts, types, err := readOptionalExtensions(&body, TypeClientHello)
	if err != nil {
		return err
	}
	out.Extensions = types
	// "Servers MUST check that it is the last extension and otherwise fail
	// the handshake with an "illegal_parameter" alert" (RFC 8446, Section
	// 4.2.11).
	if i := slices.Index(types, ExtPreSharedKey); i >= 0 && i != len(types)-1 {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: pre_shared_key is not the last extension in %v", TypeClientHello))
	}
	if err := parseExtensions(exts, TypeClientHello, out.parseExtension); err != nil {
		return err
	}
	*m = out
	return nil
}

// parseExtension parses one ClientHello extension into m.
func (m *ClientHello) parseExtension(typ uint16, d *cryptobyte.String) error {
	switch typ {
	case ExtServerName:
		return readServerName(d, &m.ServerName)
	case ExtStatusRequest:
		return m.readStatusRequest(d)
	case ExtSupportedGroups:
		return wellFormed(readU16List(d, &m.SupportedGroups))
	case ExtECPointFormats:
		return wellFormed(readU8List(d, &m.ECPointFormats))
	case ExtSignatureAlgorithms:
		return wellFormed(readU16List(d, &m.SignatureAlgorithms))
	case ExtSignatureAlgorithmsCert:
		return wellFormed(readU16List(d, &m.SignatureAlgorithmsCert))
	case ExtALPN:
		return wellFormed(readALPN(d, &m.ALPNProtocols))
	case ExtSCT:
		m.RequestSCTs = true // its extension_data is empty
	case ExtExtendedMasterSecret:
		m.ExtendedMasterSecret = true // its extension_data is empty
	case ExtSessionTicket:
		// A ticket offered for resumption is not kept: this package
		// resumes no sessions.
		m.TicketSupported = true
		*d = nil
	case ExtRenegotiationInfo:
		return m.readRenegotiationInfo(d)
	case ExtRecordSizeLimit:
		return readRecordSizeLimit(d, &m.RecordSizeLimit)
	case ExtSupportedVersions:
		var v cryptobyte.String
		return wellFormed(d.ReadUint8LengthPrefixed(&v) && readU16Vector(v, &m.SupportedVersions))
	case ExtCookie:
		return wellFormed(readCookie(d, &m.Cookie))
	case ExtKeyShare:
		return m.readKeyShares(d)
	case ExtPSKKeyExchangeModes:
		return wellFormed(readU8List(d, &m.PSKModes))
	case ExtPreSharedKey:
		return m.readPreSharedKey(d)
	default:
		return ignoreExtension(inCH, typ, d)
	}
	return nil
}

// readServerName reads a ServerNameList and keeps its host_name. "The
// ServerNameList MUST NOT contain more than one name of the same
// name_type", and "all future data structures associated with new
// NameTypes MUST begin with a 16-bit length field" (RFC 6066, Section 3),
// so other name types are skipped.
func readServerName(d *cryptobyte.String, out *string) error {
	var list cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return alert.DecodeError
	}
	for !list.Empty() {
		var nameType uint8
		var name cryptobyte.String
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&name) || name.Empty() {
			return alert.DecodeError
		}
		if nameType != nameTypeHostName {
			continue
		}
		if *out != "" {
			return alert.DecodeError
		}
		// The HostName is sent "without a trailing dot", and "Literal
		// IPv4 and IPv6 addresses are not permitted in "HostName""
		// (RFC 6066, Section 3).
		if host := string(name); sniHostName(host) != host {
			return alert.Wrap(alert.DecodeError, fmt.Errorf("tls: invalid server_name host_name %q", host))
		}
		*out = string(name)
	}
	return nil
}

// readStatusRequest reads a CertificateStatusRequest; only the ocsp type
// is understood, and its responder ids and extensions are not kept.
func (m *ClientHello) readStatusRequest(d *cryptobyte.String) error {
	var statusType uint8
	if !d.ReadUint8(&statusType) {
		return alert.DecodeError
	}
	if statusType != statusTypeOCSP {
		*d = nil
		return nil
	}
	var responders, exts cryptobyte.String
	m.RequestOCSP = true
	return wellFormed(d.ReadUint16LengthPrefixed(&responders) && d.ReadUint16LengthPrefixed(&exts))
}

// readRenegotiationInfo reads the client's renegotiation_info: a server
// "MUST then verify that the length of the "renegotiated_connection" field
// is zero, and if it is not, MUST abort the handshake" with
// handshake_failure (RFC 5746, Section 3.6).
func (m *ClientHello) readRenegotiationInfo(d *cryptobyte.String) error {
	var conn cryptobyte.String
	if !d.ReadUint8LengthPrefixed(&conn) {
		return alert.DecodeError
	}
	if !conn.Empty() {
		return alert.Wrap(alert.HandshakeFailure, fmt.Errorf("tls: initial client_hello has a non-empty renegotiated_connection"))
	}
	m.SecureRenegotiation = true
	return nil
}

// readKeyShares reads "KeyShareEntry client_shares<0..2^16-1>". "Clients
// MUST NOT offer multiple KeyShareEntry values for the same group ...
// Servers MAY check for violations of these rules and abort the handshake
// with an "illegal_parameter" alert" (RFC 8446, Section 4.2.8).
func (m *ClientHello) readKeyShares(d *cryptobyte.String) error {
	var list cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&list) {
		return alert.DecodeError
	}
	seen := make(map[CurveID]bool)
	for !list.Empty() {
		var ks KeyShare
		if !readKeyShareEntry(&list, &ks) {
			return alert.DecodeError
		}
		if seen[ks.Group] {
			return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: two key shares for group %#04x", uint16(ks.Group)))
		}
		seen[ks.Group] = true
		m.KeyShares = append(m.KeyShares, ks)
	}
	return nil
}

// readPreSharedKey reads OfferedPsks: "PskIdentity identities<7..2^16-1>;
// PskBinderEntry binders<33..2^16-1>;" (RFC 8446, Section 4.2.11), one
// binder per identity.
func (m *ClientHello) readPreSharedKey(d *cryptobyte.String) error {
	var ids, binders cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&ids) || ids.Empty() || !d.ReadUint16LengthPrefixed(&binders) || binders.Empty() {
		return alert.DecodeError
	}
	for !ids.Empty() {
		var id cryptobyte.String
		var age uint32
		if !ids.ReadUint16LengthPrefixed(&id) || id.Empty() || !ids.ReadUint32(&age) {
			return alert.DecodeError
		}
		m.PSKIdentities = append(m.PSKIdentities, PSKIdentity{Identity: ownBytes(id), ObfuscatedTicketAge: age})
	}
	for !binders.Empty() {
		var bd cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&bd) || len(bd) < 32 {
			return alert.DecodeError
		}
		m.PSKBinders = append(m.PSKBinders, ownBytes(bd))
	}
	if len(m.PSKBinders) != len(m.PSKIdentities) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: %d PSK binders for %d identities", len(m.PSKBinders), len(m.PSKIdentities)))
	}
	return nil
}

// readCookie reads "opaque cookie<1..2^16-1>" (RFC 8446, Section 4.2.2).
func readCookie(d *cryptobyte.String, out *[]byte) bool {
	var c cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&c) || c.Empty() {
		return false
	}
	*out = ownBytes(c)
	return true
}
