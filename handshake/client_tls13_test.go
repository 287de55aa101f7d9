package handshake

import (
	"crypto/ecdh"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// scriptedTransport plays the server from a script: each ReadMessage asks
// next for the message to return, given the ClientHellos sent so far.
type scriptedTransport struct {
	hellos []*ClientHello
	raw    [][]byte // the ClientHellos as sent
	sent   []MsgType
	ccs    int
	next   func(s *scriptedTransport, step int) []byte
	step   int
}

func (s *scriptedTransport) ReadMessage() ([]byte, error) {
	msg := s.next(s, s.step)
	s.step++
	if msg == nil {
		return nil, io.EOF
	}
	return msg, nil
}

func (s *scriptedTransport) WriteMessage(msg []byte) error {
	s.sent = append(s.sent, MsgType(msg[0]))
	if MsgType(msg[0]) == TypeClientHello {
		ch := new(ClientHello)
		if err := ch.Unmarshal(msg); err != nil {
			return err
		}
		s.hellos = append(s.hellos, ch)
		s.raw = append(s.raw, msg)
	}
	return nil
}

func (s *scriptedTransport) WriteChangeCipherSpec() error       { s.ccs++; return nil }
func (s *scriptedTransport) Flush() error                       { return nil }
func (s *scriptedTransport) SetReadKeys(o record.Opener) error  { return nil }
func (s *scriptedTransport) SetWriteKeys(w record.Sealer) error { return nil }
func (s *scriptedTransport) SetVersion(v uint16) error          { return nil }

func (s *scriptedTransport) hello() *ClientHello { return s.hellos[len(s.hellos)-1] }

func testConfig() *Config {
	return &Config{
		ServerName:   "example.test",
		MinVersion:   record.VersionTLS13,
		MaxVersion:   record.VersionTLS13,
		CipherSuites: []uint16{0x1301, 0x1302, 0x1303},
		Groups:       []CurveID{X25519MLKEM768, X25519, CurveP256, CurveP384},
		Rand:         rand.Reader,
		Time:         time.Now,
	}
}

// serverHello returns a TLS 1.3 ServerHello answering ch, changed by edit.
func serverHello(t *testing.T, ch *ClientHello, edit func(*ServerHello)) []byte {
	t.Helper()
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	require.NoError(t, err)
	sh := &ServerHello{
		Vers:             record.VersionTLS12,
		Random:           make([]byte, 32),
		SessionID:        ch.SessionID,
		CipherSuite:      0x1301,
		SupportedVersion: record.VersionTLS13,
		KeyShare:         KeyShare{Group: X25519, Data: key.PublicKey().Bytes()},
	}
	if edit != nil {
		edit(sh)
	}
	msg, err := sh.Marshal()
	require.NoError(t, err)
	return msg
}

// hrr returns a HelloRetryRequest answering ch, changed by edit.
func hrr(t *testing.T, ch *ClientHello, edit func(*ServerHello)) []byte {
	return serverHello(t, ch, func(sh *ServerHello) {
		sh.Random = HelloRetryRequestRandom[:]
		sh.KeyShare = KeyShare{Group: CurveP256}
		if edit != nil {
			edit(sh)
		}
	})
}

func TestClientHelloContents(t *testing.T) {
	t.Parallel()
	s := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	_, err := Client(s, testConfig())
	require.ErrorIs(t, err, io.EOF)
	ch := s.hello()
	require.Len(t, ch.SessionID, 32, "middlebox compatibility mode (RFC 8446, Appendix D.4)")
	require.Equal(t, []uint16{record.VersionTLS13}, ch.SupportedVersions)
	require.Equal(t, []CurveID{X25519MLKEM768, X25519, CurveP256, CurveP384}, ch.SupportedGroups)
	require.Len(t, ch.KeyShares, 2)
	require.Equal(t, X25519MLKEM768, ch.KeyShares[0].Group)
	require.Len(t, ch.KeyShares[0].Data, 1184+32, "ML-KEM-768 encapsulation key then X25519")
	require.Equal(t, X25519, ch.KeyShares[1].Group)
	require.Equal(t, []uint8{pskModeDHE}, ch.PSKModes)
	require.Equal(t, "example.test", ch.ServerName)
	require.Equal(t, 0, s.ccs, "no dummy change_cipher_spec before the server answered")

	// One share for the first preferred group when the hybrid and X25519 are
	// both excluded.
	cfg := testConfig()
	cfg.Groups = []CurveID{CurveP384, CurveP256}
	s = &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	Client(s, cfg)
	require.Len(t, s.hello().KeyShares, 1)
	require.Equal(t, CurveP384, s.hello().KeyShares[0].Group)
}

// TestKeyShareOrder: "Each KeyShareEntry value MUST correspond to a group
// offered in the "supported_groups" extension and MUST appear in the same
// order" (RFC 8446, Section 4.2.8), whatever the preferences or the
// explicit KeyShareGroups say.
func TestKeyShareOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		groups []CurveID
		shares []CurveID
		want   []CurveID
	}{
		{"x25519 first", []CurveID{X25519, X25519MLKEM768, CurveP256}, nil, []CurveID{X25519, X25519MLKEM768}},
		{"hybrid first", []CurveID{X25519MLKEM768, X25519}, nil, []CurveID{X25519MLKEM768, X25519}},
		{"explicit, reordered", []CurveID{CurveP256, X25519, CurveP384}, []CurveID{CurveP384, CurveP256}, []CurveID{CurveP256, CurveP384}},
		{"explicit, not first", []CurveID{X25519MLKEM768, X25519, CurveP256}, []CurveID{CurveP256}, []CurveID{CurveP256}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Groups, cfg.KeyShareGroups = tc.groups, tc.shares
			s := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
			Client(s, cfg)
			var got []CurveID
			for _, ks := range s.hello().KeyShares {
				got = append(got, ks.Group)
			}
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.groups, s.hello().SupportedGroups)
		})
	}
}

func TestServerHelloChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		script    func(t *testing.T, s *scriptedTransport, step int) []byte
		wantAlert alert.Description
	}{
		{"tls12-server", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.SupportedVersion = 0; sh.KeyShare = KeyShare{} })
		}, alert.ProtocolVersion},
		{"unoffered-version", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.SupportedVersion = 0x0305 })
		}, alert.IllegalParameter},
		{"session-id-not-echoed", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.SessionID = nil })
		}, alert.IllegalParameter},
		{"compression", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.CompressionMethod = 1 })
		}, alert.DecodeError},
		{"hrr-compression", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.CompressionMethod = 1 })
		}, alert.DecodeError},
		{"legacy-version-not-tls12", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.Vers = 0x1234 })
		}, alert.IllegalParameter},
		{"hrr-legacy-version-not-tls12", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.Vers = 0x0305 })
		}, alert.IllegalParameter},
		{"unoffered-suite", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.CipherSuite = 0x1304 })
		}, alert.IllegalParameter},
		{"tls12-suite", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.CipherSuite = 0xc02b })
		}, alert.IllegalParameter},
		{"share-for-unsent-group", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.KeyShare.Group = CurveP256 })
		}, alert.IllegalParameter},
		{"bad-x25519-share", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.KeyShare.Data = make([]byte, 31) })
		}, alert.IllegalParameter},
		{"encrypted-extensions-first", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			msg, err := (&EncryptedExtensions{}).Marshal()
			require.NoError(t, err)
			return msg
		}, alert.UnexpectedMessage},
		{"hrr-group-not-supported", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.KeyShare.Group = CurveP521 })
		}, alert.IllegalParameter},
		{"hrr-group-already-shared", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.KeyShare.Group = X25519 })
		}, alert.IllegalParameter},
		{"hrr-changes-nothing", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.KeyShare = KeyShare{} })
		}, alert.IllegalParameter},
		{"hrr-unoffered-suite", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.CipherSuite = 0x00ff })
		}, alert.IllegalParameter},
		{"hrr-session-id", func(t *testing.T, s *scriptedTransport, _ int) []byte {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.SessionID = []byte{1} })
		}, alert.IllegalParameter},
		{"second-hrr", func(t *testing.T, s *scriptedTransport, step int) []byte {
			if step == 0 {
				return hrr(t, s.hello(), nil)
			}
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.KeyShare.Group = CurveP384 })
		}, alert.UnexpectedMessage},
		{"suite-changed-after-hrr", func(t *testing.T, s *scriptedTransport, step int) []byte {
			if step == 0 {
				return hrr(t, s.hello(), nil)
			}
			return serverHello(t, s.hello(), func(sh *ServerHello) { sh.CipherSuite = 0x1302 })
		}, alert.IllegalParameter},
		{"group-changed-after-hrr", func(t *testing.T, s *scriptedTransport, step int) []byte {
			if step == 0 {
				return hrr(t, s.hello(), nil)
			}
			return serverHello(t, s.hello(), nil) // X25519, not the P-256 asked for
		}, alert.IllegalParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &scriptedTransport{}
			s.next = func(s *scriptedTransport, step int) []byte { return tc.script(t, s, step) }
			_, err := Client(s, testConfig())
			var ae *alert.Error
			require.ErrorAs(t, err, &ae, "got %v", err)
			require.False(t, ae.Remote)
			require.Equal(t, tc.wantAlert, ae.Alert.Description, "got %v", err)
		})
	}
}

