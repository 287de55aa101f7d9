package cipher

import (
	"crypto"
	"testing"
)

// TestExpandLabelAllocs pins the key schedule's cost: one allocation per
// derived value (its result), none for HMAC or the HkdfLabel.
func TestExpandLabelAllocs(t *testing.T) {
	secret := make([]byte, 48)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		n := testing.AllocsPerRun(100, func() {
			ExpandLabel(h, secret[:h.Size()], "c hs traffic", secret[:h.Size()], h.Size())
		})
		if n != 1 {
			t.Errorf("%v: ExpandLabel made %v allocations, want 1", h, n)
		}
		n = testing.AllocsPerRun(100, func() { Extract(h, secret[:h.Size()], nil) })
		if n != 1 {
			t.Errorf("%v: Extract made %v allocations, want 1", h, n)
		}
	}
}

// TestPRF12MatchesHMAC: the stack-buffered PRF gives what the crypto/hmac
// one gives, for both hashes and outputs of several blocks.
func TestPRF12MatchesHMAC(t *testing.T) {
	secret := []byte("a pre-master secret of some length, 48 bytes...")
	seed := []byte("client random and server random, sixty-four bytes of them.......")
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		for _, n := range []int{12, 48, 72, 200} {
			want := prf12(h, secret, append([]byte("key expansion"), seed...), nil, n)
			if got := PRF12(h, secret, "key expansion", seed, n); string(got) != string(want) {
				t.Errorf("%v, %d bytes: PRF12 %x, crypto/hmac %x", h, n, got, want)
			}
		}
		if n := testing.AllocsPerRun(50, func() { PRF12(h, secret, "master secret", seed, 48) }); n != 1 {
			t.Errorf("%v: PRF12 made %v allocations, want 1", h, n)
		}
	}
}
