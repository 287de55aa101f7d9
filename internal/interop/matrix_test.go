package interop

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// Shorthands for the table's cells.
const (
	v12 = tls.VersionTLS12
	v13 = tls.VersionTLS13

	ok          = "ok"
	closeNotify = endCloseNotify
	served      = "served, " + endCloseNotify
	ignored     = "ignored"
)

// clean is a server that ends every connection with close_notify, answers
// ours, serves a half-closed client and ignores a warning, on both versions.
var clean = map[uint16]outcome{
	v12: {ok, closeNotify, closeNotify, served, ignored},
	v13: {ok, closeNotify, closeNotify, served, ignored},
}

// either is a cell where the server's choice depends on the scheduling of
// its own event loop: each alternative has been seen.
func either(alternatives ...string) string { return strings.Join(alternatives, " | ") }

// matrix is what each server does at the end of a connection, per
// version: the servers' behaviour, found by running them and pinned here.
// The README's "How real servers end a connection" is rendered from it
// (TestREADMEMatrix).
var matrix = map[string]map[uint16]outcome{
	"openssl s_server -WWW": clean,
	// gnutls-serv closes at once on a warning alert, without close_notify.
	// Whether it answers a request that came with our close_notify depends
	// on which of its select loop's branches runs first; when it does not,
	// it closes with our close_notify unread, so the kernel sends an RST.
	"gnutls-serv --httpdata": {
		v12: {ok, closeNotify, closeNotify, either(served, "not served, "+endRST), endFIN},
		v13: {ok, closeNotify, closeNotify, either(served, "not served, "+endRST), endFIN},
	},
	// nginx never answers close_notify: it closes the TCP connection.
	"nginx 1.22": {
		v12: {ok, closeNotify, endFIN, "served, " + endFIN, ignored},
		v13: {ok, closeNotify, endFIN, "served, " + endFIN, ignored},
	},
	"lighttpd 1.4 mod_openssl": clean,
	// lighttpd's GnuTLS module ends the connection cleanly on a warning.
	"lighttpd 1.4 mod_gnutls": {
		v12: {ok, closeNotify, closeNotify, served, closeNotify},
		v13: {ok, closeNotify, closeNotify, served, closeNotify},
	},
	"lighttpd 1.4 mod_mbedtls": {
		v12: {ok, closeNotify, closeNotify, served, ignored},
		v13: {Handshake: "alert handshake_failure"},
	},
	"lighttpd 1.4 mod_wolfssl": clean,
	"lighttpd 1.4 mod_nss":     clean,
	"lighttpd 1.4 mod_wolfssl, no ssl.ca-file": {
		v12: {Handshake: endFIN},
		v13: {Handshake: endFIN},
	},
	// Botan answers our close_notify before echoing what came with it.
	"botan tls_server": {
		v12: {ok, endNone, closeNotify, "not served, " + endCloseNotify, ignored},
		v13: {Handshake: "alert protocol_version"},
	},
	// JSSE reports our close_notify to the application as the end of the
	// stream. In TLS 1.2 it answers at once by itself; in TLS 1.3 only the
	// application's close() does, so an application slow to close leaves
	// our Shutdown waiting.
	"Java SSLServerSocket": clean,
	"Java SSLServerSocket, close() 10 s late": {
		v12: {ok, closeNotify, closeNotify, served, ignored},
		v13: {ok, closeNotify, endOpen, "served, " + endOpen, ignored},
	},
	// Node (allowHalfOpen false) ends the socket on our close_notify,
	// before its HTTP server answers the request that came with it.
	"Node.js https": {
		v12: {ok, closeNotify, closeNotify, "not served, " + endCloseNotify, ignored},
		v13: {ok, closeNotify, closeNotify, "not served, " + endCloseNotify, ignored},
	},
	"haproxy 2.6":  clean,
	"stunnel 5.68": clean,
	"Go net/http":  clean,
}

// mismatches lists the columns where got is not (one of) want's.
func mismatches(want, got outcome) []string {
	var diff []string
	for _, col := range []struct{ name, want, got string }{
		{"Handshake", want.Handshake, got.Handshake},
		{"Response", want.Response, got.Response},
		{"Shutdown", want.Shutdown, got.Shutdown},
		{"HalfClose", want.HalfClose, got.HalfClose},
		{"UserCanceled", want.UserCanceled, got.UserCanceled},
	} {
		if !slices.Contains(strings.Split(col.want, " | "), col.got) {
			diff = append(diff, fmt.Sprintf("%s: want %q, got %q", col.name, col.want, col.got))
		}
	}
	return diff
}