// After a HelloRetryRequest the second ClientHello carries one share for
// the selected group and the cookie, keeps random and session id, and the
// dummy change_cipher_spec precedes it (RFC 8446, Section 4.1.2 and
// Appendix D.4).
func TestSecondClientHello(t *testing.T) {
	t.Parallel()
	cookie := []byte("a cookie from the server")
	s := &scriptedTransport{}
	var ccsBeforeSecond int
	s.next = func(s *scriptedTransport, step int) []byte {
		if step == 0 {
			return hrr(t, s.hello(), func(sh *ServerHello) { sh.Cookie = cookie })
		}
		ccsBeforeSecond = s.ccs
		return nil
	}
	_, err := Client(s, testConfig())
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, s.hellos, 2)
	first, second := s.hellos[0], s.hellos[1]
	require.Equal(t, first.Random, second.Random)
	require.Equal(t, first.SessionID, second.SessionID)
	require.Equal(t, cookie, second.Cookie)
	require.Len(t, second.KeyShares, 1)
	require.Equal(t, CurveP256, second.KeyShares[0].Group)
	require.Equal(t, 1, ccsBeforeSecond)
}

func TestEncryptedExtensionsChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		serverName string
		nextProtos []string
		ee         *EncryptedExtensions
		wantAlert  alert.Description
	}{
		{"unrequested-alpn", "example.test", nil, &EncryptedExtensions{ALPNProtocol: "h2"}, alert.UnsupportedExtension},
		{"unoffered-alpn-protocol", "example.test", []string{"http/1.1"}, &EncryptedExtensions{ALPNProtocol: "h2"}, alert.IllegalParameter},
		{"server-name-ack-without-sni", "127.0.0.1", nil, &EncryptedExtensions{ServerNameAck: true}, alert.UnsupportedExtension},
		{"record-size-limit-unoffered", "example.test", nil, &EncryptedExtensions{RecordSizeLimit: 16385}, alert.UnsupportedExtension},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ee, err := tc.ee.Marshal()
			require.NoError(t, err)
			s := &scriptedTransport{next: func(s *scriptedTransport, step int) []byte {
				if step == 0 {
					return serverHello(t, s.hello(), nil)
				}
				return ee
			}}
			cfg := testConfig()
			cfg.ServerName, cfg.NextProtos = tc.serverName, tc.nextProtos
			_, err = Client(s, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae, "got %v", err)
			require.Equal(t, tc.wantAlert, ae.Alert.Description, "got %v", err)
		})
	}
}

// "The value of selected_version in the HelloRetryRequest
// "supported_versions" extension MUST be retained in the ServerHello, and
// a client MUST abort the handshake with an "illegal_parameter" alert if
// the value changes" (RFC 8446, Section 4.1.4), also to a version prior
// to TLS 1.3 that we offered (Section 4.2.1), or to none.
func TestServerHelloVersionAfterHRR(t *testing.T) {
	t.Parallel()
	for name, version := range map[string]uint16{"tls12": record.VersionTLS12, "absent": 0, "unoffered": 0x0305} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &scriptedTransport{}
			s.next = func(s *scriptedTransport, step int) []byte {
				if step == 0 {
					return hrr(t, s.hello(), nil)
				}
				key, err := ecdh.P256().GenerateKey(rand.Reader)
				require.NoError(t, err)
				return serverHello(t, s.hello(), func(sh *ServerHello) {
					sh.SupportedVersion = version
					sh.KeyShare = KeyShare{Group: CurveP256, Data: key.PublicKey().Bytes()}
					if version == 0 { // a TLS 1.2 ServerHello has no key_share either
						sh.KeyShare = KeyShare{}
					}
				})
			}
			cfg := testConfig()
			cfg.MinVersion = record.VersionTLS12 // TLS 1.2 offered too
			_, err := Client(s, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae, "got %v", err)
			require.False(t, ae.Remote)
			require.Equal(t, alert.IllegalParameter, ae.Alert.Description, "got %v", err)
			require.Len(t, s.hellos, 2)
		})
	}
}

// pendingTransport reports handshake bytes buffered after every message.
type pendingTransport struct{ *scriptedTransport }

func (pendingTransport) Pending() bool { return true }

// TestHelloRetryRequestTrailingData: bytes after a HelloRetryRequest, before
// our second ClientHello, are an unexpected_message.
func TestHelloRetryRequestTrailingData(t *testing.T) {
	t.Parallel()
	s := &scriptedTransport{}
	s.next = func(s *scriptedTransport, _ int) []byte { return hrr(t, s.hello(), nil) }
	_, err := Client(pendingTransport{s}, testConfig())
	require.ErrorIs(t, err, alert.UnexpectedMessage)
	require.ErrorContains(t, err, "after the HelloRetryRequest")
}
