package handshake

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"io"

	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// maxScalarTries bounds the rejection sampling of NIST scalars: a valid
// scalar is drawn with probability above 1-2^-32 per try, so only a broken
// Rand (for example one returning zeros) exhausts it.
const maxScalarTries = 64

// x25519Len is the size of an X25519 public key and scalar (RFC 7748).
const x25519Len = 32

// ClientShare is one key_share entry the client offers and the private key
// behind it (RFC 8446, Section 4.2.8).
type ClientShare struct {
	group  CurveID
	ecdh   *ecdh.PrivateKey           // the X25519 half for X25519MLKEM768
	mlkem  *mlkem.DecapsulationKey768 // X25519MLKEM768 only
	public []byte
}

// GenerateKeyShare draws a private key for group, every random byte read
// from rand, so a fixed rand gives the same share (Go 1.26's GenerateKey
// functions ignore their rand argument). Supported groups: X25519,
// secp256r1, secp384r1, secp521r1 and X25519MLKEM768.
func GenerateKeyShare(rand io.Reader, group CurveID) (*ClientShare, error) {
	switch group {
	case X25519:
		k, err := newX25519Key(rand)
		if err != nil {
			return nil, err
		}
		return &ClientShare{group: group, ecdh: k, public: k.PublicKey().Bytes()}, nil
	case CurveP256, CurveP384, CurveP521:
		k, err := newNISTKey(rand, group)
		if err != nil {
			return nil, err
		}
		return &ClientShare{group: group, ecdh: k, public: k.PublicKey().Bytes()}, nil
	case X25519MLKEM768:
		return newHybridShare(rand)
	}
	return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: no key share for group %#04x", uint16(group)))
}

// newX25519Key uses 32 bytes from rand as the X25519 scalar; every 32-byte
// string is a valid one (RFC 7748, Section 5, clamps it).
func newX25519Key(rand io.Reader) (*ecdh.PrivateKey, error) {
	scalar, err := readRand(rand, x25519Len)
	if err != nil {
		return nil, err
	}
	k, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: x25519 key: %w", err))
	}
	return k, nil
}

// newNISTKey draws scalars from rand until one is in [1, n-1], the
// rejection sampling of FIPS 186-5, Appendix A.2.2. For P-521 the 7 bits
// above the 521-bit order are cleared first, so a try succeeds about as
// often as for P-256.
func newNISTKey(rand io.Reader, group CurveID) (*ecdh.PrivateKey, error) {
	curve, size, topMask := ecdh.P256(), 32, byte(0xff)
	switch group {
	case CurveP384:
		curve, size = ecdh.P384(), 48
	case CurveP521:
		curve, size, topMask = ecdh.P521(), 66, 0x01
	}
	for range maxScalarTries {
		scalar, err := readRand(rand, size)
		if err != nil {
			return nil, err
		}
		scalar[0] &= topMask
		if k, err := curve.NewPrivateKey(scalar); err == nil {
			return k, nil
		}
	}
	return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: no valid %v scalar in %d tries of Rand", curve, maxScalarTries))
}

// newHybridShare draws the 64-byte ML-KEM-768 seed (d ‖ z, FIPS 203,
// Section 7.1), then the X25519 scalar. The client share is the ML-KEM-768
// encapsulation key (1184 bytes) followed by the X25519 share (32 bytes):
// for X25519MLKEM768, unlike the other hybrids, ML-KEM comes first
// (draft-ietf-tls-ecdhe-mlkem).
func newHybridShare(rand io.Reader) (*ClientShare, error) {
	seed, err := readRand(rand, mlkem.SeedSize)
	if err != nil {
		return nil, err
	}
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: ml-kem-768 key: %w", err))
	}
	x, err := newX25519Key(rand)
	if err != nil {
		return nil, err
	}
	public := append(dk.EncapsulationKey().Bytes(), x.PublicKey().Bytes()...)
	return &ClientShare{group: X25519MLKEM768, ecdh: x, mlkem: dk, public: public}, nil
}

// readRand reads exactly n bytes from rand.
func readRand(rand io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: reading Rand: %w", err))
	}
	return b, nil
}

// Group returns the share's NamedGroup.
func (c *ClientShare) Group() CurveID { return c.group }

// Public returns the key_exchange bytes of the share's KeyShareEntry. The
// caller must not modify them.
func (c *ClientShare) Public() []byte { return c.public }

// SharedSecret combines the share with the server's key_exchange. A server
// share of the wrong length, an invalid point or an all-zero X25519 result
// is an illegal_parameter.
func (c *ClientShare) SharedSecret(serverShare []byte) ([]byte, error) {
	if c.group == X25519MLKEM768 {
		return c.hybridSecret(serverShare)
	}
	return ecdhSecret(c.ecdh, serverShare)
}

// ecdhSecret validates the peer's public value and computes the ECDH
// secret. "For the curves secp256r1, secp384r1, and secp521r1, peers MUST
// validate each other's public value Q by ensuring that the point is a
// valid point on the elliptic curve" (RFC 8446, Section 4.2.8.2): the
// uncompressed form only, which ecdh.NewPublicKey enforces. For X25519,
// "Implementations MUST check whether the computed Diffie-Hellman shared
// secret is the all-zero value and abort if so" (RFC 8446, Section 7.4.2):
// ecdh.ECDH refuses it.
func ecdhSecret(k *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := k.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: invalid server key share: %w", err))
	}
	secret, err := k.ECDH(pub)
	if err != nil {
		return nil, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: invalid server key share: %w", err))
	}
	return secret, nil
}

// hybridSecret splits the server share into the ML-KEM-768 ciphertext
// (1088 bytes, encapsulated against our key) and the server's X25519 share
// (32 bytes), and returns the ML-KEM shared secret followed by the X25519
// one, 64 bytes (draft-ietf-tls-ecdhe-mlkem). Anything but exactly 1120
// bytes is refused.
func (c *ClientShare) hybridSecret(serverShare []byte) ([]byte, error) {
	s := cryptobyte.String(serverShare)
	var ct, x []byte
	if !s.ReadBytes(&ct, mlkem.CiphertextSize768) || !s.ReadBytes(&x, x25519Len) || !s.Empty() {
		return nil, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: X25519MLKEM768 server key share is %d bytes, want %d",
			len(serverShare), mlkem.CiphertextSize768+x25519Len))
	}
	kemSecret, err := c.mlkem.Decapsulate(ct)
	if err != nil {
		return nil, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: invalid ML-KEM ciphertext: %w", err))
	}
	ecdhSec, err := ecdhSecret(c.ecdh, x)
	if err != nil {
		return nil, err
	}
	return append(kemSecret, ecdhSec...), nil
}
