package bogo

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// RunnerCommit is the BoringSSL commit the config and must-pass list are
// written against.
const RunnerCommit = "a0689af29e8e460f1e5380e0fb74cef1b342e810"

// mustPass are the runner's tests this client must pass (issue 12): every
// pattern matches at least one PASS and no FAIL. Matches that are
// UNIMPLEMENTED (DTLS, server side, TLS 1.2 tickets) are logged.
var mustPass = []string{
	"Shutdown-Runner-*", "Shutdown-Shim-*", "Unclean-Shutdown*", "ShimSendAlert-*",
	"SendWarningAlerts*", "SendUserCanceledAlerts*", "AlertAfterChangeCipherSpec",
	"LargePlaintext*", "LargeCiphertext", "SendInvalidRecordType", "TLS13-WrongOuterRecord*",
	"TLS13-EmptyRecords*", "TLS13-OnlyPadding*", "TooManyKeyUpdates", "KeyUpdate-ToClient",
	"TrailingMessageData-*", "CurveTest-Invalid-*",
}

// result is one test in the runner's -json-output (Chromium's JSON test
// results format).
type result struct {
	Actual       string `json:"actual"`
	Expected     string `json:"expected"`
	IsUnexpected bool   `json:"is_unexpected"`
}

func TestBoGo(t *testing.T) {
	runner := os.Getenv("BOGO_RUNNER")
	if runner == "" {
		// The one exception to the CI=true rule: CI cannot fetch and build
		// BoringSSL's runner, so this test skips there too.
		t.Skipf("BOGO_RUNNER is not set: build BoringSSL's ssl/test/runner at %s outside this repository "+
			"(`go test -c -o runner.test` in that directory) and set BOGO_RUNNER to the binary (internal/bogo/doc.go and the README show the commands)", RunnerCommit)
	}
	dir := t.TempDir()
	shim := filepath.Join(dir, "shim")
	build := exec.Command("go", "build", "-o", shim, "./shim")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the shim: %s", out)
	config, err := filepath.Abs("config.json")
	require.NoError(t, err)

	resultsFile := filepath.Join(dir, "results.json")
	cmd := exec.Command(runner,
		"-shim-path", shim,
		"-shim-config", config,
		"-allow-unimplemented",
		// No -loose-errors: config.json's ErrorMap says which of our
		// error messages stands for each of BoringSSL's error names.
		"-num-workers", "2",
		"-pipe",
		"-json-output", resultsFile,
	)
	cmd.Dir = dir // the runner writes its certificates and keys here
	out, runErr := cmd.CombinedOutput()
	data, err := os.ReadFile(resultsFile)
	require.NoError(t, err, "the runner wrote no results (%v): %s", runErr, tail(out))
	var results struct {
		Tests map[string]result `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(data, &results))

	counts := map[string]int{}
	var unexpected []string
	for name, r := range results.Tests {
		counts[r.Actual]++
		if r.IsUnexpected {
			unexpected = append(unexpected, name+" ("+r.Actual+")")
		}
	}
	slices.Sort(unexpected)
	t.Logf("BoGo at %s: PASS %d, FAIL %d, UNIMPLEMENTED %d", RunnerCommit[:12], counts["PASS"], counts["FAIL"], counts["SKIP"])
	require.Empty(t, unexpected, "unexpected results; the runner's output ends:\n%s", tail(out))
	require.NoError(t, runErr, "the runner failed: %s", tail(out))
	checkMustPass(t, results.Tests)
}

// checkMustPass applies mustPass and logs its UNIMPLEMENTED matches.
func checkMustPass(t *testing.T, tests map[string]result) {
	t.Helper()
	for _, pattern := range mustPass {
		var passed int
		var unimplemented []string
		for name, r := range tests {
			ok, err := filepath.Match(pattern, name)
			require.NoError(t, err)
			if !ok {
				continue
			}
			switch r.Actual {
			case "PASS":
				passed++
			case "SKIP":
				unimplemented = append(unimplemented, name)
			default:
				t.Errorf("must-pass %s: %s is %s", pattern, name, r.Actual)
			}
		}
		if passed == 0 {
			t.Errorf("must-pass %s: no test passed", pattern)
		}
		if len(unimplemented) > 0 {
			slices.Sort(unimplemented)
			t.Logf("must-pass %s: %d PASS; UNIMPLEMENTED: %s", pattern, passed, strings.Join(unimplemented, " "))
		}
	}
}

// tail returns the end of the runner's output, where its summary is.
func tail(out []byte) string {
	const n = 4000
	if len(out) > n {
		return fmt.Sprintf("...%s", out[len(out)-n:])
	}
	return string(out)
}
