package cipher_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// These tests cross-check the TLS 1.2 derivations and AEAD12 against
// crypto/tls: a crypto/tls client and server talk over net.Pipe, the client's
// KeyLogWriter reveals the master secret, and everything else is recomputed
// from the captured bytes.

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	ecdsaKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func selfSigned(t *testing.T, key crypto.Signer) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "cipher.test"},
		DNSNames:     []string{"cipher.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tap records both directions at the client's end of a connection. rewrite,
// when set, edits the client's first write before it is sent and recorded.
type tap struct {
	net.Conn
	mu             sync.Mutex
	sent, received []byte
	rewrite        func([]byte)
}

func (c *tap) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.received = append(c.received, p[:n]...)
	c.mu.Unlock()
	return n, err
}

func (c *tap) Write(p []byte) (int, error) {
	b := clone(p)
	c.mu.Lock()
	if c.rewrite != nil {
		c.rewrite(b)
		c.rewrite = nil
	}
	c.sent = append(c.sent, b...)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// session is what the client's end of a TLS 1.2 connection saw.
type session struct {
	clientRandom, serverRandom, master []byte
	clientHS, serverHS                 [][]byte // plaintext handshake messages
	clientProt, serverProt             [][]byte // whole records after change_cipher_spec
}

// runTLS12 connects a crypto/tls client to a crypto/tls server with one
// TLS 1.2 suite; after the handshake the client sends "ping" and the server
// answers "pong". It returns the client's handshake error, if any.
func runTLS12(t *testing.T, suite uint16, cert tls.Certificate, rewrite func([]byte)) (session, error) {
	t.Helper()
	c, s := net.Pipe()
	deadline := time.Now().Add(30 * time.Second)
	require.NoError(t, c.SetDeadline(deadline))
	require.NoError(t, s.SetDeadline(deadline))
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv := tls.Server(s, &tls.Config{
			Certificates: []tls.Certificate{cert}, CipherSuites: []uint16{suite},
			MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true,
		})
		buf := make([]byte, 4)
		if srv.Handshake() == nil {
			if _, err := srv.Read(buf); err == nil {
				_, _ = srv.Write([]byte("pong"))
			}
		}
	}()
	var keyLog bytes.Buffer
	tc := &tap{Conn: c, rewrite: rewrite}
	cli := tls.Client(tc, &tls.Config{
		InsecureSkipVerify: true, CipherSuites: []uint16{suite}, KeyLogWriter: &keyLog,
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	})
	err := cli.Handshake()
	if err == nil {
		_, err = cli.Write([]byte("ping"))
		require.NoError(t, err)
		buf := make([]byte, 4)
		_, err = cli.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "pong", string(buf))
	}
	c.Close()
	<-done
	s.Close()

	var sess session
	sess.clientHS, sess.clientProt = splitStream(t, tc.sent)
	sess.serverHS, sess.serverProt = splitStream(t, tc.received)
	require.NotEmpty(t, sess.clientHS)
	require.NotEmpty(t, sess.serverHS)
	sess.clientRandom = helloRandom(t, sess.clientHS[0])
	sess.serverRandom = helloRandom(t, sess.serverHS[0])
	fields := strings.Fields(keyLog.String())
	require.Len(t, fields, 3, "key log %q", keyLog.String())
	require.Equal(t, "CLIENT_RANDOM", fields[0])
	require.Equal(t, sess.clientRandom, unhex(t, fields[1]))
	sess.master = unhex(t, fields[2])
	return sess, err
}

// splitStream cuts a byte stream into records and returns the handshake
// messages sent in the clear and the whole records after change_cipher_spec.
func splitStream(t *testing.T, stream []byte) (msgs, protected [][]byte) {
	t.Helper()
	var hs []byte
	afterCCS := false
	s := cryptobyte.String(stream)
	for !s.Empty() {
		rec := []byte(s)
		var typ uint8
		var version uint16
		var frag cryptobyte.String
		require.True(t, s.ReadUint8(&typ) && s.ReadUint16(&version) && s.ReadUint16LengthPrefixed(&frag))
		switch {
		case afterCCS:
			protected = append(protected, rec[:record.HeaderLen+len(frag)])
		case record.ContentType(typ) == record.ChangeCipherSpec:
			afterCCS = true
		case record.ContentType(typ) == record.Handshake:
			hs = append(hs, frag...)
		}
	}
	m := cryptobyte.String(hs)
	for !m.Empty() {
		msg := []byte(m)
		var typ uint8
		var body cryptobyte.String
		require.True(t, m.ReadUint8(&typ) && m.ReadUint24LengthPrefixed(&body))
		msgs = append(msgs, msg[:4+len(body)])
	}
	return msgs, protected
}

// helloRandom returns the random of a ClientHello or ServerHello message.
func helloRandom(t *testing.T, msg []byte) []byte {
	t.Helper()
	s := cryptobyte.String(msg)
	var random []byte
	require.True(t, s.Skip(4+2) && s.ReadBytes(&random, 32))
	return random
}

func hashOf(h crypto.Hash, parts ...[]byte) []byte {
	w := h.New()
	for _, p := range parts {
		w.Write(p)
	}
	return w.Sum(nil)
}

