package handshake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/cipher"
)

// rfc8448Schedule runs the whole key schedule over the RFC 8448 trace.
type rfc8448Schedule struct {
	v                              map[string][]byte
	suite                          *cipher.Suite
	early                          EarlySecret
	hs                             HandshakeSecret
	master                         MasterSecret
	thSH, thCV, thSF, thCF         []byte // transcript hashes
	clientHS, serverHS             []byte
	serverFinished, clientFinished []byte // Finished messages
}

func newRFC8448Schedule(t *testing.T) *rfc8448Schedule {
	t.Helper()
	r := &rfc8448Schedule{v: loadRFC8448(t), suite: cipher.SuiteByID(0x1301)}
	require.NotNil(t, r.suite)
	flight := splitMessages(t, r.v["server flight"])
	require.Len(t, flight, 4) // EncryptedExtensions, Certificate, CertificateVerify, Finished
	r.serverFinished = flight[3]

	tr := NewTranscript(r.suite.Hash)
	tr.Write(r.v["clientHello"])
	tr.Write(r.v["serverHello"])
	r.thSH = tr.Sum()
	for _, m := range flight[:3] {
		tr.Write(m)
	}
	r.thCV = tr.Sum()
	tr.Write(r.serverFinished)
	r.thSF = tr.Sum()

	r.early = NewEarlySecret(r.suite, nil)
	r.hs = r.early.HandshakeSecret(r.v["ECDHE shared secret (IKM)"])
	r.clientHS = r.hs.ClientTrafficSecret(r.thSH)
	r.serverHS = r.hs.ServerTrafficSecret(r.thSH)
	r.master = r.hs.MasterSecret()

	r.clientFinished = append([]byte{byte(TypeFinished), 0, 0, 32}, VerifyData(r.suite, r.clientHS, r.thSF)...)
	tr.Write(r.clientFinished)
	r.thCF = tr.Sum()
	return r
}

func TestKeyScheduleRFC8448(t *testing.T) {
	t.Parallel()
	r := newRFC8448Schedule(t)
	v := r.v
	require.Equal(t, v["early secret"], r.early.secret)
	require.Equal(t, v["derived (for handshake)"], cipher.DeriveSecret(r.suite.Hash, r.early.secret, "derived", emptyHash(r.suite)))
	require.Equal(t, v["handshake secret"], r.hs.secret)
	require.Equal(t, v["transcript hash CH..SH"], r.thSH)
	require.Equal(t, v["client_handshake_traffic_secret"], r.clientHS)
	require.Equal(t, v["server_handshake_traffic_secret"], r.serverHS)
	require.Equal(t, v["derived (for master)"], cipher.DeriveSecret(r.suite.Hash, r.hs.secret, "derived", emptyHash(r.suite)))
	require.Equal(t, v["master secret"], r.master.secret)
	require.Equal(t, v["transcript hash CH..server Finished"], r.thSF)
	require.Equal(t, v["client_application_traffic_secret_0"], r.master.ClientTrafficSecret(r.thSF))
	require.Equal(t, v["server_application_traffic_secret_0"], r.master.ServerTrafficSecret(r.thSF))
	require.Equal(t, v["exporter_master_secret"], r.master.ExporterSecret(r.thSF))
	require.Equal(t, v["resumption_master_secret"], r.master.ResumptionSecret(r.thCF))
}

