package handshake

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// Every ServerHello, ServerKeyExchange, message order and Finished rule of
// the TLS 1.2 flow, one row each, against server12 with one thing broken.
func TestTLS12Checks(t *testing.T) {
	t.Parallel()
	sentinel := func(tail [8]byte) func(*ServerHello) {
		return func(sh *ServerHello) { copy(sh.Random[24:], tail[:]) }
	}
	for _, tc := range []struct {
		name      string
		server    func(s *server12)
		config    func(c *Config)
		wantAlert alert.Description // 0: the handshake succeeds
	}{
		// Version negotiation and downgrade protection (RFC 8446, Section
		// 4.1.3 and 4.2.1).
		{"downgrade-tls12-sentinel", func(s *server12) { s.editSH = sentinel(DowngradeTLS12) }, nil, alert.IllegalParameter},
		{"downgrade-tls11-sentinel", func(s *server12) { s.editSH = sentinel(DowngradeTLS11) }, nil, alert.IllegalParameter},
		{"max12-tls12-sentinel-accepted", func(s *server12) { s.editSH = sentinel(DowngradeTLS12) },
			func(c *Config) { c.MaxVersion = record.VersionTLS12 }, 0},
		{"max12-tls11-with-sentinel", func(s *server12) {
			s.editSH = func(sh *ServerHello) { sh.Vers = 0x0302; copy(sh.Random[24:], DowngradeTLS11[:]) }
		}, func(c *Config) { c.MaxVersion = record.VersionTLS12 }, alert.IllegalParameter},
		{"tls11", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.Vers = 0x0302 } }, nil, alert.ProtocolVersion},
		{"tls12-below-min", nil, func(c *Config) { c.MinVersion = record.VersionTLS13 }, alert.ProtocolVersion},
		{"legacy-version-tls13", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.Vers = record.VersionTLS13 } }, nil, alert.IllegalParameter},
		{"supported-versions-tls12", func(s *server12) {
			s.editSH = func(sh *ServerHello) {
				*sh = ServerHello{Random: sh.Random, CipherSuite: 0xc02b, SupportedVersion: record.VersionTLS12}
			}
		}, nil, alert.IllegalParameter},
		{"supported-versions-tls13-not-offered", func(s *server12) {
			s.editSH = func(sh *ServerHello) {
				*sh = ServerHello{Random: sh.Random, CipherSuite: 0x1301, SupportedVersion: record.VersionTLS13}
			}
		}, func(c *Config) { c.MaxVersion = record.VersionTLS12 }, alert.IllegalParameter},

		// ServerHello (RFC 5246, Section 7.4.1.3; RFC 5746; RFC 7627).
		{"tls13-suite", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.CipherSuite = 0x1301 } }, nil, alert.IllegalParameter},
		{"cbc-suite", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.CipherSuite = 0xc013 } }, nil, alert.IllegalParameter},
		{"suite-not-in-our-list", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.CipherSuite = 0xc02f } },
			func(c *Config) { c.CipherSuites = []uint16{0xc02b} }, alert.IllegalParameter},
		{"compression", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.CompressionMethod = 1 } }, nil, alert.IllegalParameter},
		{"session-id-echoed", func(s *server12) {
			s.editSH = func(sh *ServerHello) { sh.SessionID = s.hello.SessionID }
		}, nil, alert.IllegalParameter},
		{"renegotiated-connection", func(s *server12) {
			s.editSH = func(sh *ServerHello) { sh.RenegotiatedConnection = []byte("previous verify_data") }
		}, nil, alert.HandshakeFailure},
		{"no-renegotiation-info-accepted", func(s *server12) {
			s.editSH = func(sh *ServerHello) { sh.SecureRenegotiation = false }
		}, nil, 0},
		{"no-ems", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.ExtendedMasterSecret = false } }, nil, alert.HandshakeFailure},
		{"no-ems-allowed", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.ExtendedMasterSecret = false } },
			func(c *Config) { c.AllowNoExtendedMasterSecret = true }, 0},
		{"no-uncompressed-points", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.ECPointFormats = []uint8{1, 2} } }, nil, alert.IllegalParameter},
		{"unoffered-alpn", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.ALPNProtocol = "http/1.1" } },
			func(c *Config) { c.NextProtos = []string{"h2"} }, alert.IllegalParameter},
		{"unsolicited-alpn", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.ALPNProtocol = "h2" } }, nil, alert.UnsupportedExtension},
		{"unsolicited-session-ticket", func(s *server12) { s.editSH = func(sh *ServerHello) { sh.TicketSupported = true } }, nil, alert.UnsupportedExtension},

		// ServerKeyExchange (RFC 8422, Sections 5.3 and 5.4; RFC 5246,
		// Section 7.4.3).
		{"curve-not-offered", func(s *server12) { s.curve = CurveP521 }, nil, alert.IllegalParameter},
		{"hybrid-in-tls12", func(s *server12) { s.curve = X25519MLKEM768 }, nil, alert.IllegalParameter},
		{"curve-excluded-by-config", func(s *server12) { s.curve = CurveP384 },
			func(c *Config) { c.Groups = []CurveID{X25519} }, alert.IllegalParameter},
		{"explicit-curve", func(s *server12) {
			s.rawSKE = func(msg []byte) []byte { msg[4] = 1; return msg } // curve_type explicit_prime
		}, nil, alert.IllegalParameter},
		{"scheme-not-offered", func(s *server12) { s.scheme = ECDSAWithSHA1 }, nil, alert.IllegalParameter},
		{"scheme-wrong-key-type", func(s *server12) { s.scheme = PSSWithSHA256 }, nil, alert.IllegalParameter},
		{"ecdsa-suite-rsa-key", func(s *server12) { s.cert, s.scheme = "rsa", PSSWithSHA256 }, nil, alert.IllegalParameter},
		{"rsa-suite-ecdsa-key", func(s *server12) { s.suite = 0xc02f }, nil, alert.IllegalParameter},
		{"bad-signature", func(s *server12) {
			s.editSKE = func(ske *ServerKeyExchange) { ske.Signature[len(ske.Signature)-1] ^= 1 }
		}, nil, alert.DecryptError},
		{"signature-over-other-params", func(s *server12) {
			s.editSKE = func(ske *ServerKeyExchange) { ske.Public = append([]byte(nil), ske.Public...); ske.Public[0] ^= 1 }
		}, nil, alert.DecryptError},
		{"invalid-point-signed", func(s *server12) {
			s.curve = CurveP256
			s.editPoint = func(p []byte) []byte { return p[:10] }
		}, nil, alert.IllegalParameter},
		{"point-not-on-curve-signed", func(s *server12) {
			s.curve = CurveP256
			s.editPoint = func(p []byte) []byte { p = append([]byte(nil), p...); p[len(p)-1] ^= 1; return p }
		}, nil, alert.IllegalParameter},
		{"x25519-zero-point-signed", func(s *server12) {
			s.editPoint = func(p []byte) []byte { return make([]byte, 32) }
		}, nil, alert.IllegalParameter},

		// Message order (RFC 5246, Section 7.3).
		{"no-server-key-exchange", func(s *server12) { s.skipSKE = true }, nil, alert.UnexpectedMessage},
		{"certificate-status-without-status-request", func(s *server12) { s.ocsp = []byte("an OCSP response") }, nil, alert.UnexpectedMessage},
		{"hello-requests-ignored", func(s *server12) { s.hellosBefore = map[int]int{0: 1, 2: 2, 4: 1} }, nil, 0},
		{"hello-request-flood", func(s *server12) { s.hellosBefore = map[int]int{1: 3, 2: 2} }, nil, alert.UnexpectedMessage},

		// Finished (RFC 5246, Section 7.4.9).
		{"bad-finished", func(s *server12) {
			s.editFinished = func(v []byte) []byte { v[0] ^= 1; return v }
		}, nil, alert.DecryptError},
		{"short-finished", func(s *server12) { s.editFinished = func(v []byte) []byte { return v[:11] } }, nil, alert.DecryptError},
		{"no-change-cipher-spec", func(s *server12) {
			s.ccsErr = alert.Wrap(alert.UnexpectedMessage, errors.New("tls: expected change_cipher_spec"))
		}, nil, alert.UnexpectedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer12(t)
			if tc.server != nil {
				tc.server(s)
			}
			cfg := testConfig12()
			if tc.config != nil {
				tc.config(cfg)
			}
			st, err := s.run(cfg)
			if tc.wantAlert == 0 {
				require.NoError(t, err)
				require.True(t, s.clientFin)
				require.Equal(t, record.VersionTLS12, st.Version)
				return
			}
			var ae *alert.Error
			require.ErrorAs(t, err, &ae, "got %v", err)
			require.False(t, ae.Remote)
			require.Equal(t, tc.wantAlert, ae.Alert.Description, "got %v", err)
		})
	}
}

// A CertificateStatus after the Certificate is optional even when the
// server answered status_request (RFC 6066, Section 8); its response is
// reported in the State, with the server's signature scheme and
// tls-unique.
func TestClientTLS12CertificateStatus(t *testing.T) {
	t.Parallel()
	for _, ocsp := range [][]byte{[]byte("an OCSP response"), nil} {
		s := newServer12(t)
		s.editSH = func(sh *ServerHello) { sh.OCSPStapling = true }
		s.ocsp = ocsp
		st, err := s.run(testConfig12())
		require.NoError(t, err)
		require.Equal(t, ocsp, st.OCSPResponse)
		require.Equal(t, s.scheme, st.PeerSignatureScheme)
		require.Len(t, st.TLSUnique, 12, "the client's Finished verify_data")
	}
}
