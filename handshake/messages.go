package handshake

import (
	"bytes"
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// Every message type T in this package has
//
//	func (m *T) Marshal() ([]byte, error)
//	func (m *T) Unmarshal(msg []byte) error
//
// working on the whole handshake message: "HandshakeType msg_type; uint24
// length;" then the body (RFC 8446, Section 4). Unmarshal checks the type
// byte, consumes every byte, copies what it keeps (msg may be reused), and
// fails with an error carrying the alert to send: decode_error for a
// malformed, short or overlong message or a duplicate extension,
// unsupported_extension or illegal_parameter for an extension
// the message may not carry, unexpected_message for a message of another
// type. On error the receiver is left unchanged. Marshal writes the
// optional extensions that are set, in a fixed order; its errors carry
// internal_error.

// randomLen is the size of ClientHello.random and ServerHello.random.
const randomLen = 32

// maxSessionIDLen bounds "opaque legacy_session_id<0..32>" (RFC 8446,
// Section 4.1.2).
const maxSessionIDLen = 32

// readMessage checks that msg is exactly one handshake message of type t
// and returns its body.
func readMessage(msg []byte, t MsgType) (cryptobyte.String, error) {
	s := cryptobyte.String(msg)
	var typ uint8
	if !s.ReadUint8(&typ) {
		return nil, malformed(t)
	}
	if MsgType(typ) != t {
		return nil, alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: got a %v message, want %v", MsgType(typ), t))
	}
	var body cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&body) || !s.Empty() {
		return nil, malformed(t)
	}
	return body, nil
}

// marshalMessage returns the handshake message of type t whose body f
// builds.
func marshalMessage(t MsgType, f cryptobyte.BuilderContinuation) ([]byte, error) {
	return marshalMessageSized(t, 0, f)
}

// marshalMessageSized is marshalMessage into a buffer of size bytes from
// the start, saving the copies of growing it.
func marshalMessageSized(t MsgType, size int, f cryptobyte.BuilderContinuation) ([]byte, error) {
	b := cryptobyte.NewBuilder(make([]byte, 0, size))
	b.AddUint8(uint8(t))
	b.AddUint24LengthPrefixed(f)
	msg, err := b.Bytes()
	if err != nil {
		if _, ok := alert.Of(err); ok {
			return nil, err
		}
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: marshaling %v: %w", t, err))
	}
	return msg, nil
}

// malformed is the decode_error for a message of type t that does not
// parse.
func malformed(t MsgType) error {
	return alert.Wrap(alert.DecodeError, fmt.Errorf("tls: malformed %v message", t))
}

// invalidField is the internal_error Marshal returns for a field it cannot
// encode.
func invalidField(t MsgType, format string, args ...any) error {
	return alert.Wrap(alert.InternalError, fmt.Errorf("tls: cannot marshal %v: "+format, append([]any{t}, args...)...))
}

// ownBytes returns a copy of b that does not alias the message, nil when b
// is empty.
func ownBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// addExtensionBlock writes "Extension extensions<0..2^16-1>" with the
// extensions f adds. When optional, an empty block is left out entirely,
// as TLS 1.2 hellos allow (RFC 5246, Section 7.4.1.2).
func addExtensionBlock(b *cryptobyte.Builder, optional bool, f cryptobyte.BuilderContinuation) {
	exts := cryptobyte.NewBuilder(make([]byte, 0, 512)) // a ClientHello's, without key shares
	f(exts)
	data, err := exts.Bytes()
	if err != nil {
		b.SetError(err)
		return
	}
	if optional && len(data) == 0 {
		return
	}
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(data) })
}

// readOptionalExtensions reads the extension block that may be absent from
// a TLS 1.2 hello, then checks that nothing follows it.
func readOptionalExtensions(s *cryptobyte.String, t MsgType) ([]rawExtension, []uint16, error) {
	if s.Empty() {
		return nil, nil, nil
	}
	exts, types, err := readExtensions(s, t)
	if err != nil {
		return nil, nil, err
	}
	if !s.Empty() {
		return nil, nil, malformed(t)
	}
	return exts, types, nil
}
