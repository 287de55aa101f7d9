// Command tlsrec shows the record and alert exchange of a TLS connection as
// a timeline: every record each way (outer and real content type, length,
// sequence number), every alert, and how the connection ended.
//
//	tlsrec demo               connect to in-process servers that end connections in different ways
//	tlsrec dial host:port     connect to a real server, send an HTTP/1.0 request, show the exchange
package main

import (
	"flag"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  tlsrec demo            show how connections end, against in-process servers
  tlsrec dial host:port  show the record and alert exchange with a real server`)
	os.Exit(2)
}

func main() {
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() < 1 {
		usage()
	}
	var err error
	switch flag.Arg(0) {
	case "demo":
		err = demo(os.Stdout)
	case "dial":
		if flag.NArg() != 2 {
			usage()
		}
		err = dial(os.Stdout, flag.Arg(1))
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlsrec:", err)
		os.Exit(1)
	}
}
