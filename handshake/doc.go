// Package handshake is tlsrecord's handshake layer: the handshake messages
// (built and parsed with cryptobyte), their extensions, the transcript, the
// typed TLS 1.3 key schedule, certificate and signature verification, and
// the client flows, written as straight-line code in the order of the RFC's
// message flow.
//
// It talks to the connection only through the small Transport interface, so
// every flow is testable with a scripted Transport and no sockets. It never
// imports conn and never writes an alert: errors carry the alert conn sends
// (an alert.Description or an *alert.Error). It imports crypto/tls for the
// types shared with crypto/tls's API only (Certificate, CurveID,
// CertificateRequestInfo), never for its protocol code.
package handshake
