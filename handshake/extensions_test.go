package handshake

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
)

func TestServerNameIndication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string // want "" means no server_name extension
	}{
		{"example.com", "example.com"},
		{"example.com.", "example.com"},
		{"example.com..", "example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"localhost", "localhost"},
		{"192.0.2.1", ""},
		{"192.0.2.1.", ""},
		{"2001:db8::1", ""},
		{"[2001:db8::1]", ""},
		{"fe80::1%eth0", ""},
		{"::ffff:192.0.2.1", ""},
		{"", ""},
		{".", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ch := &ClientHello{Vers: 0x0303, Random: msgSeq(32, 0), CipherSuites: []uint16{0x1301}, ServerName: tc.name}
			wire, err := ch.Marshal()
			require.NoError(t, err)
			var got ClientHello
			require.NoError(t, got.Unmarshal(wire))
			require.Equal(t, tc.want, got.ServerName)
			require.Equal(t, tc.want != "", slices.Contains(got.Extensions, ExtServerName))
			require.Equal(t, tc.want != "", ch.Offers(ExtServerName))
		})
	}
}

func TestCheckSolicited(t *testing.T) {
	t.Parallel()
	bare := &ClientHello{SupportedVersions: []uint16{0x0304}, KeyShares: []KeyShare{{Group: X25519, Data: []byte{1}}}}
	full := &ClientHello{
		ServerName: "example.com", SupportedVersions: []uint16{0x0304}, KeyShares: bare.KeyShares,
		SupportedGroups: []CurveID{X25519}, ALPNProtocols: []string{"h2"}, ExtendedMasterSecret: true,
		SecureRenegotiation: true, ECPointFormats: []uint8{0}, TicketSupported: true, RequestOCSP: true,
		RequestSCTs: true, RecordSizeLimit: 16385,
	}
	tests := []struct {
		name      string
		hello     *ClientHello
		exts      []uint16
		wantAlert alert.Description // 0: no error
	}{
		{"server hello", bare, []uint16{ExtKeyShare, ExtSupportedVersions}, 0},
		{"hrr cookie is always allowed", bare, []uint16{ExtSupportedVersions, ExtKeyShare, ExtCookie}, 0},
		{"ALPN not offered", bare, []uint16{ExtALPN}, alert.UnsupportedExtension},
		{"server_name not offered", bare, []uint16{ExtSupportedGroups, ExtServerName}, alert.UnsupportedExtension},
		{"server_name for an IP address", &ClientHello{ServerName: "192.0.2.1"}, []uint16{ExtServerName}, alert.UnsupportedExtension},
		{"record_size_limit not offered", bare, []uint16{ExtRecordSizeLimit}, alert.UnsupportedExtension},
		{"OCSP staple not requested", bare, []uint16{ExtStatusRequest}, alert.UnsupportedExtension},
		{"pre_shared_key never offered", full, []uint16{ExtPreSharedKey}, alert.UnsupportedExtension},
		{"everything offered", full, []uint16{
			ExtServerName, ExtALPN, ExtSupportedGroups, ExtRecordSizeLimit, ExtExtendedMasterSecret,
			ExtRenegotiationInfo, ExtECPointFormats, ExtSessionTicket, ExtStatusRequest, ExtSCT,
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.hello.CheckSolicited(tc.exts)
			if tc.wantAlert == 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantAlert)
		})
	}
}

// TestOffersMatchesMarshal checks Offers against the extensions Marshal
// actually writes.
func TestOffersMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripCases() {
		ch, ok := tc.msg.(*ClientHello)
		if !ok {
			continue
		}
		wire, err := ch.Marshal()
		require.NoError(t, err)
		var got ClientHello
		require.NoError(t, got.Unmarshal(wire))
		for typ := range extInfo {
			require.Equal(t, slices.Contains(got.Extensions, typ), ch.Offers(typ), "%s in %s", extName(typ), tc.name)
		}
	}
}

func TestExtensionNames(t *testing.T) {
	t.Parallel()
	require.Equal(t, "key_share", extName(ExtKeyShare))
	require.Equal(t, "extension(0xfafa)", extName(0xfafa))
	require.Equal(t, "hello_retry_request", inHRR.String())
	// RFC 8446's table: key_share may appear in CH, SH and HRR only.
	require.Equal(t, inCH|inSH|inHRR, extInfo[ExtKeyShare].in)
}

func TestHelloRetryRequestRandom(t *testing.T) {
	t.Parallel()
	require.Equal(t, sha256.Sum256([]byte("HelloRetryRequest")), HelloRetryRequestRandom)
	require.Equal(t, "DOWNGRD\x01", string(DowngradeTLS12[:]))
	require.Equal(t, "DOWNGRD\x00", string(DowngradeTLS11[:]))
	require.True(t, (&ServerHello{Random: HelloRetryRequestRandom[:]}).IsHelloRetryRequest())
	require.False(t, (&ServerHello{Random: msgSeq(32, 0)}).IsHelloRetryRequest())
	require.False(t, (&ServerHello{}).IsHelloRetryRequest())
}

func TestMessageHash(t *testing.T) {
	t.Parallel()
	digest := sha256.Sum256([]byte("client hello"))
	got := MessageHash(digest[:])
	require.Equal(t, append([]byte{254, 0, 0, 32}, digest[:]...), got)
}

func ExampleMessageHash() {
	digest := sha256.Sum256(nil) // Hash(ClientHello1)
	fmt.Printf("% x\n", MessageHash(digest[:])[:8])
	// Output: fe 00 00 20 e3 b0 c4 42
}

func ExampleKeyUpdate_Marshal() {
	msg, _ := (&KeyUpdate{RequestUpdate: UpdateRequested}).Marshal()
	fmt.Printf("% x\n", msg)
	var ku KeyUpdate
	fmt.Println(ku.Unmarshal([]byte{24, 0, 0, 1, 2}))
	// Output:
	// 18 00 00 01 01
	// tls: key_update with request_update 2 (illegal_parameter)
}

func ExampleClientHello_Marshal() {
	ch := &ClientHello{
		Vers:              0x0303,
		Random:            make([]byte, 32),
		CipherSuites:      []uint16{0x1301},
		ServerName:        "192.0.2.1", // an IP address: no server_name
		SupportedVersions: []uint16{0x0304},
	}
	msg, _ := ch.Marshal()
	var parsed ClientHello
	_ = parsed.Unmarshal(msg)
	fmt.Printf("%#04x %q\n", parsed.Extensions, parsed.ServerName)
	// Output: [0x002b] ""
}
