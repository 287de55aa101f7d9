package handshake

import (
	"crypto/hmac"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
)

// TestResumptionBinderRFC8448 checks the resumption key schedule against
// RFC 8448, Section 4 (the resumed handshake of Section 3's session): the
// PSK from resumption_master_secret and ticket_nonce 00 00, the Early
// Secret, binder_key and the binder over the trace's truncated
// ClientHello hash.
func TestResumptionBinderRFC8448(t *testing.T) {
	t.Parallel()
	suite := cipher.SuiteByID(0x1301)
	resMaster := msgHex(t, "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
	psk := ResumptionPSK(suite, resMaster, []byte{0, 0})
	require.Equal(t, msgHex(t, "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3"), psk)
	early := NewEarlySecret(suite, psk)
	require.Equal(t, msgHex(t, "9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c"), early.secret)
	require.Equal(t, msgHex(t, "69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b 9d 81 07 72 6a 13 d0 74 e3 89 db c8 a4 e4 72 56"), early.ResumptionBinderKey())
	truncatedHash := msgHex(t, "63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04 f6 be 9e 05 71 1a 83 96 47 3a ef a0 1e 92 4a 14")
	require.Equal(t, msgHex(t, "3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d"), early.ResumptionBinder(truncatedHash))
}

var testEpoch = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// testSession is a session for example.test received at testEpoch.
func testSession(suiteID uint16) *Session {
	return &Session{
		suite: cipher.SuiteByID(suiteID), secret: msgSeq(cipher.SuiteByID(suiteID).Hash.Size(), 0x11), nonce: []byte{0, 1},
		ticket: []byte("opaque ticket from the server"), lifetime: 7200, ageAdd: 0xfffffff0,
		receivedAt: testEpoch, serverName: "example.test",
	}
}

func resumeConfig(s *Session, after time.Duration) *Config {
	cfg := testConfig()
	cfg.Session = s
	cfg.Time = func() time.Time { return testEpoch.Add(after) }
	return cfg
}

// truncatedBinder recomputes, independently of Marshal, the binder a
// ClientHello msg must carry: it parses the extensions to find where the
// binders list starts.
func truncatedBinder(t *testing.T, s *Session, prefix *Transcript, msg []byte) []byte {
	t.Helper()
	body := cryptobyte.String(msg[4:])
	var sid, suites, comp, exts cryptobyte.String
	require.True(t, body.Skip(2+32) && body.ReadUint8LengthPrefixed(&sid) && body.ReadUint16LengthPrefixed(&suites) &&
		body.ReadUint8LengthPrefixed(&comp) && body.ReadUint16LengthPrefixed(&exts) && body.Empty())
	var typ uint16
	var data cryptobyte.String
	for !exts.Empty() {
		require.True(t, exts.ReadUint16(&typ) && exts.ReadUint16LengthPrefixed(&data))
	}
	require.Equal(t, ExtPreSharedKey, typ, "pre_shared_key is the last extension")
	var ids, binders cryptobyte.String
	require.True(t, data.ReadUint16LengthPrefixed(&ids))
	cut := len(msg) - len(data) // data now holds the binders list
	require.True(t, data.ReadUint16LengthPrefixed(&binders) && data.Empty())
	if prefix == nil {
		prefix = NewTranscript(s.suite.Hash)
	}
	return NewEarlySecret(s.suite, s.psk()).ResumptionBinder(prefix.SumWith(msg[:cut]))
}

func TestPSKOffer(t *testing.T) {
	t.Parallel()
	s := testSession(0x1301)
	tr := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
	_, err := Client(tr, resumeConfig(s, 1500*time.Millisecond))
	require.ErrorIs(t, err, io.EOF)
	ch := tr.hello()
	require.Equal(t, ExtPreSharedKey, ch.Extensions[len(ch.Extensions)-1])
	require.Equal(t, []uint8{PSKModeDHE}, ch.PSKModes, "psk_dhe_ke only")
	require.NotEmpty(t, ch.KeyShares, "a fresh key share with the PSK")
	require.NotContains(t, ch.Extensions, ExtEarlyData, "no 0-RTT")
	require.Equal(t, []PSKIdentity{{Identity: s.ticket, ObfuscatedTicketAge: 1500 - 0x10}}, ch.PSKIdentities, "age in ms plus age_add, mod 2^32")
	require.Len(t, ch.PSKBinders, 1)
	require.True(t, hmac.Equal(truncatedBinder(t, s, nil, tr.raw[0]), ch.PSKBinders[0]))
}

func TestPSKNotOffered(t *testing.T) {
	t.Parallel()
	other := testSession(0x1301)
	other.serverName = "other.test"
	for _, tc := range []struct {
		name    string
		session *Session
		after   time.Duration
		suites  []uint16
	}{
		{"expired", testSession(0x1301), 7200 * time.Second, nil},
		{"received in the future", testSession(0x1301), -time.Second, nil},
		{"another server name", other, time.Second, nil},
		{"no suite with its hash", testSession(0x1302), time.Second, []uint16{0x1301, 0x1303}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := resumeConfig(tc.session, tc.after)
			if tc.suites != nil {
				cfg.CipherSuites = tc.suites
			}
			tr := &scriptedTransport{next: func(*scriptedTransport, int) []byte { return nil }}
			_, err := Client(tr, cfg)
			require.ErrorIs(t, err, io.EOF)
			require.Empty(t, tr.hello().PSKIdentities)
			require.NotContains(t, tr.hello().Extensions, ExtPreSharedKey)
		})
	}
}

