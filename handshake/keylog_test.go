package handshake

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingWriter records every Write call separately.
type countingWriter struct{ writes [][]byte }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

type failingWriter struct{}

var errWriteFailed = errors.New("write failed")

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

func TestWriteKeyLogLineFormat(t *testing.T) {
	t.Parallel()
	random := bytes.Repeat([]byte{0xab}, 32)
	secret := []byte{0x00, 0x01, 0xfe, 0xff}
	labels := []string{
		KeyLogLabelClientHandshake, KeyLogLabelServerHandshake,
		KeyLogLabelClientTraffic, KeyLogLabelServerTraffic,
		KeyLogLabelExporter, KeyLogLabelTLS12,
	}
	// The NSS format: label, space, 64 lower-case hex digits, space, secret
	// in lower-case hex, newline.
	line := regexp.MustCompile(`^[A-Z0-9_]+ [0-9a-f]{64} [0-9a-f]+\n$`)
	for _, label := range labels {
		w := &countingWriter{}
		require.NoError(t, WriteKeyLog(w, label, random, secret))
		require.Len(t, w.writes, 1, "one Write per line")
		require.Regexp(t, line, string(w.writes[0]))
		require.Equal(t, label+" "+
			"abababababababababababababababababababababababababababababababab"+
			" 0001feff\n", string(w.writes[0]))
	}
}

func TestWriteKeyLogNilWriter(t *testing.T) {
	t.Parallel()
	require.NoError(t, WriteKeyLog(nil, KeyLogLabelTLS12, make([]byte, 32), make([]byte, 48)))
}

func TestWriteKeyLogError(t *testing.T) {
	t.Parallel()
	err := WriteKeyLog(failingWriter{}, KeyLogLabelExporter, make([]byte, 32), make([]byte, 32))
	require.ErrorIs(t, err, errWriteFailed)
}

func ExampleWriteKeyLog() {
	clientRandom := bytes.Repeat([]byte{0x01}, 32)
	secret := []byte{0xde, 0xad, 0xbe, 0xef}
	_ = WriteKeyLog(os.Stdout, KeyLogLabelClientTraffic, clientRandom, secret)
	// Output:
	// CLIENT_TRAFFIC_SECRET_0 0101010101010101010101010101010101010101010101010101010101010101 deadbeef
}

// keyLogLines collects crypto/tls's key log.
type keyLogLines struct {
	mu  sync.Mutex
	raw bytes.Buffer
}

func (k *keyLogLines) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.raw.Write(p)
	return len(p), nil
}

// TestWriteKeyLogMatchesCryptoTLS re-emits the key log crypto/tls's client
// writes for a real TLS 1.3 connection through WriteKeyLog: byte for byte
// the same.
func TestWriteKeyLogMatchesCryptoTLS(t *testing.T) {
	t.Parallel()
	p := testPKI()
	cs, ss := net.Pipe()
	defer cs.Close()
	defer ss.Close()
	cert := tls.Certificate{Certificate: [][]byte{p.leafECDSA.der}, PrivateKey: p.p384}
	server := tls.Server(ss, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	keyLog := &keyLogLines{}
	client := tls.Client(cs, &tls.Config{
		ServerName: "ecdsa.example", RootCAs: pool(p.root), Time: pkiNow,
		MinVersion: tls.VersionTLS13, KeyLogWriter: keyLog,
	})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	require.NoError(t, client.Handshake())
	require.NoError(t, <-errc)

	var ours bytes.Buffer
	labels := map[string]bool{}
	for _, line := range strings.SplitAfter(keyLog.raw.String(), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		require.Len(t, f, 3)
		labels[f[0]] = true
		require.NoError(t, WriteKeyLog(&ours, f[0], must(hex.DecodeString(f[1])), must(hex.DecodeString(f[2]))))
	}
	require.Equal(t, keyLog.raw.String(), ours.String())
	require.Equal(t, map[string]bool{
		KeyLogLabelClientHandshake: true, KeyLogLabelServerHandshake: true,
		KeyLogLabelClientTraffic: true, KeyLogLabelServerTraffic: true,
	}, labels)
}
