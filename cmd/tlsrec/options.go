package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// common holds the flags connect and probe share.
type common struct {
	ca, serverName, alpn string
	minV, maxV           string
	tls12, tls13         bool
	cert, key            string
	insecure             bool
	timeout              time.Duration
	keyLog, pcap         string
	json, verbose        bool
}

// register adds the common flags; --pcap only where one connection is
// recorded (connect).
func (o *common) register(fs *flag.FlagSet, withPcap bool) {
	fs.StringVar(&o.ca, "ca", "", "verify the server with the PEM certificates in `file` instead of the system roots")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate chain and name")
	fs.StringVar(&o.serverName, "servername", "", "SNI and certificate `name` (default: the host of host:port)")
	fs.StringVar(&o.alpn, "alpn", "", "offer these ALPN protocols, comma-separated `list`")
	fs.BoolVar(&o.tls12, "tls12", false, "speak TLS 1.2 only")
	fs.BoolVar(&o.tls13, "tls13", false, "speak TLS 1.3 only")
	fs.StringVar(&o.minV, "min", "", "lowest `version` to offer: 1.2 or 1.3")
	fs.StringVar(&o.maxV, "max", "", "highest `version` to offer: 1.2 or 1.3")
	fs.StringVar(&o.cert, "cert", "", "client certificate chain, PEM `file` (with --key)")
	fs.StringVar(&o.key, "key", "", "client private key, PEM `file` (with --cert)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound on the dial, on the handshake and on the close, each")
	fs.StringVar(&o.keyLog, "keylog", "", "append the NSS key log to `file` (SSLKEYLOGFILE is honoured too)")
	if withPcap {
		fs.StringVar(&o.pcap, "pcap", "", "write a pcapng `file` with the key log embedded: tshark -r FILE decrypts it (packets synthesized, see above)")
	}
	fs.BoolVar(&o.json, "json", false, "print every line as one JSON object")
	fs.BoolVar(&o.verbose, "v", false, "print the timeline: records, handshake messages, alerts")
}

// usageError is a bad command line or input file: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

var versions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// versionRange resolves --tls12, --tls13, --min and --max.
func (o *common) versionRange() (uint16, uint16, error) {
	lo, hi := o.minV, o.maxV
	switch {
	case o.tls12 && o.tls13:
		return 0, 0, usagef("--tls12 and --tls13 exclude each other")
	case (o.tls12 || o.tls13) && (lo != "" || hi != ""):
		return 0, 0, usagef("--tls12/--tls13 and --min/--max exclude each other")
	case o.tls12:
		lo, hi = "1.2", "1.2"
	case o.tls13:
		lo, hi = "1.3", "1.3"
	}
	var out [2]uint16
	for i, s := range []string{lo, hi} {
		if s == "" {
			continue
		}
		v, ok := versions[strings.TrimPrefix(strings.ToLower(s), "tls")]
		if !ok {
			return 0, 0, usagef("unknown TLS version %q (want 1.2 or 1.3)", s)
		}
		out[i] = v
	}
	if out[0] != 0 && out[1] != 0 && out[0] > out[1] {
		return 0, 0, usagef("--min %s is above --max %s", lo, hi)
	}
	return out[0], out[1], nil
}

// config builds the client Config for addr. keys receives the key log
// (for --keylog, SSLKEYLOGFILE and --pcap); close it when done.
func (o *common) config(addr string) (*conn.Config, *keyLog, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, usagef("address %q: %v (want host:port)", addr, err)
	}
	cfg := &conn.Config{ServerName: o.serverName, InsecureSkipVerify: o.insecure}
	if cfg.ServerName == "" {
		cfg.ServerName = strings.TrimSuffix(host, ".")
	}
	if cfg.MinVersion, cfg.MaxVersion, err = o.versionRange(); err != nil {
		return nil, nil, err
	}
	if o.alpn != "" {
		cfg.NextProtos = strings.Split(o.alpn, ",")
	}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, nil, usagef("--ca: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, nil, usagef("--ca: no PEM certificate in %s", o.ca)
		}
	}
	if (o.cert == "") != (o.key == "") {
		return nil, nil, usagef("--cert and --key go together")
	}
	if o.cert != "" {
		c, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, nil, usagef("--cert/--key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	if o.timeout <= 0 {
		return nil, nil, usagef("--timeout must be positive")
	}
	kl, err := openKeyLog(o.keyLog, o.pcap != "")
	if err != nil {
		return nil, nil, err
	}
	cfg.KeyLogWriter = kl
	return cfg, kl, nil
}

// keyLog is the NSS key log sink: the --keylog file, SSLKEYLOGFILE, and a
// copy in memory for the pcapng's Decryption Secrets Block.
type keyLog struct {
	mu    sync.Mutex
	files []*os.File
	mem   *bytes.Buffer // nil without --pcap
}

func openKeyLog(path string, keep bool) (*keyLog, error) {
	kl := &keyLog{}
	if keep {
		kl.mem = new(bytes.Buffer)
	}
	for _, p := range []string{path, os.Getenv("SSLKEYLOGFILE")} {
		if p == "" {
			continue
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			kl.Close()
			return nil, fmt.Errorf("key log: %w", err)
		}
		kl.files = append(kl.files, f)
	}
	return kl, nil
}

func (kl *keyLog) Write(p []byte) (int, error) {
	kl.mu.Lock()
	defer kl.mu.Unlock()
	var errs []error
	for _, f := range kl.files {
		_, err := f.Write(p)
		errs = append(errs, err)
	}
	if kl.mem != nil {
		kl.mem.Write(p)
	}
	return len(p), errors.Join(errs...)
}

// Bytes returns the key log kept for the pcapng.
func (kl *keyLog) Bytes() []byte {
	kl.mu.Lock()
	defer kl.mu.Unlock()
	if kl.mem == nil {
		return nil
	}
	return bytes.Clone(kl.mem.Bytes())
}

func (kl *keyLog) Close() error {
	var errs []error
	for _, f := range kl.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

var _ io.WriteCloser = (*keyLog)(nil)
