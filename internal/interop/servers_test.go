package interop

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// server is one row of the matrix: a real server and how to start it.
type server struct {
	name     string   // the row's name in the table and the README
	stack    string   // the TLS implementation behind it, as Debian 12 ships it
	versions []uint16 // the versions it speaks
	// echo marks a line echo server; the others speak HTTP/1.1 and serve
	// "big" and "small" from the document root.
	echo bool
	// oneFile marks an HTTP server that sends the payload whatever the path.
	oneFile bool
	// start starts the server for one test and returns its address.
	start func(t *testing.T, e *env) string
}

var (
	both  = []uint16{tls.VersionTLS12, tls.VersionTLS13}
	tls12 = []uint16{tls.VersionTLS12}
)

// servers are the rows, in the README's order.
var servers = []*server{
	{name: "openssl s_server -WWW", stack: "OpenSSL 3.0", versions: both, start: startOpenSSL},
	{name: "gnutls-serv --httpdata", stack: "GnuTLS 3.7", versions: both, oneFile: true, start: startGnuTLS},
	{name: "nginx 1.22", stack: "OpenSSL 3.0", versions: both, start: startNginx},
	{name: "lighttpd 1.4 mod_openssl", stack: "OpenSSL 3.0", versions: both, start: lighttpd("mod_openssl")},
	{name: "lighttpd 1.4 mod_gnutls", stack: "GnuTLS 3.7", versions: both, start: lighttpd("mod_gnutls")},
	// Debian 12's mbedTLS 2.28 has no TLS 1.3.
	{name: "lighttpd 1.4 mod_mbedtls", stack: "mbedTLS 2.28", versions: tls12, start: lighttpd("mod_mbedtls")},
	{name: "lighttpd 1.4 mod_wolfssl", stack: "wolfSSL 5.5", versions: both, start: lighttpdConf("mod_wolfssl", withIssuer)},
	{name: "lighttpd 1.4 mod_nss", stack: "NSS 3.87", versions: both, start: lighttpd("mod_nss")},
	// Without the issuer (ssl.ca-file), wolfSSL cannot answer a
	// ClientHello's status_request (which ours sends, as crypto/tls's
	// does): it closes the connection.
	{name: "lighttpd 1.4 mod_wolfssl, no ssl.ca-file", stack: "wolfSSL 5.5", start: lighttpd("mod_wolfssl")},
	// Botan 2 has no TLS 1.3.
	{name: "botan tls_server", stack: "Botan 2.19", versions: tls12, echo: true, start: startBotan},
	{name: "Java SSLServerSocket", stack: "JSSE (OpenJDK 17)", versions: both, start: startJava(0)},
	// The same application, slow to close once our stream ended.
	{name: "Java SSLServerSocket, close() 10 s late", stack: "JSSE (OpenJDK 17)", versions: both, start: startJava(10 * time.Second)},
	{name: "Node.js https", stack: "Node.js's OpenSSL", versions: both, start: startNode},
	{name: "haproxy 2.6", stack: "OpenSSL 3.0", versions: both, start: startHAProxy},
	{name: "stunnel 5.68", stack: "OpenSSL 3.0", versions: both, start: startStunnel},
	{name: "Go net/http", stack: "crypto/tls", versions: both, start: startGo},
}

