package conn_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// resumePeer connects to p twice with one cache: the first connection is a
// full handshake whose tickets are read during the exchange, the second
// resumes. echo says how the peer answers a line (reversed for openssl
// -rev, as is for gnutls-serv --echo).
func resumePeer(t *testing.T, p *peer, cfg *conn.Config, echo func([]byte) []byte) (first, second tls.ConnectionState) {
	t.Helper()
	cache := newCountingCache()
	cfg.ClientSessionCache = cache
	line := []byte("resume me\n")
	for i, cs := range []*tls.ConnectionState{&first, &second} {
		c := dialPeer(t, p, cfg)
		exchange(t, c, line, echo(line))
		*cs = c.ConnectionState()
		require.NoError(t, c.Close())
		require.True(t, cache.has(testHost), "connection %d got a ticket; peer output:\n%s", i, p.Output())
	}
	return first, second
}

func same(b []byte) []byte { return b }

func TestResumeRealPeers(t *testing.T) {
	t.Parallel()
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	for _, tc := range []struct {
		name string
		bin  string
		args []string
		hrr  bool
		echo func([]byte) []byte
	}{
		{"openssl", "openssl", []string{"s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key, "-tls1_3", "-rev"}, false, reverseLines},
		{"openssl/HelloRetryRequest", "openssl", []string{"s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key, "-tls1_3", "-rev", "-groups", "P-384"}, true, reverseLines},
		{"gnutls", "gnutls-serv", []string{"--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3"}, false, same},
		{"gnutls/HelloRetryRequest", "gnutls-serv", []string{"--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1"}, true, same},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startPeer(t, needBinary(t, tc.bin), tc.args...)
			first, second := resumePeer(t, p, clientConfig(t), tc.echo)
			require.False(t, first.DidResume)
			require.True(t, second.DidResume, "peer output:\n%s", p.Output())
			require.Equal(t, tc.hrr, second.HelloRetryRequest)
			require.Equal(t, first.PeerCertificates, second.PeerCertificates)
		})
	}
}

// recordSizes collects the lengths of protected records on the wire.
type recordSizes struct {
	mu            sync.Mutex
	read, written []int
}

func (r *recordSizes) trace() *conn.Trace {
	return &conn.Trace{
		RecordRead: func(ri conn.RecordInfo) {
			if ri.Protected {
				r.mu.Lock()
				r.read = append(r.read, ri.Length)
				r.mu.Unlock()
			}
		},
		RecordWritten: func(ri conn.RecordInfo) {
			if ri.Protected {
				r.mu.Lock()
				r.written = append(r.written, ri.Length)
				r.mu.Unlock()
			}
		},
	}
}

// maxInner returns the largest TLS 1.3 TLSInnerPlaintext among lengths:
// the fragment less the 16-byte tag.
func maxInner(lengths []int) int {
	m := 0
	for _, l := range lengths {
		m = max(m, l-16)
	}
	return m
}

// TestRecordSizeLimitGnuTLS runs RFC 8449 both ways with gnutls-serv: our
// RecordSizeLimit caps the records it sends, and its --recordsize caps
// ours; 64 KiB cross each way. gnutls-serv answers the extension only for
// a client value of 512 or more, and only when the client sent one.
func TestRecordSizeLimitGnuTLS(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "gnutls-serv")
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	data := lines(1 << 16)
	for _, tc := range []struct {
		name    string
		version string
		ours    int // our RecordSizeLimit
		theirs  string
	}{
		{"tls13/ours", "+VERS-TLS1.3", 512, ""},
		{"tls13/theirs", "+VERS-TLS1.3", 16385, "600"},
		{"tls12/ours", "+VERS-TLS1.2", 512, ""},
		{"tls12/theirs", "+VERS-TLS1.2", 16385, "600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--echo", "-p", "{port}", "--x509certfile", cert, "--x509keyfile", key,
				"--priority", "NORMAL:-VERS-ALL:" + tc.version}
			if tc.theirs != "" {
				args = append(args, "--recordsize="+tc.theirs)
			}
			p := startPeer(t, bin, args...)
			sizes := &recordSizes{}
			cfg := clientConfig(t)
			cfg.RecordSizeLimit = tc.ours
			cfg.Trace = sizes.trace()
			c := dialPeer(t, p, cfg)
			exchange(t, c, data, data)
			st := c.State()
			sizes.mu.Lock()
			defer sizes.mu.Unlock()
			// TLS 1.2 AES-GCM adds an 8-byte explicit nonce too.
			overhead := 0
			if st.Version == tls.VersionTLS12 {
				overhead = 8
			}
			if tc.theirs == "" {
				require.LessOrEqual(t, maxInner(sizes.read)-overhead, tc.ours, "gnutls-serv kept to our limit")
				require.Greater(t, len(sizes.read), len(data)/tc.ours, "the echo came in small records")
			} else {
				require.NotZero(t, st.PeerRecordSizeLimit, "gnutls-serv sent record_size_limit")
				require.LessOrEqual(t, maxInner(sizes.written)-overhead, st.PeerRecordSizeLimit, "we kept to its limit")
				require.GreaterOrEqual(t, maxInner(sizes.written)-overhead, st.PeerRecordSizeLimit-1, "and used it")
			}
		})
	}
}

// TestRecordSizeLimitNotNegotiated: crypto/tls ignores record_size_limit,
// so the limit does not bind it ("When the "record_size_limit" extension
// is negotiated", RFC 8449, Section 4) and its 4 KiB echo record is read.
func TestRecordSizeLimitNotNegotiated(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	sizes := &recordSizes{}
	cfg := clientConfig(t)
	cfg.RecordSizeLimit = 1024
	cfg.Trace = sizes.trace()
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	require.Zero(t, c.State().PeerRecordSizeLimit)
	roundTrip(t, c, string(lines(4096)))
	sizes.mu.Lock()
	require.Greater(t, maxInner(sizes.read), 1024)
	sizes.mu.Unlock()
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))
}

