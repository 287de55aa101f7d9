// Package alert is the leaf layer of tlsrecord: the TLS alert protocol's
// values (RFC 8446, Section 6; RFC 5246, Section 7.2) as typed Go values.
//
// A Description is also an error, so a lower layer can return
// alert.DecodeError and conn can send exactly that alert; an *Error wraps a
// cause with the alert it earns and says which side sent it. Both match
// with errors.Is against a Description:
//
//	if errors.Is(err, alert.HandshakeFailure) { ... }
//
// The package imports nothing from tlsrecord and nothing outside the
// standard library.
package alert
