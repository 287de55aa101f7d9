package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The prefixes of test_config.cc: unprefixed flags set every handshake's
// config, -on-initial-/-on-resume-/-on-retry- one of them, -on-shim- this
// shim, -on-handshaker- nothing here.
func TestParseFlagsPrefixes(t *testing.T) {
	t.Parallel()
	hc, err := parseFlags([]string{
		"-port", "1234", "-shim-id", "7",
		"-max-version", "771",
		"-on-resume-max-version", "772",
		"-on-initial-expect-curve-id", "29",
		"-on-shim-read-size", "5",
		"-on-handshaker-read-size", "9",
	})
	require.NoError(t, err)
	require.Equal(t, 1234, hc.initial.port)
	require.Equal(t, uint64(7), hc.retry.shimID)
	require.Equal(t, 771, hc.initial.maxVersion)
	require.Equal(t, 772, hc.resume.maxVersion)
	require.Equal(t, 771, hc.retry.maxVersion)
	require.Equal(t, 29, hc.initial.expectCurveID)
	require.Zero(t, hc.resume.expectCurveID)
	require.Equal(t, 5, hc.initial.readSize)
	require.Empty(t, hc.initial.unimplemented)
}

// An unknown or unimplemented flag stops the parse: the shim exits with 89.
func TestParseFlagsUnimplemented(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-port", "1", "-server", "-shim-id", "2"},
		{"-port", "1", "-no-such-flag", "x"},
		{"-on-resume-renegotiate-freely"},
	} {
		hc, err := parseFlags(args)
		require.NoError(t, err)
		require.Len(t, hc.initial.unimplemented, 1, "%v", args)
	}
	require.Equal(t, exitUnimplemented, run([]string{"-port", "1", "-dtls"}))
}

// Credential flags set the credential -new-x509-credential added last, or
// the default one before any.
func TestParseFlagsCredentials(t *testing.T) {
	t.Parallel()
	hc, err := parseFlags([]string{
		"-cert-file", "default.pem", "-key-file", "default.key",
		"-new-x509-credential", "-cert-file", "a.pem", "-signing-prefs", "1027",
		"-new-x509-credential", "-cert-file", "b.pem", "-must-match-issuer",
	})
	require.NoError(t, err)
	c := hc.initial
	require.Equal(t, "default.pem", c.credential.certFile)
	require.Len(t, c.credentials, 2)
	require.Equal(t, []int{1027}, c.credentials[0].signingPrefs)
	require.Equal(t, "b.pem", c.credentials[1].certFile)
	require.True(t, c.credentials[1].mustMatchIssuer)
	require.False(t, c.credentials[0].mustMatchIssuer)
}

func TestALPNList(t *testing.T) {
	t.Parallel()
	got, err := alpnList("\x03foo\x02h2")
	require.NoError(t, err)
	require.Equal(t, []string{"foo", "h2"}, got)
	_, err = alpnList("\x05foo")
	require.Error(t, err)
}
