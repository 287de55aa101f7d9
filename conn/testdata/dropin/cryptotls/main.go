// Command dropin is a program written against crypto/tls: a raw tls.Dial
// user that reads ConnectionState and matches CertificateVerificationError,
// a net/http HTTP/1.1 client and a golang.org/x/net/http2 client. Its twin
// in the other directory differs only in its imports and the lines marked
// "constructor"; conn's TestDropIn checks that, runs both and compares what
// they print.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"golang.org/x/net/http2"
)

func main() {
	rawAddr := flag.String("raw", "", "address of a TLS echo server")
	url := flag.String("url", "", "URL of an HTTPS server that speaks h2 and http/1.1")
	caFile := flag.String("ca", "", "PEM file of the CA that issued the servers' certificates")
	name := flag.String("name", "", "the servers' name")
	flag.Parse()
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)

	c, err := tls.Dial("tcp", *rawAddr, &tls.Config{ServerName: *name, RootCAs: roots}) // constructor
	if err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	fmt.Println("raw:", tls.VersionName(cs.Version), cs.HandshakeComplete, cs.ServerName,
		cs.PeerCertificates[0].Subject.CommonName, len(cs.VerifiedChains), tls.CipherSuiteName(cs.CipherSuite) != "")
	fmt.Fprint(c, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		log.Fatal(err)
	}
	fmt.Println("echo:", string(buf))
	c.Close()

	_, err = tls.Dial("tcp", *rawAddr, &tls.Config{ServerName: *name}) // constructor
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		var unknown x509.UnknownAuthorityError
		fmt.Println("certificate error:", len(certErr.UnverifiedCertificates), errors.As(certErr.Err, &unknown))
	}

	client1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: *name, RootCAs: roots}}} // constructor
	resp, err := client1.Get(*url)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("http/1.1:", resp.Status, resp.Proto, string(body))

	client2 := &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{ServerName: *name, RootCAs: roots}}} // constructor
	resp, err = client2.Get(*url)
	if err != nil {
		log.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("h2:", resp.Status, resp.Proto, resp.TLS.NegotiatedProtocol, string(body))
}
