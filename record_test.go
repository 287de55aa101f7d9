package tlsrecord_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/tlsrecord/tlsrecord"

// layers lists the packages from the bottom up: each may import only those
// before it (STYLE.md, "The layers").
var layers = []string{"alert", "record", "cipher", "handshake", "conn", "cmd/tlsrec"}

// TestImportsPointDown fails when a layer imports one above it, or when
// gopacket leaks into a library package.
func TestImportsPointDown(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	rank := map[string]int{}
	for i, l := range layers {
		rank[module+"/"+l] = i
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		r, isLayer := rank[pkg]
		for _, imp := range imports {
			if ir, ok := rank[imp]; ok && isLayer {
				require.Less(t, ir, r, "%s imports %s: imports must point down", pkg, imp)
			}
			if isLayer && pkg != module+"/cmd/tlsrec" {
				require.NotContains(t, imp, "gopacket", "%s imports %s: gopacket belongs to cmd/ and tests", pkg, imp)
			}
		}
		if isLayer {
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 3, "go list found too few layer packages:\n%s", out)
}