func startOpenSSL(t *testing.T, e *env) string {
	// -WWW serves files relative to its working directory.
	return runReporting(t, e.www, regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`), "openssl", "s_server",
		"-accept", "127.0.0.1:0", "-cert", e.files.ECDSACert, "-key", e.files.ECDSAKey, "-WWW")
}

// listeningLine is what the Java and Node.js servers print once they listen.
var listeningLine = regexp.MustCompile(`listening on (\d+)`)

func startGnuTLS(t *testing.T, e *env) string {
	addr, port := freeAddr(t)
	runServer(t, e.dir, addr, "gnutls-serv", "--port", port, "--quiet",
		"--x509certfile", e.files.ECDSACert, "--x509keyfile", e.files.ECDSAKey,
		"--httpdata", filepath.Join(e.www, "big"))
	return addr
}

func startBotan(t *testing.T, e *env) string {
	addr, port := freeAddr(t)
	runServer(t, e.dir, addr, "botan", "tls_server", e.files.ECDSACert, e.files.ECDSAKey, "--port="+port)
	return addr
}

func startNginx(t *testing.T, e *env) string {
	return testpeer.StartNginx(t, e.files.ECDSACert, e.files.ECDSAKey, fmt.Sprintf("root %s;", e.www))
}

// lighttpd starts lighttpd with the TLS module mod. mod_nss reads the PEM
// files itself (NSS_NoDB_Init), no certificate database needed.
func lighttpd(mod string) func(*testing.T, *env) string {
	return lighttpdConf(mod, func(*env) string { return "" })
}

// withIssuer gives lighttpd the issuer of its certificate, as a deployment
// with a certificate chain does.
func withIssuer(e *env) string { return fmt.Sprintf("ssl.ca-file = %q\n", e.files.Root) }

// lighttpdConf starts lighttpd with the TLS module mod and extra
// configuration lines.
func lighttpdConf(mod string, extra func(*env) string) func(*testing.T, *env) string {
	return func(t *testing.T, e *env) string {
		needModule(t, mod)
		addr, port := freeAddr(t)
		conf := e.write(t, "lighttpd.conf", fmt.Sprintf(`server.modules = ("%s")
server.document-root = "%s"
server.bind = "127.0.0.1"
server.port = %s
server.errorlog = "/dev/stderr"
ssl.engine = "enable"
ssl.pemfile = "%s"
ssl.privkey = "%s"
`, mod, e.www, port, e.files.ECDSACert, e.files.ECDSAKey)+extra(e))
		runServer(t, e.dir, addr, "lighttpd", "-D", "-f", conf)
		return addr
	}
}

// needModule skips the test when lighttpd's module mod is not installed,
// or fails it under CI=true, as testpeer.NeedTool does for programs.
func needModule(t *testing.T, mod string) {
	t.Helper()
	path := filepath.Join(lighttpdModules, mod+".so")
	if _, err := os.Stat(path); err != nil {
		pkg := "lighttpd-" + strings.ReplaceAll(mod, "_", "-")
		if os.Getenv("CI") == "true" {
			t.Fatalf("interop: %s is required when CI=true (package %s): %v", path, pkg, err)
		}
		t.Skipf("interop: %s not installed (package %s): %v", path, pkg, err)
	}
}

// lighttpdModules is where Debian's lighttpd looks for its modules.
const lighttpdModules = "/usr/lib/lighttpd"

// startJava runs testdata/JSSEServer.java in source-file mode with the RSA
// certificate; the application closes a connection linger after the end
// of the client's stream. Source-file mode compiles in memory, so it needs
// the JDK, not only the runtime.
func startJava(linger time.Duration) func(*testing.T, *env) string {
	return func(t *testing.T, e *env) string {
		testpeer.NeedTool(t, "javac")
		src, err := filepath.Abs(filepath.Join("testdata", "JSSEServer.java"))
		require.NoError(t, err)
		return runReporting(t, e.dir, listeningLine, "java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m",
			src, "0", e.files.RSACert, e.files.RSAKey, e.www, strconv.FormatInt(linger.Milliseconds(), 10))
	}
}

func startNode(t *testing.T, e *env) string {
	src, err := filepath.Abs(filepath.Join("testdata", "server.js"))
	require.NoError(t, err)
	return runReporting(t, e.dir, listeningLine, "node", src, "0", e.files.ECDSACert, e.files.ECDSAKey, e.www)
}

// startHAProxy terminates TLS with haproxy (mode http, RSA certificate) in
// front of a plain HTTP backend in this process.
func startHAProxy(t *testing.T, e *env) string {
	addr, _ := freeAddr(t)
	pem := e.write(t, "haproxy.pem", string(concat(t, e.files.RSACert, e.files.RSAKey)))
	conf := e.write(t, "haproxy.cfg", fmt.Sprintf(`global
	maxconn 100
defaults
	mode http
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend tls
	bind %s ssl crt %s
	default_backend plain
backend plain
	server backend %s
`, addr, pem, startBackend(t, e)))
	runServer(t, e.dir, addr, "haproxy", "-db", "-f", conf)
	return addr
}

// startStunnel terminates TLS with stunnel in front of a plain HTTP
// backend in this process.
func startStunnel(t *testing.T, e *env) string {
	addr, _ := freeAddr(t)
	conf := e.write(t, "stunnel.conf", fmt.Sprintf(`foreground = yes
pid =
[https]
accept = %s
connect = %s
cert = %s
key = %s
`, addr, startBackend(t, e), e.files.ECDSACert, e.files.ECDSAKey))
	runServer(t, e.dir, addr, "stunnel", conf)
	return addr
}

// startBackend serves the document root over plain HTTP on loopback.
func startBackend(t *testing.T, e *env) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.FileServer(http.Dir(e.www))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// startGo serves the document root with net/http over crypto/tls, in this
// process.
func startGo(t *testing.T, e *env) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{
		Handler:   http.FileServer(http.Dir(e.www)),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testpeer.ECDSACertificate()}},
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("interop: Go server: %v", err)
		}
	})
	return ln.Addr().String()
}

func concat(t *testing.T, files ...string) []byte {
	var b []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		b = append(b, data...)
	}
	return b
}

// env is one server's directory: the test certificates (testpeer's PKI:
// an ECDSA P-256 root, ECDSA P-256 and RSA-2048 leaves for localhost and
// 127.0.0.1) and a document root holding "big" (the payload) and "small".
type env struct {
	dir, www string
	files    testpeer.CertFiles
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	files, err := testpeer.WriteCertFiles(dir)
	require.NoError(t, err)
	e := &env{dir: dir, www: filepath.Join(dir, "www"), files: files}
	require.NoError(t, os.Mkdir(e.www, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(e.www, "big"), payload(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(e.www, "small"), smallBody, 0o644))
	return e
}

// write writes name into the server's directory and returns its path.
func (e *env) write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(e.dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}
