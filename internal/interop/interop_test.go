package interop

import (
	"strings"
	"testing"
)

// TestInterop runs every server on both versions and compares what it
// does at the end of a connection with the matrix. A version a server
// does not speak is only checked to be refused.
func TestInterop(t *testing.T) {
	t.Parallel()
	for _, s := range servers {
		for _, v := range both {
			t.Run(s.name+"/"+versionName(v), func(t *testing.T) {
				t.Parallel()
				want, ok := matrix[s.name][v]
				if !ok {
					t.Fatalf("the matrix has no row for %s on %s", s.name, versionName(v))
				}
				addr := s.start(t, newEnv(t))
				got := probe(t, s, addr, v)
				if diff := mismatches(want, got); len(diff) > 0 {
					t.Errorf("%s on %s does not do what the matrix says:\n%s\ngot %+v",
						s.name, versionName(v), strings.Join(diff, "\n"), got)
				}
			})
		}
	}
}
