package handshake

import (
	"crypto/x509"
	"runtime"
	"sync"
	"weak"
)

// certCache shares parsed server certificates between connections, as
// crypto/tls's client does: a client that holds many connections to the
// same servers keeps one *x509.Certificate per certificate, not one per
// connection. Entries are weak: a certificate no connection references is
// collected and its entry removed.
var certCache = struct {
	sync.Mutex
	m map[string]weak.Pointer[x509.Certificate]
}{m: make(map[string]weak.Pointer[x509.Certificate])}

// parseCertificate returns der parsed, shared with other connections that
// received the same bytes. Callers must not modify the result.
func parseCertificate(der []byte) (*x509.Certificate, error) {
	certCache.Lock()
	wp, ok := certCache.m[string(der)]
	certCache.Unlock()
	if ok {
		if c := wp.Value(); c != nil {
			return c, nil
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	key := string(der)
	wp = weak.Make(c)
	certCache.Lock()
	certCache.m[key] = wp
	certCache.Unlock()
	runtime.AddCleanup(c, func(key string) {
		certCache.Lock()
		if certCache.m[key] == wp {
			delete(certCache.m, key)
		}
		certCache.Unlock()
	}, key)
	return c, nil
}
