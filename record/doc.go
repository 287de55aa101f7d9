// Package record is the TLS record layer's framing: content types, the
// 5-byte header and its limits, a Reader that deframes records from any
// chunking of a byte stream, a Writer that fragments payloads and hands the
// transport several sealed records per write, and per-direction sequence
// numbers.
//
// Protection is behind the Sealer and Opener interfaces, which the cipher
// package implements; Plaintext is the null protection used before keys
// exist. Errors carry the alert conn must send (an alert.Description or an
// *alert.Error); this package never writes an alert itself.
//
// record imports only alert from tlsrecord, and no crypto packages.
package record
