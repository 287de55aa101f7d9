// Package cipher protects TLS records and derives the keys that do it.
//
// It sits between record and handshake in tlsrecord's layers. AEAD13 and
// AEAD12 implement record.Sealer and record.Opener for TLS 1.3 (per-record
// XOR nonce, TLSInnerPlaintext with the real content type and optional zero
// padding, the 5-byte header as AAD; RFC 8446, Sections 5.2-5.4) and TLS 1.2
// (RFC 5288 AES-GCM with an 8-byte explicit nonce, RFC 7905
// ChaCha20-Poly1305 with the XOR nonce, the 13-byte AAD of RFC 5246, Section
// 6.2.3.3). Every deprotection failure is the same alert.BadRecordMAC. Seal
// and Open allocate nothing in steady state.
//
// Suite is the table of the nine AEAD cipher suites tlsrecord offers (no CBC,
// no RSA key exchange). The key derivation lives here too: HKDF-Extract,
// HKDF-Expand-Label, Derive-Secret and the traffic key and KeyUpdate
// derivations of RFC 8446, Section 7; the TLS 1.2 PRF, master secret,
// extended master secret (RFC 7627), key block and Finished of RFC 5246. The
// typed key schedule that strings these together belongs to handshake.
//
// cipher imports alert and record only from tlsrecord. The standard library's
// crypto/cipher is imported as stdcipher.
package cipher
