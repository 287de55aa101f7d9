package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// runCLI runs a command line in-process and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(&env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}, args)
	return code, stdout.String(), stderr.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/tlsrec -run %s -update", t.Name())
	require.Equal(t, string(want), got, "run go test ./cmd/tlsrec -run %s -update if the change is intended", t.Name())
}

// The deterministic demo (fixed randomness, fixed certificates, no
// timings) prints every scenario's timeline and verdict the same way on
// every run.
func TestDemoGolden(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "demo", "--deterministic")
	require.Equal(t, exitClean, code, stderr)
	require.Empty(t, stderr)
	golden(t, "demo.golden", stdout)
}

// Each scenario's verdict, pinned separately from the golden file so that a
// regression names the scenario.
func TestDemoVerdicts(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "demo", "--deterministic", "--json")
	require.Equal(t, exitClean, code)
	got := map[string]string{}
	var current string
	for line := range strings.SplitSeq(strings.TrimSpace(stdout), "\n") {
		var obj map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &obj), "every line is one JSON object: %s", line)
		switch obj["type"] {
		case "scenario":
			current = obj["version"].(string) + " " + obj["scenario"].(string)
		case "verdict":
			got[current] = obj["verdict"].(string)
		}
	}
	for name, want := range map[string]string{
		"TLS 1.3 PassThrough":                       "clean",
		"TLS 1.2 PeerAnswersCloseNotify":            "clean",
		"TLS 1.3 PeerClosesWithoutNotify":           "truncated at a record boundary",
		"TLS 1.2 PeerClosesMidRecord":               "truncated inside a record",
		"TLS 1.3 PeerNeverAnswers":                  "timeout",
		"TLS 1.3 PeerClosesFirst":                   "clean",
		"TLS 1.3 PeerFatalAlert(handshake_failure)": "alert received",
		"TLS 1.3 PeerWarning(unrecognized_name)":    "alert received",
		"TLS 1.2 PeerWarning(unrecognized_name)":    "clean",
		"TLS 1.3 PeerCorruptsRecord":                "alert sent",
		"TLS 1.2 PeerResets":                        "transport error",
		"TLS 1.3 PeerKeyUpdate(true)":               "clean",
		"TLS 1.2 PeerKeyUpdate(true)":               "alert sent",
	} {
		require.Equal(t, want, got[name], name)
	}
	require.Len(t, got, 2*len(demoCases))
}

// The demo runs every testpeer scenario: a new scenario fails this test
// until the demo shows it.
func TestDemoCoversEveryScenario(t *testing.T) {
	var bases []string
	for _, dc := range demoCases {
		bases = append(bases, strings.SplitN(dc.scenario, "(", 2)[0])
		_, err := testpeer.Lookup(dc.scenario)
		require.NoError(t, err)
	}
	slices.Sort(bases)
	require.Equal(t, testpeer.ScenarioNames(), bases)
}

func TestDemoList(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "demo", "--list")
	require.Equal(t, exitClean, code)
	require.Empty(t, stderr)
	require.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), len(demoCases))
	require.Contains(t, stdout, "PeerFatalAlert(handshake_failure)")
}

// An unknown scenario is one line on stderr and exit 2; a known scenario
// with other arguments runs.
func TestDemoScenarioFlag(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "demo", "--scenario", "NoSuchPeer")
	require.Equal(t, exitUsage, code)
	require.Empty(t, stdout)
	require.Equal(t, "tlsrec demo: unknown scenario \"NoSuchPeer\": run tlsrec demo --list for the scenarios\n", stderr)

	code, stdout, stderr = runCLI(t, "", "demo", "--tls13", "--scenario", "PeerFatalAlert(decode_error)")
	require.Equal(t, exitClean, code, stderr)
	require.Contains(t, stdout, "<- alert   fatal decode_error")
	require.Contains(t, stdout, "=> alert received: the peer sent fatal decode_error (exit 4)")
	require.NotContains(t, stdout, "TLS 1.2  ")
}