// TestTLS12AgainstCryptoTLS checks, for every TLS 1.2 suite, that the key
// block, Finished and AEAD12 agree with crypto/tls: our sealing of the
// client's Finished and "ping" equals crypto/tls's records byte for byte
// (both use the sequence number as the AES-GCM explicit nonce), and the
// server's records open to the right type and content.
func TestTLS12AgainstCryptoTLS(t *testing.T) {
	t.Parallel()
	for _, s := range cipher.Suites() {
		if s.Version != record.VersionTLS12 {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			var cert tls.Certificate
			if s.ECDSA {
				cert = selfSigned(t, ecdsaKey())
			} else {
				cert = selfSigned(t, rsaKey())
			}
			sess, err := runTLS12(t, s.ID, cert, nil)
			require.NoError(t, err)
			// ClientHello, ClientKeyExchange; ServerHello, Certificate,
			// ServerKeyExchange, ServerHelloDone.
			require.Len(t, sess.clientHS, 2)
			require.Len(t, sess.serverHS, 4)
			transcript := append(append([][]byte{sess.clientHS[0]}, sess.serverHS...), sess.clientHS[1])
			clientFin := append([]byte{20, 0, 0, 12},
				cipher.FinishedTLS12(s.Hash, sess.master, "client finished", hashOf(s.Hash, transcript...))...)
			serverFin := append([]byte{20, 0, 0, 12},
				cipher.FinishedTLS12(s.Hash, sess.master, "server finished", hashOf(s.Hash, append(transcript, clientFin)...))...)

			ck, sk, civ, siv := s.KeyBlock(sess.master, sess.clientRandom, sess.serverRandom)
			cw := cipher.NewTLS12(s, ck, civ)
			require.Len(t, sess.clientProt, 2)
			require.Equal(t, sess.clientProt[0], cw.Seal(nil, record.Handshake, 0, clientFin))
			require.Equal(t, sess.clientProt[1], cw.Seal(nil, record.ApplicationData, 1, []byte("ping")))

			sr := cipher.NewTLS12(s, sk, siv)
			require.Len(t, sess.serverProt, 2)
			typ, msg, err := sr.Open(nil, 0, sess.serverProt[0])
			require.NoError(t, err)
			require.Equal(t, record.Handshake, typ)
			require.Equal(t, serverFin, msg)
			typ, data, err := sr.Open(nil, 1, sess.serverProt[1])
			require.NoError(t, err)
			require.Equal(t, record.ApplicationData, typ)
			require.Equal(t, "pong", string(data))
		})
	}
}

// disableEMS renames the extended_master_secret extension (23) of the
// ClientHello in b to a GREASE code point the server ignores, so crypto/tls
// derives the RFC 5246 master secret. The transcripts then differ and the
// handshake fails at Finished, after the key log line is written.
func disableEMS(t *testing.T) func([]byte) {
	return func(b []byte) {
		s := cryptobyte.String(b)
		var sid, suites, comp, exts cryptobyte.String
		ok := s.Skip(record.HeaderLen+4+2+32) && s.ReadUint8LengthPrefixed(&sid) &&
			s.ReadUint16LengthPrefixed(&suites) && s.ReadUint8LengthPrefixed(&comp) &&
			s.ReadUint16LengthPrefixed(&exts)
		for ok && !exts.Empty() {
			at := len(b) - len(s) - len(exts)
			var typ uint16
			var data cryptobyte.String
			ok = exts.ReadUint16(&typ) && exts.ReadUint16LengthPrefixed(&data)
			if typ == 23 {
				b[at], b[at+1] = 0x7a, 0x7a
				return
			}
		}
		t.Error("ClientHello without extended_master_secret")
	}
}

// TestMasterSecretAgainstCryptoTLS checks MasterSecret and
// ExtendedMasterSecret against crypto/tls with RSA key exchange, whose
// pre-master secret the test can decrypt from ClientKeyExchange with the
// server's key.
func TestMasterSecretAgainstCryptoTLS(t *testing.T) {
	t.Parallel()
	for _, ems := range []bool{true, false} {
		name := map[bool]string{true: "extended", false: "rfc5246"}[ems]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var rewrite func([]byte)
			if !ems {
				rewrite = disableEMS(t)
			}
			sess, err := runTLS12(t, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, selfSigned(t, rsaKey()), rewrite)
			if ems {
				require.NoError(t, err)
			} else {
				require.Error(t, err) // the server saw another ClientHello
			}
			require.Len(t, sess.clientHS, 2)
			cke := cryptobyte.String(sess.clientHS[1])
			var encrypted []byte
			require.True(t, cke.Skip(4) && cke.ReadUint16LengthPrefixed((*cryptobyte.String)(&encrypted)) && cke.Empty())
			pre, err := rsa.DecryptPKCS1v15(nil, rsaKey(), encrypted)
			require.NoError(t, err)
			require.Len(t, pre, 48)

			classic := cipher.MasterSecret(crypto.SHA256, pre, sess.clientRandom, sess.serverRandom)
			if !ems {
				require.Equal(t, sess.master, classic)
				return
			}
			// session_hash covers ClientHello through ClientKeyExchange
			// (RFC 7627, Section 3): here CH, SH, Certificate, SHD, CKE.
			require.Len(t, sess.serverHS, 3)
			sessionHash := hashOf(crypto.SHA256, sess.clientHS[0], sess.serverHS[0], sess.serverHS[1], sess.serverHS[2], sess.clientHS[1])
			require.Equal(t, sess.master, cipher.ExtendedMasterSecret(crypto.SHA256, pre, sessionHash))
			require.NotEqual(t, classic, sess.master)
		})
	}
}
