package cipher_test

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// TestPRF12Vectors checks the TLS 1.2 PRF against the P_SHA256 and P_SHA384
// test vectors posted to the IETF TLS WG list
// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), the
// ones BearSSL's test_crypto.c and many other stacks carry.
func TestPRF12Vectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		h                  crypto.Hash
		secret, seed, want string
	}{
		{
			name: "P_SHA256", h: crypto.SHA256,
			secret: "9bbe436ba940f017b17652849a71db35",
			seed:   "a0ba9f936cda311827a6f796ffd5198c",
			want: "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a" +
				"6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab" +
				"4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701" +
				"87347b66",
		},
		{
			name: "P_SHA384", h: crypto.SHA384,
			secret: "b80b733d6ceefcdc71566ea48e5567df",
			seed:   "cd665cf6a8447dd6ff8b27555edb7465",
			want: "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd" +
				"e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd" +
				"8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425" +
				"9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6" +
				"91c8f3a26854308d5eaa3be85e0990703d73e56f",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := unhex(t, tc.want)
			got := cipher.PRF12(tc.h, unhex(t, tc.secret), "test label", unhex(t, tc.seed), len(want))
			require.Equal(t, want, got)
			// Every shorter output is a prefix: the PRF is a stream.
			for _, n := range []int{0, 1, tc.h.Size() - 1, tc.h.Size(), tc.h.Size() + 1} {
				require.Equal(t, want[:n], cipher.PRF12(tc.h, unhex(t, tc.secret), "test label", unhex(t, tc.seed), n))
			}
		})
	}
}

// TestKeyBlockLayout checks that KeyBlock cuts the PRF output in the order
// of RFC 5246, Section 6.3 (client key, server key, client IV, server IV;
// no MAC keys for AEAD suites).
func TestKeyBlockLayout(t *testing.T) {
	t.Parallel()
	master := bytes.Repeat([]byte{0x4d}, 48)
	cr, sr := bytes.Repeat([]byte{0xc1}, 32), bytes.Repeat([]byte{0x5e}, 32)
	for _, s := range cipher.Suites() {
		if s.Version != record.VersionTLS12 {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			ck, sk, civ, siv := s.KeyBlock(master, cr, sr)
			n, iv := s.KeyLen, s.IVLen()
			kb := cipher.PRF12(s.Hash, master, "key expansion", append(clone(sr), cr...), 2*n+2*iv)
			require.Equal(t, kb[:n], ck)
			require.Equal(t, kb[n:2*n], sk)
			require.Equal(t, kb[2*n:2*n+iv], civ)
			require.Equal(t, kb[2*n+iv:], siv)
			// Appending to one part never overwrites the next.
			_ = append(ck, 0xff)
			require.Equal(t, kb[n:2*n], sk)
		})
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
