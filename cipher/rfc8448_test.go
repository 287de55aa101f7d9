package cipher_test

import (
	"bufio"
	"crypto"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// rfc8448 holds the values of testdata/rfc8448-section3.txt (RFC 8448,
// Section 3, "Simple 1-RTT Handshake"), keyed by name. "input:" lines are the
// RFC trace's own bytes; "derived+checked:" lines are the RFC's intermediate
// values, which the test recomputes from the inputs.
type rfc8448 map[string][]byte

func loadRFC8448(t *testing.T) rfc8448 {
	t.Helper()
	f, err := os.Open("testdata/rfc8448-section3.txt")
	require.NoError(t, err)
	defer f.Close()
	v := rfc8448{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, rest, ok := strings.Cut(line, ": ")
		require.True(t, ok, "line %q", line)
		name, hexValue, ok := strings.Cut(rest, " = ")
		require.True(t, ok, "line %q", line)
		b, err := hex.DecodeString(hexValue)
		require.NoError(t, err, "value of %q", name)
		v[name] = b
	}
	require.NoError(t, sc.Err())
	return v
}

func (v rfc8448) get(t *testing.T, name string) []byte {
	t.Helper()
	b, ok := v[name]
	require.True(t, ok, "testdata lacks %q", name)
	return b
}

func sha256Of(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// finishedMsg builds a TLS 1.3 Finished message from a base key and a
// transcript hash (RFC 8446, Section 4.4.4).
func finishedMsg(baseKey, transcriptHash []byte) (verifyData, msg []byte) {
	finishedKey := cipher.ExpandLabel(crypto.SHA256, baseKey, "finished", nil, 32)
	mac := hmac.New(sha256.New, finishedKey)
	mac.Write(transcriptHash)
	verifyData = mac.Sum(nil)
	return verifyData, append([]byte{20, 0, 0, 32}, verifyData...)
}

// TestRFC8448Section3 runs the RFC 8448 Section 3 trace through the key
// schedule primitives and AEAD13: every secret, key and IV, the Finished
// values, the client's three records byte for byte, and the server's four
// records to their content and real type.
func TestRFC8448Section3(t *testing.T) {
	t.Parallel()
	v := loadRFC8448(t)
	suite := cipher.SuiteByID(0x1301)
	require.NotNil(t, suite)
	cHS, sHS, master := rfc8448HandshakeSecrets(t, v, suite)
	flight := rfc8448ServerFlight(t, v, suite, sHS)
	cAP, sAP := rfc8448ClientFinished(t, v, suite, cHS, master, flight)
	rfc8448ApplicationRecords(t, v, suite, cAP, sAP)
}

// rfc8448HandshakeSecrets checks the shared secret and the key schedule up to
// the master secret (RFC 8446, Section 7.1) and the handshake traffic keys.
func rfc8448HandshakeSecrets(t *testing.T, v rfc8448, suite *cipher.Suite) (cHS, sHS, master []byte) {
	t.Helper()
	h := suite.Hash
	priv, err := ecdh.X25519().NewPrivateKey(v.get(t, "clientPriv"))
	require.NoError(t, err)
	require.Equal(t, v.get(t, "clientPub"), priv.PublicKey().Bytes())
	serverPub, err := ecdh.X25519().NewPublicKey(v.get(t, "serverPub"))
	require.NoError(t, err)
	shared, err := priv.ECDH(serverPub)
	require.NoError(t, err)
	require.Equal(t, v.get(t, "ECDHE shared secret (IKM)"), shared)

	emptyHash := sha256Of()
	early := cipher.Extract(h, nil, nil)
	require.Equal(t, v.get(t, "early secret"), early)
	derived := cipher.DeriveSecret(h, early, "derived", emptyHash)
	require.Equal(t, v.get(t, "derived (for handshake)"), derived)
	hs := cipher.Extract(h, shared, derived)
	require.Equal(t, v.get(t, "handshake secret"), hs)

	chsh := sha256Of(v.get(t, "clientHello"), v.get(t, "serverHello"))
	require.Equal(t, v.get(t, "transcript hash CH..SH"), chsh)
	cHS = cipher.DeriveSecret(h, hs, "c hs traffic", chsh)
	sHS = cipher.DeriveSecret(h, hs, "s hs traffic", chsh)
	require.Equal(t, v.get(t, "client_handshake_traffic_secret"), cHS)
	require.Equal(t, v.get(t, "server_handshake_traffic_secret"), sHS)

	derived = cipher.DeriveSecret(h, hs, "derived", emptyHash)
	require.Equal(t, v.get(t, "derived (for master)"), derived)
	master = cipher.Extract(h, nil, derived)
	require.Equal(t, v.get(t, "master secret"), master)

	requireTrafficKey(t, v, suite, sHS, "server hs write key", "server hs write iv")
	requireTrafficKey(t, v, suite, cHS, "client hs write key", "client hs write iv")
	return cHS, sHS, master
}

func requireTrafficKey(t *testing.T, v rfc8448, suite *cipher.Suite, secret []byte, keyName, ivName string) {
	t.Helper()
	key, iv := suite.TrafficKey(secret)
	require.Equal(t, v.get(t, keyName), key, keyName)
	require.Equal(t, v.get(t, ivName), iv, ivName)
}

// rfc8448ServerFlight opens the server's encrypted flight (EE, Certificate,
// CertificateVerify, Finished in one record under the server handshake key,
// sequence 0) and checks the server Finished.
func rfc8448ServerFlight(t *testing.T, v rfc8448, suite *cipher.Suite, sHS []byte) []byte {
	t.Helper()
	typ, flight, err := cipher.NewTLS13(suite, sHS).Open(nil, 0, clone(v.get(t, "serverHSRecord")))
	require.NoError(t, err)
	require.Equal(t, record.Handshake, typ)
	require.Equal(t, v.get(t, "decrypted server flight == EE|Cert|CV|Fin"), flight)
	chcv := sha256Of(v.get(t, "clientHello"), v.get(t, "serverHello"),
		v.get(t, "encExt"), v.get(t, "cert"), v.get(t, "certVerify"))
	serverVerify, serverFin := finishedMsg(sHS, chcv)
	require.Equal(t, v.get(t, "server Finished verify_data"), serverVerify)
	require.Equal(t, append(append(append(clone(v.get(t, "encExt")), v.get(t, "cert")...),
		v.get(t, "certVerify")...), serverFin...), flight)
	return flight
}

// rfc8448ClientFinished derives the application secrets, seals the client's
// Finished byte for byte and checks the resumption master secret.
func rfc8448ClientFinished(t *testing.T, v rfc8448, suite *cipher.Suite, cHS, master, flight []byte) (cAP, sAP []byte) {
	t.Helper()
	h := suite.Hash
	chsf := sha256Of(v.get(t, "clientHello"), v.get(t, "serverHello"), flight)
	require.Equal(t, v.get(t, "transcript hash CH..server Finished"), chsf)
	cAP = cipher.DeriveSecret(h, master, "c ap traffic", chsf)
	sAP = cipher.DeriveSecret(h, master, "s ap traffic", chsf)
	require.Equal(t, v.get(t, "client_application_traffic_secret_0"), cAP)
	require.Equal(t, v.get(t, "server_application_traffic_secret_0"), sAP)
	require.Equal(t, v.get(t, "exporter_master_secret"), cipher.DeriveSecret(h, master, "exp master", chsf))

	clientVerify, clientFin := finishedMsg(cHS, chsf)
	require.Equal(t, v.get(t, "client Finished verify_data"), clientVerify)
	got := cipher.NewTLS13(suite, cHS).Seal(nil, record.Handshake, 0, clientFin)
	require.Equal(t, v.get(t, "clientFinishedRecord"), got)
	chcf := sha256Of(v.get(t, "clientHello"), v.get(t, "serverHello"), flight, clientFin)
	require.Equal(t, v.get(t, "resumption_master_secret"), cipher.DeriveSecret(h, master, "res master", chcf))

	requireTrafficKey(t, v, suite, sAP, "server app write key", "server app write iv")
	requireTrafficKey(t, v, suite, cAP, "client app write key", "client app write iv")
	return cAP, sAP
}

// rfc8448ApplicationRecords seals the client's application data (seq 0) and
// close_notify (seq 1) byte for byte, and opens the server's
// NewSessionTicket (seq 0), application data (seq 1) and close_notify (seq 2).
func rfc8448ApplicationRecords(t *testing.T, v rfc8448, suite *cipher.Suite, cAP, sAP []byte) {
	t.Helper()
	clientAP := cipher.NewTLS13(suite, cAP)
	require.Equal(t, v.get(t, "clientAppRecord"), clientAP.Seal(nil, record.ApplicationData, 0, v.get(t, "appData")))
	closeNotify := alert.Alert{Level: alert.Warning, Description: alert.CloseNotify}.Marshal()
	require.Equal(t, v.get(t, "clientAlertRecord"), clientAP.Seal(nil, record.Alert, 1, closeNotify))

	serverAP := cipher.NewTLS13(suite, sAP)
	typ, nst, err := serverAP.Open(nil, 0, clone(v.get(t, "nstRecord")))
	require.NoError(t, err)
	require.Equal(t, record.Handshake, typ)
	require.Equal(t, v.get(t, "NewSessionTicket msg type/len"), nst[:4])
	require.Len(t, nst, 4+0xc9)
	typ, data, err := serverAP.Open(nil, 1, clone(v.get(t, "serverAppRecord")))
	require.NoError(t, err)
	require.Equal(t, record.ApplicationData, typ)
	require.Equal(t, v.get(t, "appData"), data)
	typ, body, err := serverAP.Open(make([]byte, 0, 64), 2, v.get(t, "serverAlertRecord"))
	require.NoError(t, err)
	require.Equal(t, record.Alert, typ)
	require.Equal(t, closeNotify, body)

	// The same record under the wrong sequence number does not authenticate.
	_, _, err = serverAP.Open(nil, 3, clone(v.get(t, "serverAlertRecord")))
	require.ErrorIs(t, err, alert.BadRecordMAC)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
