// Command tlsrec shows the record and alert exchange of a TLS connection as
// a timeline: every record each way (outer and real content type, length,
// sequence number), every alert, and how the connection ended.
//
//	tlsrec demo [-scenario NAME]  our client against misbehaving peers (internal/testpeer)
//	tlsrec dial [-pcap FILE] [-keylog FILE] [-insecure] host:port
//	                              a real server: an HTTP/1.0 request and the exchange
package main

import (
	"flag"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  tlsrec demo [-scenario NAME]  show how connections end, against misbehaving peers
                                (NAME: a testpeer scenario, e.g. "PeerFatalAlert(decode_error)")
  tlsrec dial [-pcap FILE] [-keylog FILE] [-insecure] host:port
                                show the record and alert exchange with a real server;
                                -pcap and -keylog let Wireshark or tshark decrypt it`)
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
		fs := flag.NewFlagSet("demo", flag.ExitOnError)
		only := fs.String("scenario", "", "run only this testpeer scenario")
		fs.Parse(flag.Args()[1:])
		err = demo(os.Stdout, *only)
	case "dial":
		fs := flag.NewFlagSet("dial", flag.ExitOnError)
		var opts dialOptions
		fs.StringVar(&opts.pcap, "pcap", "", "write the session as a pcap `file` (open it with the key log to decrypt)")
		fs.StringVar(&opts.keyLog, "keylog", "", "append the NSS key log to `file`")
		fs.BoolVar(&opts.insecure, "insecure", false, "skip certificate verification")
		fs.Parse(flag.Args()[1:])
		if fs.NArg() != 1 {
			usage()
		}
		err = dial(os.Stdout, fs.Arg(0), opts)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlsrec:", err)
		os.Exit(1)
	}
}
