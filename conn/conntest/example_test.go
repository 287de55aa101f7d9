package conntest_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/conn/conntest"
)

// A crypto/tls server for a test: the handler decides how each connection
// ends, and Config trusts the server's fresh certificate.
func ExampleNewServer() {
	srv := conntest.NewServer(&tls.Config{MaxVersion: tls.VersionTLS12}, func(c *tls.Conn) {
		fmt.Fprint(c, "hello")
		c.Close()
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	reply, err := io.ReadAll(c)
	fmt.Println(string(reply), err, tls.VersionName(c.ConnectionState().Version))
	// Output: hello <nil> TLS 1.2
}