func TestFinishedRFC8448(t *testing.T) {
	t.Parallel()
	r := newRFC8448Schedule(t)
	v := r.v
	require.Equal(t, v["server finished key"], FinishedKey(r.suite, r.serverHS))
	require.Equal(t, v["client finished key"], FinishedKey(r.suite, r.clientHS))

	// The server's verify_data covers ClientHello...CertificateVerify and is
	// the body of the trace's server Finished.
	serverVD := VerifyData(r.suite, r.serverHS, r.thCV)
	require.Equal(t, v["server Finished verify_data"], serverVD)
	require.Equal(t, serverVD, r.serverFinished[4:])
	require.Equal(t, v["client Finished verify_data"], VerifyData(r.suite, r.clientHS, r.thSF))

	require.True(t, VerifyFinished(r.suite, r.serverHS, r.thCV, r.serverFinished[4:]))
	require.True(t, VerifyFinished(r.suite, r.clientHS, r.thSF, v["client Finished verify_data"]))
	bad := bytes.Clone(serverVD)
	bad[31] ^= 1
	for name, got := range map[string][]byte{
		"flipped":          bad,
		"truncated":        serverVD[:31],
		"extended":         append(bytes.Clone(serverVD), 0),
		"empty":            nil,
		"client's":         v["client Finished verify_data"],
		"wrong transcript": VerifyData(r.suite, r.serverHS, r.thSH),
	} {
		require.False(t, VerifyFinished(r.suite, r.serverHS, r.thCV, got), name)
	}
}

func TestExportKeyingMaterialLimits(t *testing.T) {
	t.Parallel()
	for _, id := range []uint16{0x1301, 0x1302} {
		s := cipher.SuiteByID(id)
		secret := make([]byte, s.Hash.Size())
		maxLen := 255 * s.Hash.Size()
		out, err := ExportKeyingMaterial(s, secret, strings.Repeat("l", 249), nil, maxLen)
		require.NoError(t, err)
		require.Len(t, out, maxLen)
		out, err = ExportKeyingMaterial(s, secret, "", nil, 0)
		require.NoError(t, err)
		require.Empty(t, out)

		_, err = ExportKeyingMaterial(s, secret, strings.Repeat("l", 250), nil, 32)
		require.EqualError(t, err, "tls: exporter label longer than 249 bytes")
		_, err = ExportKeyingMaterial(s, secret, "x", nil, maxLen+1)
		require.EqualError(t, err, "tls: invalid exporter output length")
		_, err = ExportKeyingMaterial(s, secret, "x", nil, -1)
		require.EqualError(t, err, "tls: invalid exporter output length")

		// No context and an empty context are the same (RFC 8446, Section 7.5).
		a, err := ExportKeyingMaterial(s, secret, "EXPERIMENTAL x", nil, 32)
		require.NoError(t, err)
		b, err := ExportKeyingMaterial(s, secret, "EXPERIMENTAL x", []byte{}, 32)
		require.NoError(t, err)
		require.Equal(t, a, b)
	}
}

func ExampleHandshakeSecret_ClientTrafficSecret() {
	// RFC 8448, Section 3: TLS_AES_128_GCM_SHA256 with this x25519 shared
	// secret and Transcript-Hash(ClientHello, ServerHello).
	suite := cipher.SuiteByID(0x1301)
	shared, _ := hex.DecodeString("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
	transcript, _ := hex.DecodeString("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")

	hs := NewEarlySecret(suite, nil).HandshakeSecret(shared)
	fmt.Printf("%x\n", hs.ClientTrafficSecret(transcript))
	fmt.Printf("%x\n", hs.ServerTrafficSecret(transcript))
	// Output:
	// b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21
	// b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38
}

var updateKS = flag.Bool("update-ks", false, "rewrite testdata/ks-exporter-openssl.txt from live OpenSSL runs")

const exporterVectors = "testdata/ks-exporter-openssl.txt"

// exporterVector is one TLS 1.3 exporter output with the
// exporter_master_secret it came from.
type exporterVector struct {
	suite  uint16
	length int
	secret []byte
	output []byte
	label  string
}

func (v exporterVector) String() string {
	return fmt.Sprintf("%04x %d %x %x %s", v.suite, v.length, v.secret, v.output, v.label)
}

func parseExporterVector(t *testing.T, line string) exporterVector {
	t.Helper()
	f := strings.SplitN(line, " ", 5)
	require.Len(t, f, 5, line)
	suite, err := strconv.ParseUint(f[0], 16, 16)
	require.NoError(t, err)
	length, err := strconv.Atoi(f[1])
	require.NoError(t, err)
	return exporterVector{uint16(suite), length, must(hex.DecodeString(f[2])), must(hex.DecodeString(f[3])), f[4]}
}

// TestExportKeyingMaterialVectors checks recorded OpenSSL exporter outputs
// (no context: OpenSSL's s_client passes none, which TLS 1.3 hashes as
// empty).
func TestExportKeyingMaterialVectors(t *testing.T) {
	t.Parallel()
	f, err := os.Open(exporterVectors)
	require.NoError(t, err)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "" || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		v := parseExporterVector(t, sc.Text())
		got, err := ExportKeyingMaterial(cipher.SuiteByID(v.suite), v.secret, v.label, nil, v.length)
		require.NoError(t, err)
		require.Equal(t, v.output, got, v.String())
		n++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 2, n)
}

