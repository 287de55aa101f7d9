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
//
// # Alert policy
//
// Every failure tlsrecord detects ends in exactly one alert from us (none
// after our close_notify or any fatal alert, sent or received). Where an
// RFC names the alert, the code quotes it at the line that enforces it.
// Where the RFCs leave the choice open, this table is the rule (it follows
// BoringSSL, as its BoGo test suite shows its choices); code comments that
// say "alert policy" point here, and tests assert each row.
//
//   - Record longer than the version's limit; a TLS 1.3 TLSInnerPlaintext
//     over 2^14+1 bytes (padding counts); a TLS 1.2 plaintext over 2^14:
//     record_overflow.
//   - Unknown content type; application data before keys; a
//     ChangeCipherSpec whose body is not 0x01, that is protected, or (TLS
//     1.3) after the handshake; a handshake message that straddles a key
//     change: unexpected_message.
//   - TLS 1.3 zero-length handshake or alert content, or an all-zero
//     TLSInnerPlaintext (RFC 8446, Section 5.4): unexpected_message.
//   - An alert record whose body is not exactly 2 bytes (fragmented or
//     coalesced): decode_error.
//   - An unknown alert level: illegal_parameter in TLS 1.2; TLS 1.3
//     ignores the level byte.
//   - An unknown alert description: in TLS 1.3 an error alert; a TLS 1.2
//     warning is reported and counted.
//   - legacy_record_version: never checked in TLS 1.3 ("MUST be ignored",
//     RFC 8446, Section 5.1; a protected record's header is additional
//     data, so tampering fails as bad_record_mac). In TLS 1.2, once the
//     ServerHello fixed the version, every record carries 0x0303, else
//     protocol_version.
//   - Any deprotection failure: bad_record_mac, on the same code path and
//     with the same timing whatever failed.
//   - A handshake message header announcing more than 64 KiB (Certificate:
//     256 KiB), refused before buffering: illegal_parameter.
//   - A duplicate extension in one block: decode_error; an unsolicited
//     extension: unsupported_extension; an extension not allowed in that
//     message (RFC 8446, Section 4.2): illegal_parameter.
//   - ServerHello legacy_compression_method not 0: decode_error. A TLS 1.3
//     ServerHello or HelloRetryRequest whose legacy_version is not 0x0303:
//     illegal_parameter.
//   - Handshake bytes after a HelloRetryRequest, before our second
//     ClientHello: unexpected_message.
//   - Floods: more than 32 empty records, more than 4 TLS 1.2 warning
//     alerts, or more than 32 KeyUpdates, each counted on its own and reset
//     only by application data (never by the other kinds' records):
//     unexpected_message.
//   - A TLS 1.2 HelloRequest after the handshake: a warning
//     no_renegotiation (RFC 5246, Section 7.2.2: "always a warning"), then
//     the connection ends with an error naming the request, as crypto/tls
//     does; one that arrives while the handshake runs is ignored (Section
//     7.4.1.1).
//   - A ServerHello with a suite, group or version we did not offer; a TLS
//     1.2 ServerKeyExchange curve or signature scheme we did not offer, or
//     an ECDSA leaf on a curve we did not offer: illegal_parameter.
//   - A ServerHello version below MinVersion: protocol_version.
//   - A downgrade sentinel when our ClientHello offered TLS 1.3:
//     illegal_parameter.
//   - A bad Finished, or a bad CertificateVerify or ServerKeyExchange
//     signature: decrypt_error.
//   - A disallowed signature scheme (TLS 1.3: RSA must be PSS, no SHA-1,
//     ECDSA bound to its curve): illegal_parameter.
//   - Certificates: unknown authority: unknown_ca; expired or not yet
//     valid: certificate_expired; anything else (hostname, key usage):
//     bad_certificate. A leaf whose keyUsage lacks digitalSignature is
//     refused even with InsecureSkipVerify. A Config.VerifyConnection error that wraps an
//     alert.Description sends that alert, otherwise bad_certificate.
//   - An empty server Certificate: decode_error.
//   - extended_master_secret missing while required, or a non-empty
//     renegotiated_connection: handshake_failure.
package alert
