package cipher_test

import (
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// protection is what both AEAD13 and AEAD12 offer.
type protection interface {
	record.Sealer
	record.Opener
	RekeyNeeded(seq uint64) bool
}

// construction is one of the six record protections under fixed test keys.
// raw seals an arbitrary plaintext (for TLS 1.3, a whole TLSInnerPlaintext)
// the way the RFCs describe, with the bare AEAD: an independent sealer for
// records our Seal refuses to make.
type construction struct {
	name  string
	suite *cipher.Suite
	new   func() protection
	raw   func(t *testing.T, typ record.ContentType, seq uint64, plaintext []byte) []byte
}

func constructions(t *testing.T) []construction {
	t.Helper()
	var cs []construction
	for _, c := range []struct {
		name string
		id   uint16
	}{
		{"tls13/aes128gcm", 0x1301},
		{"tls13/aes256gcm", 0x1302},
		{"tls13/chacha20poly1305", 0x1303},
		{"tls12/aes128gcm", 0xc02f},
		{"tls12/aes256gcm", 0xc030},
		{"tls12/chacha20poly1305", 0xcca8},
	} {
		s := cipher.SuiteByID(c.id)
		require.NotNil(t, s)
		if s.Version == record.VersionTLS13 {
			secret := bytes.Repeat([]byte{0x13}, s.Hash.Size())
			key, iv := s.TrafficKey(secret)
			cs = append(cs, construction{
				name: c.name, suite: s,
				new: func() protection { return cipher.NewTLS13(s, secret) },
				raw: func(t *testing.T, _ record.ContentType, seq uint64, inner []byte) []byte {
					header := record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: len(inner) + 16}.AppendTo(nil)
					return rawAEAD(t, s, key).Seal(header, xorSeq(iv, seq), inner, header)
				},
			})
			continue
		}
		key := bytes.Repeat([]byte{0x12}, s.KeyLen)
		iv := bytes.Repeat([]byte{0x21}, s.IVLen())
		cs = append(cs, construction{
			name: c.name, suite: s,
			new: func() protection { return cipher.NewTLS12(s, key, iv) },
			raw: func(t *testing.T, typ record.ContentType, seq uint64, plaintext []byte) []byte {
				aad := binary.BigEndian.AppendUint64(nil, seq)
				aad = record.Header{Type: typ, Version: record.VersionTLS12, Length: len(plaintext)}.AppendTo(aad)
				var nonce, explicit []byte
				if len(iv) == 4 { // AES-GCM: salt || explicit nonce (RFC 5288)
					explicit = binary.BigEndian.AppendUint64(nil, seq)
					nonce = append(clone(iv), explicit...)
				} else {
					nonce = xorSeq(iv, seq)
				}
				rec := record.Header{Type: typ, Version: record.VersionTLS12, Length: len(explicit) + len(plaintext) + 16}.AppendTo(nil)
				rec = append(rec, explicit...)
				return rawAEAD(t, s, key).Seal(rec, nonce, plaintext, aad)
			},
		})
	}
	return cs
}

func rawAEAD(t *testing.T, s *cipher.Suite, key []byte) stdcipher.AEAD {
	t.Helper()
	if bytes.Contains([]byte(s.Name), []byte("CHACHA20")) {
		a, err := chacha20poly1305.New(key)
		require.NoError(t, err)
		return a
	}
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	a, err := stdcipher.NewGCM(block)
	require.NoError(t, err)
	return a
}

// xorSeq is the RFC 8446, Section 5.3 nonce.
func xorSeq(iv []byte, seq uint64) []byte {
	n := clone(iv)
	var s [12]byte
	binary.BigEndian.PutUint64(s[4:], seq)
	for i := range n {
		n[i] ^= s[i]
	}
	return n
}