// TestExportKeyingMaterialOpenSSL runs openssl s_client against a
// crypto/tls server: our exporter over the EXPORTER_SECRET of OpenSSL's key
// log equals OpenSSL's -keymatexport output and crypto/tls's
// ExportKeyingMaterial. With -update-ks it records the vectors.
func TestExportKeyingMaterialOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed; testdata vectors still checked")
	}
	var lines []string
	for _, tc := range []struct {
		suite  string
		length int
	}{{"TLS_AES_128_GCM_SHA256", 32}, {"TLS_AES_256_GCM_SHA384", 100}} {
		v := liveExporter(t, tc.suite, "EXPERIMENTAL tlsrecord exporter", tc.length)
		got, err := ExportKeyingMaterial(cipher.SuiteByID(v.suite), v.secret, v.label, nil, v.length)
		require.NoError(t, err)
		require.Equal(t, v.output, got, tc.suite)
		lines = append(lines, v.String())
	}
	if *updateKS {
		header := "# TLS 1.3 exporter vectors recorded from OpenSSL s_client (-keylogfile EXPORTER_SECRET,\n" +
			"# -keymatexport, no context) against a crypto/tls server, which agreed.\n" +
			"# suite length exporter_master_secret output label; regenerate: go test ./handshake -run OpenSSL -update-ks\n"
		require.NoError(t, os.WriteFile(exporterVectors, []byte(header+strings.Join(lines, "\n")+"\n"), 0o644))
	}
}

// liveExporter runs one openssl s_client handshake offering only suite and
// returns the exporter_master_secret from its key log and its exporter
// output, after checking the output against the crypto/tls server's.
func liveExporter(t *testing.T, suite, label string, length int) exporterVector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := testPKI()
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{p.leafECDSA.der}, PrivateKey: p.p384}}, MinVersion: tls.VersionTLS13}
	type result struct {
		state tls.ConnectionState
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		s := tls.Server(c, cfg)
		err = s.HandshakeContext(ctx)
		done <- result{s.ConnectionState(), err}
		_, _ = io.Copy(io.Discard, s)
	}()
	keyLog := filepath.Join(t.TempDir(), "keylog.txt")
	out, err := exec.CommandContext(ctx, "openssl", "s_client", "-connect", ln.Addr().String(), "-tls1_3",
		"-ciphersuites", suite, "-noservername", "-keylogfile", keyLog,
		"-keymatexport", label, "-keymatexportlen", strconv.Itoa(length)).Output()
	require.NoError(t, err)
	r := <-done
	require.NoError(t, r.err)
	want, err := r.state.ExportKeyingMaterial(label, nil, length)
	require.NoError(t, err)

	v := exporterVector{suite: r.state.CipherSuite, length: length, label: label}
	v.output = must(hex.DecodeString(afterPrefix(t, string(out), "    Keying material: ")))
	require.Equal(t, want, v.output, "openssl and crypto/tls agree")
	v.secret = must(hex.DecodeString(strings.Fields(afterPrefix(t, string(must(os.ReadFile(keyLog))), KeyLogLabelExporter+" "))[1]))
	return v
}

// afterPrefix returns the rest of the first line of text starting with
// prefix.
func afterPrefix(t *testing.T, text, prefix string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, text)
	return ""
}