// TestRecordSizeLimitOverflow: once the server answered record_size_limit
// (testpeer rewrites crypto/tls's EncryptedExtensions to carry one), a
// record beyond our limit (its Certificate padded by 1000 bytes) fails with
// record_overflow: "A TLS endpoint that receives a record larger than its
// advertised limit MUST generate a fatal "record_overflow" alert" (RFC
// 8449, Section 4).
func TestRecordSizeLimitOverflow(t *testing.T) {
	t.Parallel()
	isMsg := func(r testpeer.Record, typ handshake.MsgType) bool {
		return r.Protected && r.Type == record.Handshake && len(r.Payload) > 0 && handshake.MsgType(r.Payload[0]) == typ
	}
	p := startPeer12(t, tls.VersionTLS13, testpeer.Scenario{}, testpeer.Hooks{ToClient: func(r testpeer.Record) []testpeer.Action {
		switch {
		case isMsg(r, handshake.TypeEncryptedExtensions):
			ee, err := (&handshake.EncryptedExtensions{RecordSizeLimit: 16385}).Marshal()
			if err != nil {
				panic(err)
			}
			return []testpeer.Action{testpeer.Send(record.Handshake, ee)}
		case isMsg(r, handshake.TypeCertificate):
			return []testpeer.Action{testpeer.Forward().Pad(1000)}
		}
		return []testpeer.Action{testpeer.Forward()}
	}})
	log := &alertLog{}
	cfg := peerConfig(p)
	cfg.RecordSizeLimit = 512
	cfg.Trace = log.trace()
	_, err := dialTestpeer(t, p, cfg)
	require.ErrorIs(t, err, alert.RecordOverflow)
	require.Equal(t, []alert.Alert{{Level: alert.Fatal, Description: alert.RecordOverflow}}, log.sentAlerts())
}

// TestPaddingAndMaxFragment: padding to 256-byte blocks and 100-byte
// fragments against crypto/tls, which strips the padding.
func TestPaddingAndMaxFragment(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	sizes := &recordSizes{}
	cfg := clientConfig(t)
	cfg.Trace = sizes.trace()
	cfg.MaxFragment = 100
	cfg.Padding = func(_ record.ContentType, n int) int { return (256 - (n+1)%256) % 256 }
	c, err := dialGo(t, s, cfg)
	require.NoError(t, err)
	roundTrip(t, c, string(lines(4096)))
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	require.Greater(t, len(sizes.written), 4096/100)
	for _, l := range sizes.written {
		require.Zero(t, (l-16)%256, "TLSInnerPlaintext of %d bytes is padded to 256", l-16)
	}
}

func TestRecordSizeConfigRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit, frag int
		want        string
	}{
		{63, 0, "RecordSizeLimit 63 is outside 64..16385"},
		{16386, 0, "RecordSizeLimit 16386 is outside 64..16385"},
		{0, 63, "MaxFragment 63 is outside [64, 16384]"},
		{0, 16385, "MaxFragment 16385 is outside [64, 16384]"},
	} {
		cfg := clientConfig(t)
		cfg.RecordSizeLimit, cfg.MaxFragment = tc.limit, tc.frag
		a, b := net.Pipe()
		c := conn.Client(a, cfg)
		require.EqualError(t, c.Handshake(), "tls: "+tc.want)
		a.Close()
		b.Close()
	}
}

// TestRecordSizeLimitNSS: lighttpd with mod_nss (NSS) honours our
// record_size_limit: a 64 KiB file comes in records of at most 512 bytes of
// TLSInnerPlaintext. mod_nss sets no limit of its own, so only this
// direction is tested. Without lighttpd or mod_nss the test skips, except
// under CI=true (.ci/run installs lighttpd-mod-nss).
func TestRecordSizeLimitNSS(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "lighttpd")
	if _, err := os.Stat("/usr/lib/lighttpd/mod_nss.so"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("lighttpd's mod_nss not found: CI must install lighttpd-mod-nss (see .ci/run)")
		}
		t.Skip("lighttpd's mod_nss is not installed: apt-get install lighttpd-mod-nss")
	}
	dir := t.TempDir()
	body := lines(1 << 16)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.txt"), body, 0o644))
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	port := freePort(t)
	conf := filepath.Join(dir, "lighttpd.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `server.document-root = %q
server.port = %d
server.bind = "127.0.0.1"
server.modules += ( "mod_nss" )
ssl.engine = "enable"
ssl.pemfile = %q
ssl.privkey = %q
`, dir, port, cert, key), 0o644))
	p := startPeerOn(t, port, bin, "-D", "-f", conf)
	sizes := &recordSizes{}
	cfg := clientConfig(t)
	cfg.MinVersion = tls.VersionTLS13
	cfg.RecordSizeLimit = 512
	cfg.Trace = sizes.trace()
	c := dialPeer(t, p, cfg)
	require.NotZero(t, c.State().PeerRecordSizeLimit, "NSS answered record_size_limit")
	_, err := c.Write([]byte("GET /big.txt HTTP/1.0\r\nHost: " + testHost + "\r\n\r\n"))
	require.NoError(t, err)
	resp, err := io.ReadAll(c)
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(resp, body), "the file arrived whole")
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	require.LessOrEqual(t, maxInner(sizes.read), 512)
	require.Greater(t, len(sizes.read), len(body)/512)
}