// After a HelloRetryRequest the PSK is offered again with a fresh age and
// a binder over message_hash(ClientHello1), the HelloRetryRequest and
// Truncate(ClientHello2); it is dropped when the HRR's suite has another
// hash.
func TestPSKAfterHelloRetryRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		suite    uint16
		keepsPSK bool
	}{{0x1303, true}, {0x1302, false}} {
		t.Run(fmt.Sprintf("%#04x", tc.suite), func(t *testing.T) {
			t.Parallel()
			s := testSession(0x1301)
			cfg := resumeConfig(s, time.Second)
			var hrrMsg []byte
			tr := &scriptedTransport{next: func(tr *scriptedTransport, step int) []byte {
				if step == 0 {
					hrrMsg = hrr(t, tr.hello(), func(sh *ServerHello) { sh.CipherSuite = tc.suite })
					return hrrMsg
				}
				return nil
			}}
			_, err := Client(tr, cfg)
			require.ErrorIs(t, err, io.EOF)
			require.Len(t, tr.hellos, 2)
			second := tr.hellos[1]
			if !tc.keepsPSK {
				require.Empty(t, second.PSKIdentities)
				require.NotContains(t, second.Extensions, ExtPreSharedKey)
				return
			}
			prefix := NewTranscript(s.suite.Hash)
			prefix.Write(tr.raw[0])
			prefix.RewriteForHRR()
			prefix.Write(hrrMsg)
			require.True(t, hmac.Equal(truncatedBinder(t, s, prefix, tr.raw[1]), second.PSKBinders[0]))
			require.NotEqual(t, tr.hellos[0].PSKBinders[0], second.PSKBinders[0])
		})
	}
}

