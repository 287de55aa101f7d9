package conn_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// constructorLine matches what may differ between the two programs in
// testdata/dropin: the import block and the lines marked "constructor".
var constructorLine = regexp.MustCompile(`(?m)^.*// constructor\n`)

func dropInSource(t *testing.T, dir string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "dropin", dir, "main.go"))
	require.NoError(t, err)
	src = regexp.MustCompile(`(?s)import \(.*?\n\)\n`).ReplaceAll(src, nil)
	return constructorLine.ReplaceAll(src, nil)
}

// A program written against crypto/tls (testdata/dropin/cryptotls) and its
// twin with only the imports and constructors changed
// (testdata/dropin/tlsrecord) compile and print the same against the same
// servers: a raw echo server and a net/http server speaking h2 and
// http/1.1.
func TestDropIn(t *testing.T) {
	t.Parallel()
	require.Equal(t, string(dropInSource(t, "cryptotls")), string(dropInSource(t, "tlsrecord")),
		"the programs may differ only in imports and constructor lines")

	pki := getPKI(t)
	_, _, caFile := pki.writePEM(t, "ecdsa")
	raw := serveGo(t, serverConfig(t, "ecdsa"), echo)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.leaves["ecdsa"]}}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	var outputs []string
	for _, dir := range []string{"cryptotls", "tlsrecord"} {
		bin := filepath.Join(t.TempDir(), dir)
		out, err := exec.Command("go", "build", "-o", bin, "./testdata/dropin/"+dir).CombinedOutput()
		require.NoError(t, err, "%s", out)
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "-raw", raw.addr, "-url", srv.URL, "-ca", caFile, "-name", testHost)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s: %s", dir, stderr.String())
		outputs = append(outputs, stdout.String())
	}
	require.Equal(t, `raw: TLS 1.3 true example.test example.test 1 true
echo: ping
certificate error: 1 true
http/1.1: 200 OK HTTP/1.1 hello
h2: 200 OK HTTP/2.0 h2 hello
`, outputs[0], "crypto/tls")
	require.Equal(t, outputs[0], outputs[1], "tlsrecord prints what crypto/tls prints")
}
