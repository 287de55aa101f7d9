// Package interop tests the conn client against real TLS servers: openssl
// s_server, gnutls-serv, nginx, lighttpd with each of its TLS modules
// (OpenSSL, GnuTLS, mbedTLS, wolfSSL, NSS), Botan's tls_server, a Java
// (JSSE) server, a Node.js https server, haproxy and stunnel in front of a
// plain backend, and a crypto/tls server, each started on 127.0.0.1 with an
// ephemeral port and a generated PKI.
//
// On every TLS version a server supports, the tests fetch (or echo) 1 MiB
// and record how the server ends a connection: close_notify or a bare FIN
// after its response, whether it answers our close_notify, whether it
// serves a client that half-closed, and how it takes a warning
// user_canceled. These are the server's choices, so the tests pin them per
// server and version (the table in interop_test.go, mirrored by the
// README's "How real servers end a connection"): a change in the client
// that alters what it sees fails there.
//
// A server whose program is missing is skipped, or fails under CI=true.
//
// Layer: tests only. The package holds no code besides this file; its
// tests use conn's public API and internal/testpeer's certificates.
package interop
