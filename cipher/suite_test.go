package cipher_test

import (
	"crypto"
	"crypto/hkdf"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

func TestSuiteTable(t *testing.T) {
	t.Parallel()
	var ids []uint16
	for _, s := range cipher.Suites() {
		ids = append(ids, s.ID)
		require.Same(t, s, cipher.SuiteByID(s.ID))
		require.Equal(t, s.Name, s.String())
		// The IANA name says everything the fields say.
		require.Equal(t, strings.HasSuffix(s.Name, "_SHA384"), s.Hash == crypto.SHA384, s.Name)
		require.Equal(t, strings.Contains(s.Name, "_SHA256"), s.Hash == crypto.SHA256, s.Name)
		require.Equal(t, strings.Contains(s.Name, "AES_128"), s.KeyLen == 16, s.Name)
		require.Equal(t, strings.Contains(s.Name, "ECDHE_ECDSA"), s.ECDSA, s.Name)
		tls13 := s.ID>>8 == 0x13
		require.Equal(t, tls13, s.Version == record.VersionTLS13, s.Name)
		require.Equal(t, tls13, !strings.Contains(s.Name, "_WITH_"), s.Name)
		chacha := strings.Contains(s.Name, "CHACHA20_POLY1305")
		wantIV := 12
		if !tls13 && !chacha {
			wantIV = 4
		}
		require.Equal(t, wantIV, s.IVLen(), s.Name)
	}
	require.Equal(t, []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}, ids)
	for _, id := range []uint16{0x0000, 0x1304, 0x1305, 0x009c, 0xc013, 0xc009, 0xffff} {
		require.Nil(t, cipher.SuiteByID(id), "%#04x", id)
	}
	// Suites returns the caller's own slice.
	s := cipher.Suites()
	s[0] = nil
	require.NotNil(t, cipher.Suites()[0])
}

func TestRekeyNeeded(t *testing.T) {
	t.Parallel()
	// floor(2^24.5) AES-GCM records: sequence numbers 0..23726565, the last
	// kept for the KeyUpdate.
	require.Equal(t, 23726566.0, math.Floor(math.Pow(2, 24.5)))
	for _, c := range constructions(t) {
		a := c.new()
		require.False(t, a.RekeyNeeded(0), c.name)
		if strings.Contains(c.name, "chacha") {
			require.False(t, a.RekeyNeeded(math.MaxUint64-1), c.name)
			require.True(t, a.RekeyNeeded(math.MaxUint64), c.name)
			continue
		}
		require.False(t, a.RekeyNeeded(23726564), c.name)
		require.True(t, a.RekeyNeeded(23726565), c.name)
		require.True(t, a.RekeyNeeded(math.MaxUint64), c.name)
	}
}

// TestExpandLabelEncoding checks the HkdfLabel encoding against bytes written
// out by hand from RFC 8446, Section 7.1, for labels RFC 8448's Section 3
// does not exercise.
func TestExpandLabelEncoding(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name string
		got  []byte
		info string
		n    int
		h    crypto.Hash
	}{
		{
			name: "traffic upd SHA-256", h: crypto.SHA256, n: 32,
			got:  cipher.SuiteByID(0x1303).NextTrafficSecret(secret),
			info: "\x00\x20" + "\x11tls13 traffic upd" + "\x00",
		},
		{
			name: "traffic upd SHA-384", h: crypto.SHA384, n: 48,
			got:  cipher.SuiteByID(0x1302).NextTrafficSecret(secret),
			info: "\x00\x30" + "\x11tls13 traffic upd" + "\x00",
		},
		{
			name: "context", h: crypto.SHA256, n: 7,
			got:  cipher.ExpandLabel(crypto.SHA256, secret, "x", []byte{1, 2, 3}, 7),
			info: "\x00\x07" + "\x07tls13 x" + "\x03\x01\x02\x03",
		},
	} {
		want, err := hkdf.Expand(tc.h.New, secret, tc.info, tc.n)
		require.NoError(t, err)
		require.Equal(t, want, tc.got, tc.name)
	}
	key, iv := cipher.SuiteByID(0x1302).TrafficKey(secret)
	require.Len(t, key, 32)
	require.Len(t, iv, 12)
}
