package handshake

import (
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// NewSessionTicket is the TLS 1.3 NewSessionTicket message (RFC 8446,
// Section 4.6.1).
type NewSessionTicket struct {
	Lifetime     uint32 // ticket_lifetime, seconds
	AgeAdd       uint32 // ticket_age_add
	Nonce        []byte // ticket_nonce
	Ticket       []byte // never empty
	MaxEarlyData uint32 // early_data's max_early_data_size, 0 when absent

	// Extensions lists the extension types Unmarshal saw, in wire order,
	// ignored ones included. Marshal ignores it.
	Extensions []uint16
}

// Marshal returns the whole NewSessionTicket message.
func (m *NewSessionTicket) Marshal() ([]byte, error) {
	if len(m.Ticket) == 0 {
		return nil, invalidField(TypeNewSessionTicket, "empty ticket")
	}
	return marshalMessage(TypeNewSessionTicket, func(b *cryptobyte.Builder) {
		b.AddUint32(m.Lifetime)
		b.AddUint32(m.AgeAdd)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Nonce) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.Ticket) })
		addExtensionBlock(b, false, func(b *cryptobyte.Builder) {
			if m.MaxEarlyData != 0 {
				addExtension(b, ExtEarlyData, func(b *cryptobyte.Builder) { b.AddUint32(m.MaxEarlyData) })
			}
		})
	})
}

// Unmarshal parses a whole NewSessionTicket message: "uint32
// ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>;
// opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>;". "Clients
// MUST ignore unrecognized extensions" (RFC 8446, Section 4.6.1).
func (m *NewSessionTicket) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeNewSessionTicket)
	if err != nil {
		return err
	}
	var out NewSessionTicket
	var nonce, ticket cryptobyte.String
	if !body.ReadUint32(&out.Lifetime) || !body.ReadUint32(&out.AgeAdd) ||
		!body.ReadUint8LengthPrefixed(&nonce) || !body.ReadUint16LengthPrefixed(&ticket) || ticket.Empty() {
		return malformed(TypeNewSessionTicket)
	}
	out.Nonce, out.Ticket = ownBytes(nonce), ownBytes(ticket)
	exts, types, err := readExtensions(&body, TypeNewSessionTicket)
	if err != nil {
		return err
	}
	if !body.Empty() {
		return malformed(TypeNewSessionTicket)
	}
	out.Extensions = types
	err = parseExtensions(exts, TypeNewSessionTicket, func(typ uint16, d *cryptobyte.String) error {
		if typ == ExtEarlyData {
			// "uint32 max_early_data_size" (RFC 8446, Section 4.2.10).
			return wellFormed(d.ReadUint32(&out.MaxEarlyData))
		}
		return ignoreExtension(inNST, typ, d)
	})
	if err != nil {
		return err
	}
	*m = out
	return nil
}

// KeyUpdateRequest values (RFC 8446, Section 4.6.3).
const (
	UpdateNotRequested uint8 = 0
	UpdateRequested    uint8 = 1
)

// KeyUpdate is the KeyUpdate message (RFC 8446, Section 4.6.3).
type KeyUpdate struct {
	RequestUpdate uint8 // UpdateNotRequested or UpdateRequested
}

// Marshal returns the whole KeyUpdate message.
func (m *KeyUpdate) Marshal() ([]byte, error) {
	if m.RequestUpdate > UpdateRequested {
		return nil, invalidField(TypeKeyUpdate, "request_update %d", m.RequestUpdate)
	}
	return marshalMessage(TypeKeyUpdate, func(b *cryptobyte.Builder) { b.AddUint8(m.RequestUpdate) })
}

// Unmarshal parses a whole KeyUpdate message.
func (m *KeyUpdate) Unmarshal(msg []byte) error {
	body, err := readMessage(msg, TypeKeyUpdate)
	if err != nil {
		return err
	}
	var req uint8
	if !body.ReadUint8(&req) || !body.Empty() {
		return malformed(TypeKeyUpdate)
	}
	// "If an implementation receives any other value, it MUST terminate
	// the connection with an "illegal_parameter" alert" (RFC 8446,
	// Section 4.6.3).
	if req > UpdateRequested {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: key_update with request_update %d", req))
	}
	*m = KeyUpdate{RequestUpdate: req}
	return nil
}

// HelloRequest is the TLS 1.2 HelloRequest message, whose body is empty
// (RFC 5246, Section 7.4.1.1).
type HelloRequest struct{}

// Marshal returns the whole HelloRequest message.
func (m *HelloRequest) Marshal() ([]byte, error) { return marshalMessage(TypeHelloRequest, noData) }

// Unmarshal parses a whole HelloRequest message.
func (m *HelloRequest) Unmarshal(msg []byte) error { return readEmpty(msg, TypeHelloRequest) }

// ServerHelloDone is the TLS 1.2 ServerHelloDone message, whose body is
// empty (RFC 5246, Section 7.4.5).
type ServerHelloDone struct{}

// Marshal returns the whole ServerHelloDone message.
func (m *ServerHelloDone) Marshal() ([]byte, error) {
	return marshalMessage(TypeServerHelloDone, noData)
}

// Unmarshal parses a whole ServerHelloDone message.
func (m *ServerHelloDone) Unmarshal(msg []byte) error { return readEmpty(msg, TypeServerHelloDone) }

// readEmpty checks that msg is a message of type t with an empty body.
func readEmpty(msg []byte, t MsgType) error {
	body, err := readMessage(msg, t)
	if err != nil {
		return err
	}
	if !body.Empty() {
		return malformed(t)
	}
	return nil
}

// MessageHash returns the synthetic message_hash message that replaces
// ClientHello1 in the transcript after a HelloRetryRequest: "handshake
// type "message_hash" containing Hash(ClientHello1)", that is
// "message_hash || 00 00 Hash.length || Hash(ClientHello1)" (RFC 8446,
// Section 4.4.1). digest is Hash(ClientHello1).
func MessageHash(digest []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(uint8(TypeMessageHash))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(digest) })
	return b.BytesOrPanic() // a local hash, never peer data; fails only beyond 2^24 bytes
}
