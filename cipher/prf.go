package cipher

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha512"
)

// TLS 1.2 key derivation: the PRF (RFC 5246, Section 5), the master secret
// (Section 8.1), the extended master secret (RFC 7627, Section 4), the key
// block (Section 6.3) and Finished (Section 7.4.9).

// Lengths fixed by RFC 5246.
const (
	masterSecretLen = 48 // "master_secret[0..47]" (RFC 5246, Section 8.1)
	finishedLen     = 12 // "verify_data_length ... 12" (RFC 5246, Section 7.4.9)
)

// PRF12 is the TLS 1.2 PRF with h (SHA-256, or the suite's hash: "New cipher
// suites MUST explicitly specify a PRF", RFC 5246, Section 5):
//
//	PRF(secret, label, seed) = P_<hash>(secret, label + seed)
//	P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
//	                       HMAC_hash(secret, A(2) + seed) + ...
//	A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
func PRF12(h crypto.Hash, secret []byte, label string, seed []byte, length int) []byte {
	var buf [128]byte
	labelSeed := append(append(buf[:0], label...), seed...)
	out := make([]byte, 0, length+h.Size())
	// With SHA-256 and SHA-384 through hmacSum: no allocation but out.
	var aBuf [sha512.Size384]byte
	a, ok := hmacSum(h, aBuf[:0], secret, labelSeed, nil) // A(1)
	if !ok {
		return prf12(h, secret, append([]byte(nil), labelSeed...), out, length)
	}
	for len(out) < length {
		out, _ = hmacSum(h, out, secret, a, labelSeed)
		a, _ = hmacSum(h, aBuf[:0], secret, a, nil) // A(i+1); a is read before aBuf is written
	}
	return out[:length]
}

// prf12 is P_hash through crypto/hmac, for any hash.
func prf12(h crypto.Hash, secret, labelSeed, out []byte, length int) []byte {
	mac := hmac.New(h.New, secret)
	mac.Write(labelSeed)
	a := mac.Sum(nil) // A(1)
	for len(out) < length {
		mac.Reset()
		mac.Write(a)
		mac.Write(labelSeed)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0]) // A(i+1)
	}
	return out[:length]
}

// MasterSecret derives the TLS 1.2 master secret (RFC 5246, Section 8.1):
//
//	master_secret = PRF(pre_master_secret, "master secret",
//	                    ClientHello.random + ServerHello.random)[0..47];
func MasterSecret(h crypto.Hash, preMaster, clientRandom, serverRandom []byte) []byte {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	return PRF12(h, preMaster, "master secret", seed, masterSecretLen)
}

// ExtendedMasterSecret derives the master secret bound to the handshake
// (RFC 7627, Section 4):
//
//	master_secret = PRF(pre_master_secret, "extended master secret",
//	                    session_hash)[0..47];
//
// where session_hash is the hash of the handshake messages up to and
// including ClientKeyExchange.
func ExtendedMasterSecret(h crypto.Hash, preMaster, sessionHash []byte) []byte {
	return PRF12(h, preMaster, "extended master secret", sessionHash, masterSecretLen)
}

// KeyBlock splits the TLS 1.2 key block (RFC 5246, Section 6.3):
//
//	key_block = PRF(SecurityParameters.master_secret, "key expansion",
//	                SecurityParameters.server_random +
//	                SecurityParameters.client_random);
//
// into client_write_key, server_write_key, client_write_IV and
// server_write_IV. AEAD suites have no MAC keys (mac_key_length 0).
func (s *Suite) KeyBlock(master, clientRandom, serverRandom []byte) (clientKey, serverKey, clientIV, serverIV []byte) {
	seed := make([]byte, 0, len(serverRandom)+len(clientRandom))
	seed = append(seed, serverRandom...)
	seed = append(seed, clientRandom...)
	n, iv := s.KeyLen, s.IVLen()
	kb := PRF12(s.Hash, master, "key expansion", seed, 2*n+2*iv)
	// Full slice expressions: appending to one key never overwrites the next.
	clientKey, kb = kb[:n:n], kb[n:]
	serverKey, kb = kb[:n:n], kb[n:]
	clientIV, kb = kb[:iv:iv], kb[iv:]
	serverIV = kb[:iv:iv]
	return clientKey, serverKey, clientIV, serverIV
}

// FinishedTLS12 computes verify_data (RFC 5246, Section 7.4.9):
//
//	verify_data = PRF(master_secret, finished_label,
//	                  Hash(handshake_messages))[0..verify_data_length-1];
//
// label is "client finished" or "server finished"; handshakeHash is
// Hash(handshake_messages) with the PRF's hash.
func FinishedTLS12(h crypto.Hash, master []byte, label string, handshakeHash []byte) []byte {
	return PRF12(h, master, label, handshakeHash, finishedLen)
}
