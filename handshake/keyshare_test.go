package handshake

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
)

// fixedRand returns a deterministic Rand: the same seed gives the same
// stream.
func fixedRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return mathrand.NewChaCha8(s)
}

var keyShareGroups = []struct {
	group     CurveID
	publicLen int
	secretLen int
}{
	{X25519, 32, 32},
	{CurveP256, 65, 32},
	{CurveP384, 97, 48},
	{CurveP521, 133, 66},
	{X25519MLKEM768, mlkem.EncapsulationKeySize768 + 32, 64},
}

func TestGenerateKeyShareReplays(t *testing.T) {
	t.Parallel()
	for _, tc := range keyShareGroups {
		t.Run(fmt.Sprintf("%#04x", uint16(tc.group)), func(t *testing.T) {
			t.Parallel()
			a, err := GenerateKeyShare(fixedRand(1), tc.group)
			require.NoError(t, err)
			b, err := GenerateKeyShare(fixedRand(1), tc.group)
			require.NoError(t, err)
			c, err := GenerateKeyShare(fixedRand(2), tc.group)
			require.NoError(t, err)
			require.Equal(t, tc.group, a.Group())
			require.Len(t, a.Public(), tc.publicLen)
			require.Equal(t, a.Public(), b.Public(), "same Rand, same share")
			require.NotEqual(t, a.Public(), c.Public(), "other Rand, other share")
		})
	}
}

// TestKeyShareRFC8448 replays the trace's client X25519 key from its
// private bytes as Rand.
func TestKeyShareRFC8448(t *testing.T) {
	t.Parallel()
	v := loadRFC8448(t)
	share, err := GenerateKeyShare(bytes.NewReader(v["clientPriv"]), X25519)
	require.NoError(t, err)
	require.Equal(t, v["clientPub"], share.Public())
	secret, err := share.SharedSecret(v["serverPub"])
	require.NoError(t, err)
	require.Equal(t, v["ECDHE shared secret (IKM)"], secret)
}

// serverSide computes what a server computes for the client's share with
// crypto/ecdh and crypto/mlkem: its own share and the shared secret.
func serverSide(t *testing.T, group CurveID, clientPublic []byte) (share, secret []byte) {
	t.Helper()
	curves := map[CurveID]ecdh.Curve{X25519: ecdh.X25519(), CurveP256: ecdh.P256(), CurveP384: ecdh.P384(), CurveP521: ecdh.P521()}
	if group == X25519MLKEM768 {
		ek, err := mlkem.NewEncapsulationKey768(clientPublic[:mlkem.EncapsulationKeySize768])
		require.NoError(t, err)
		kemSecret, ct := ek.Encapsulate()
		xShare, xSecret := serverSide(t, X25519, clientPublic[mlkem.EncapsulationKeySize768:])
		return append(ct, xShare...), append(kemSecret, xSecret...)
	}
	curve := curves[group]
	priv, err := curve.GenerateKey(rand.Reader)
	require.NoError(t, err)
	peer, err := curve.NewPublicKey(clientPublic)
	require.NoError(t, err)
	secret, err = priv.ECDH(peer)
	require.NoError(t, err)
	return priv.PublicKey().Bytes(), secret
}

func TestKeyShareInterop(t *testing.T) {
	t.Parallel()
	for _, tc := range keyShareGroups {
		t.Run(fmt.Sprintf("%#04x", uint16(tc.group)), func(t *testing.T) {
			t.Parallel()
			client, err := GenerateKeyShare(rand.Reader, tc.group)
			require.NoError(t, err)
			serverShare, want := serverSide(t, tc.group, client.Public())
			got, err := client.SharedSecret(serverShare)
			require.NoError(t, err)
			require.Len(t, got, tc.secretLen)
			require.Equal(t, want, got)
		})
	}
}

