package cipher

import (
	"crypto"
	"crypto/aes"
	stdcipher "crypto/cipher"
	_ "crypto/sha256" // crypto.SHA256 for the suites' hash
	_ "crypto/sha512" // crypto.SHA384
	"math"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlsrecord/tlsrecord/record"
)

// Suite is a cipher suite: its code point, its record protection and the
// hash of its key schedule (TLS 1.3) or PRF (TLS 1.2). Suites are shared
// values; never modify one.
type Suite struct {
	ID      uint16      // IANA code point, 0x1301 ...
	Name    string      // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
	Version uint16      // record.VersionTLS12 or record.VersionTLS13
	Hash    crypto.Hash // crypto.SHA256 or crypto.SHA384
	KeyLen  int         // AEAD key length in bytes
	ECDSA   bool        // TLS 1.2 only: ECDHE_ECDSA (true) or ECDHE_RSA (false)

	// chacha selects ChaCha20-Poly1305 (RFC 8439) over AES-GCM: it decides
	// the AEAD, the TLS 1.2 nonce construction and the usage limit.
	chacha bool
}

// The suites in default preference order. AEAD only: no CBC, no static RSA
// key exchange.
var suites = []*Suite{
	{ID: 0x1301, Name: "TLS_AES_128_GCM_SHA256", Version: record.VersionTLS13, Hash: crypto.SHA256, KeyLen: 16},
	{ID: 0x1302, Name: "TLS_AES_256_GCM_SHA384", Version: record.VersionTLS13, Hash: crypto.SHA384, KeyLen: 32},
	{ID: 0x1303, Name: "TLS_CHACHA20_POLY1305_SHA256", Version: record.VersionTLS13, Hash: crypto.SHA256, KeyLen: 32, chacha: true},
	{ID: 0xc02b, Name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Version: record.VersionTLS12, Hash: crypto.SHA256, KeyLen: 16, ECDSA: true},
	{ID: 0xc02f, Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Version: record.VersionTLS12, Hash: crypto.SHA256, KeyLen: 16},
	{ID: 0xc02c, Name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Version: record.VersionTLS12, Hash: crypto.SHA384, KeyLen: 32, ECDSA: true},
	{ID: 0xc030, Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Version: record.VersionTLS12, Hash: crypto.SHA384, KeyLen: 32},
	{ID: 0xcca9, Name: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", Version: record.VersionTLS12, Hash: crypto.SHA256, KeyLen: 32, ECDSA: true, chacha: true},
	{ID: 0xcca8, Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Version: record.VersionTLS12, Hash: crypto.SHA256, KeyLen: 32, chacha: true},
}

// Suites returns all supported suites in default preference order: the
// three TLS 1.3 suites, then the six TLS 1.2 ECDHE suites. The slice is the
// caller's; the Suites are shared.
func Suites() []*Suite {
	return append([]*Suite(nil), suites...)
}

// SuiteByID returns the suite with code point id, or nil when it is not
// supported.
func SuiteByID(id uint16) *Suite {
	for _, s := range suites {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// String returns the suite's IANA name.
func (s *Suite) String() string { return s.Name }

// nonceLen is the AEAD nonce length of every supported suite. TLS 1.3's
// iv_length is "the larger of 8 bytes and N_MIN" (RFC 8446, Section 5.3),
// 12 for both AEADs.
const nonceLen = 12

// tagLen is the authentication tag length of both AEADs.
const tagLen = 16

// IVLen is the length of the IV taken from the key block or the traffic
// secret: 12 for TLS 1.3 and for TLS 1.2 ChaCha20-Poly1305 ("fixed_iv_length
// = 12", RFC 7905, Section 2), and 4 for the TLS 1.2 AES-GCM salt (RFC 5288,
// Section 3).
func (s *Suite) IVLen() int {
	if s.Version == record.VersionTLS12 && !s.chacha {
		return 4
	}
	return nonceLen
}

// newAEAD returns the suite's AEAD keyed with key. It panics when key has
// the wrong length: keys come from our own derivations, never from the peer.
func (s *Suite) newAEAD(key []byte) stdcipher.AEAD {
	if len(key) != s.KeyLen {
		panic("cipher: " + s.Name + " key has the wrong length")
	}
	if s.chacha {
		a, err := chacha20poly1305.New(key)
		if err != nil {
			panic("cipher: " + err.Error())
		}
		return a
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	a, err := stdcipher.NewGCM(block)
	if err != nil {
		panic("cipher: " + err.Error())
	}
	return a
}

// Usage limits (RFC 8446, Section 5.5) as the sequence number at which
// RekeyNeeded turns true: the last one a key may use, kept for the KeyUpdate
// that retires it, so the key never protects more records than the limit.
// Every record counts as full-size: the bound is applied per record.
const (
	// "For AES-GCM, up to 2^24.5 full-size records (about 24 million) may
	// be encrypted on a given connection while keeping a safety margin of
	// approximately 2^-57 for Authenticated Encryption (AE) security"
	// (RFC 8446, Section 5.5). floor(2^24.5) = 23726566 records are sequence
	// numbers 0..23726565.
	gcmRekeyAt = 23726566 - 1
	// "For ChaCha20/Poly1305, the record sequence number would wrap before
	// the safety limit is reached" (RFC 8446, Section 5.5): the limit is the
	// 2^64 sequence numbers themselves, 0..2^64-1.
	chachaRekeyAt = math.MaxUint64
)

// rekeyAt returns the suite's usage limit as a sequence number.
func (s *Suite) rekeyAt() uint64 {
	if s.chacha {
		return chachaRekeyAt
	}
	return gcmRekeyAt
}