func TestPSKServerChoices(t *testing.T) {
	t.Parallel()
	ee := must((&EncryptedExtensions{}).Marshal())
	cert := must((&CertificateTLS13{Entries: []CertificateEntry{{Data: []byte{1}}}}).Marshal())
	for _, tc := range []struct {
		name      string
		script    func(t *testing.T, tr *scriptedTransport, step int) []byte
		wantAlert alert.Description
	}{
		{"identity not offered", func(t *testing.T, tr *scriptedTransport, _ int) []byte {
			return serverHello(t, tr.hello(), func(sh *ServerHello) { sh.PreSharedKey, sh.SelectedIdentity = true, 1 })
		}, alert.IllegalParameter},
		{"suite hash not the PSK's", func(t *testing.T, tr *scriptedTransport, _ int) []byte {
			return serverHello(t, tr.hello(), func(sh *ServerHello) { sh.PreSharedKey, sh.CipherSuite = true, 0x1302 })
		}, alert.IllegalParameter},
		{"no key_share under psk_dhe_ke", func(t *testing.T, tr *scriptedTransport, _ int) []byte {
			return serverHello(t, tr.hello(), func(sh *ServerHello) { sh.PreSharedKey, sh.KeyShare = true, KeyShare{} })
		}, alert.IllegalParameter},
		{"pre_shared_key after the PSK was dropped", func(t *testing.T, tr *scriptedTransport, step int) []byte {
			if step == 0 {
				return hrr(t, tr.hello(), func(sh *ServerHello) { sh.CipherSuite = 0x1302 })
			}
			return serverHello(t, tr.hello(), func(sh *ServerHello) {
				sh.PreSharedKey, sh.CipherSuite, sh.KeyShare.Group = true, 0x1302, CurveP256
			})
		}, alert.UnsupportedExtension},
		{"certificate in a resumed handshake", func(t *testing.T, tr *scriptedTransport, step int) []byte {
			switch step {
			case 0:
				return serverHello(t, tr.hello(), func(sh *ServerHello) { sh.PreSharedKey = true })
			case 1:
				return ee
			}
			return cert
		}, alert.UnexpectedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := &scriptedTransport{}
			tr.next = func(tr *scriptedTransport, step int) []byte { return tc.script(t, tr, step) }
			cfg := resumeConfig(testSession(0x1301), time.Second)
			cfg.CipherSuites = []uint16{0x1301, 0x1302}
			_, err := Client(tr, cfg)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae, "got %v", err)
			require.Equal(t, tc.wantAlert, ae.Alert.Description, "got %v", err)
		})
	}
}

// TestSessionPrintsNoSecret: neither String nor any fmt verb shows the
// resumption secret, the nonce or the ticket.
func TestSessionPrintsNoSecret(t *testing.T) {
	t.Parallel()
	s := testSession(0x1301)
	s.secret = []byte("SECRETSECRETSECRETSECRETSECRET!!")
	s.ticket = []byte("TICKETTICKET")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, s)
		require.NotContains(t, out, "SECRET", verb)
		require.NotContains(t, out, "TICKET", verb)
		require.NotContains(t, out, fmt.Sprintf("%x", s.secret[:8]), verb)
		require.Contains(t, out, "example.test", verb)
	}
}

// limitingTransport is a scriptedTransport that records the server's
// record_size_limit as RecordSizeLimiter receives it.
type limitingTransport struct {
	scriptedTransport
	limits []int
}

func (l *limitingTransport) SetPeerRecordSizeLimit(n int) { l.limits = append(l.limits, n) }

// The server's record_size_limit reaches the transport once
// EncryptedExtensions is read, before any record we protect for it.
func TestPeerRecordSizeLimitReachesTransport(t *testing.T) {
	t.Parallel()
	ee := must((&EncryptedExtensions{RecordSizeLimit: 1000}).Marshal())
	tr := &limitingTransport{}
	tr.next = func(s *scriptedTransport, step int) []byte {
		switch step {
		case 0:
			return serverHello(t, s.hello(), nil)
		case 1:
			require.Empty(t, tr.limits, "not before EncryptedExtensions")
			return ee
		}
		return nil
	}
	cfg := testConfig()
	cfg.RecordSizeLimit = 512
	_, err := Client(tr, cfg)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, uint16(512), tr.hellos[0].RecordSizeLimit)
	require.Equal(t, []int{1000}, tr.limits)
}