func TestSharedSecretRejects(t *testing.T) {
	t.Parallel()
	x25519Share, _ := serverSide(t, X25519, mustShare(t, X25519).Public())
	p256Share, _ := serverSide(t, CurveP256, mustShare(t, CurveP256).Public())
	hybridShare, _ := serverSide(t, X25519MLKEM768, mustShare(t, X25519MLKEM768).Public())
	ct := hybridShare[:mlkem.CiphertextSize768]
	// u = 1 is a low-order X25519 point: the shared secret is all zero.
	lowOrder := append([]byte{1}, make([]byte, 31)...)
	notOnCurve := append([]byte{4}, bytes.Repeat([]byte{1}, 64)...)
	tests := []struct {
		name      string
		group     CurveID
		share     []byte
		wantAlert alert.Description
	}{
		{"x25519 empty", X25519, nil, alert.IllegalParameter},
		{"x25519 short", X25519, x25519Share[:31], alert.IllegalParameter},
		{"x25519 long", X25519, append(bytes.Clone(x25519Share), 0), alert.IllegalParameter},
		{"x25519 zero point", X25519, make([]byte, 32), alert.IllegalParameter},
		{"x25519 low order point", X25519, lowOrder, alert.IllegalParameter},
		{"p256 empty", CurveP256, nil, alert.IllegalParameter},
		{"p256 identity", CurveP256, []byte{0}, alert.IllegalParameter},
		{"p256 compressed", CurveP256, append([]byte{2}, p256Share[1:33]...), alert.IllegalParameter},
		{"p256 not on curve", CurveP256, notOnCurve, alert.IllegalParameter},
		{"p256 x25519 share", CurveP256, x25519Share, alert.IllegalParameter},
		{"p384 p256 point", CurveP384, p256Share, alert.IllegalParameter},
		{"hybrid empty", X25519MLKEM768, nil, alert.IllegalParameter},
		{"hybrid ciphertext only", X25519MLKEM768, ct, alert.IllegalParameter},
		{"hybrid short", X25519MLKEM768, hybridShare[:len(hybridShare)-1], alert.IllegalParameter},
		{"hybrid long", X25519MLKEM768, append(bytes.Clone(hybridShare), 0), alert.IllegalParameter},
		{"hybrid x25519 only", X25519MLKEM768, x25519Share, alert.IllegalParameter},
		{"hybrid low order x25519", X25519MLKEM768, append(bytes.Clone(ct), lowOrder...), alert.IllegalParameter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := mustShare(t, tc.group).SharedSecret(tc.share)
			require.ErrorIs(t, err, tc.wantAlert)
		})
	}
}

func mustShare(t *testing.T, group CurveID) *ClientShare {
	t.Helper()
	s, err := GenerateKeyShare(rand.Reader, group)
	require.NoError(t, err)
	return s
}

// zeroReader returns endless zero bytes: a valid X25519 scalar after
// clamping, never a valid NIST scalar.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestGenerateKeyShareErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rand      io.Reader
		group     CurveID
		wantAlert alert.Description
	}{
		{"unknown group", rand.Reader, CurveID(0x0042), alert.InternalError},
		{"x25519 short rand", bytes.NewReader(make([]byte, 31)), X25519, alert.InternalError},
		{"p256 empty rand", bytes.NewReader(nil), CurveP256, alert.InternalError},
		{"p256 zero scalars", zeroReader{}, CurveP256, alert.InternalError},
		{"p384 zero scalars", zeroReader{}, CurveP384, alert.InternalError},
		{"hybrid short seed", bytes.NewReader(make([]byte, 63)), X25519MLKEM768, alert.InternalError},
		{"hybrid no x25519 bytes", bytes.NewReader(make([]byte, 64)), X25519MLKEM768, alert.InternalError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			share, err := GenerateKeyShare(tc.rand, tc.group)
			require.ErrorIs(t, err, tc.wantAlert)
			require.Nil(t, share)
		})
	}
}

// TestGenerateKeyShareRetriesScalar feeds an invalid (zero) P-256 scalar
// first: the next 32 bytes are used instead.
func TestGenerateKeyShareRetriesScalar(t *testing.T) {
	t.Parallel()
	good := bytes.Repeat([]byte{0x42}, 32)
	share, err := GenerateKeyShare(io.MultiReader(bytes.NewReader(make([]byte, 32)), bytes.NewReader(good)), CurveP256)
	require.NoError(t, err)
	want, err := ecdh.P256().NewPrivateKey(good)
	require.NoError(t, err)
	require.Equal(t, want.PublicKey().Bytes(), share.Public())
}

func ExampleGenerateKeyShare() {
	// A fixed Rand replays the share byte for byte: here the RFC 8448
	// trace's client X25519 private key.
	priv := []byte{
		0x49, 0xaf, 0x42, 0xba, 0x7f, 0x79, 0x94, 0x85, 0x2d, 0x71, 0x3e, 0xf2, 0x78, 0x4b, 0xcb, 0xca,
		0xa7, 0x91, 0x1d, 0xe2, 0x6a, 0xdc, 0x56, 0x42, 0xcb, 0x63, 0x45, 0x40, 0xe7, 0xea, 0x50, 0x05,
	}
	share, err := GenerateKeyShare(bytes.NewReader(priv), X25519)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%x\n", share.Public())
	// Output:
	// 99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c
}
