package testpeer

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartNginx runs nginx on a free 127.0.0.1 port until the test ends and
// returns its address once it accepts connections. It is a foreground,
// single-process nginx with TLS 1.2 and 1.3, the certificate certFile and
// its key keyFile, and every file it writes inside a t.TempDir(); server
// holds the directives of its server block beyond listen and the
// certificate ("root /www;", a location ...). listenParams are appended to
// the listen directive after "ssl" ("http2"). Its error log is shown when
// the test failed. The test is skipped when nginx is not installed, or
// fails under CI=true (NeedTool).
func StartNginx(t testing.TB, certFile, keyFile, server string, listenParams ...string) (addr string) {
	t.Helper()
	bin := NeedTool(t, "nginx")
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := filepath.Join(dir, "nginx.conf")
	listen := strings.Join(append([]string{addr, "ssl"}, listenParams...), " ")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, listen, certFile, keyFile, server)), 0o600); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	errLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", errLog)
	cmd.Dir = dir
	out := &output{changed: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testpeer: starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	logs := func() string {
		content, _ := os.ReadFile(errLog)
		return string(content) + out.String()
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("testpeer: nginx error log:\n%s", logs())
		}
	})
	if err := waitAccepting(addr, exited); err != nil {
		t.Fatalf("testpeer: nginx on %s: %v (error log below)", addr, err)
	}
	return addr
}

// waitAccepting dials addr until it answers, the process reports on exited
// that it ended (the error is put back for the cleanup), or startTimeout
// passes.
func waitAccepting(addr string, exited chan error) error {
	for deadline := time.Now().Add(startTimeout); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case werr := <-exited:
			exited <- werr
			return fmt.Errorf("exited before accepting connections: %v", werr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %v: %v", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nginxConf is a foreground, single-process nginx whose one server listens
// with the parameters listen, with every path inside dir.
func nginxConf(dir, listen, certFile, keyFile, server string) string {
	r := strings.NewReplacer("{dir}", dir, "{listen}", listen, "{cert}", certFile, "{key}", keyFile, "{server}", server)
	return r.Replace(`daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path {dir}/body;
	proxy_temp_path {dir}/proxy;
	fastcgi_temp_path {dir}/fastcgi;
	uwsgi_temp_path {dir}/uwsgi;
	scgi_temp_path {dir}/scgi;
	server {
		listen {listen};
		ssl_certificate {cert};
		ssl_certificate_key {key};
		ssl_protocols TLSv1.2 TLSv1.3;
		{server}
	}
}
`)
}
