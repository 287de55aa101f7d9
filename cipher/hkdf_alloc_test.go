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
