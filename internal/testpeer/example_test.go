package testpeer_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// A server that sends a fatal alert once the handshake is done.
func Example() {
	p, err := testpeer.New(testpeer.Config{Scenario: testpeer.PeerFatalAlert(alert.HandshakeFailure)})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	c, err := tls.Dial("tcp", p.Addr(), p.ClientConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_, err = c.Read(make([]byte, 1))
	fmt.Println(err)
	// Output: remote error: tls: handshake failure
}

// The timeline shows what each side sent and received: here the proxy
// answers the client's close_notify, and the real server's own answer,
// which comes after, is not delivered.
func ExamplePeerAnswersCloseNotify() {
	p, err := testpeer.New(testpeer.Config{Scenario: testpeer.PeerAnswersCloseNotify()})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	cfg := p.ClientConfig()
	cfg.MaxVersion = tls.VersionTLS13
	c, err := tls.Dial("tcp", p.Addr(), cfg)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.CloseWrite()
	_, err = io.ReadAll(c) // nil: crypto/tls ends at close_notify
	fmt.Println("read:", err)
	p.WaitFor(context.Background(), testpeer.SentAlert(testpeer.ServerToClient, alert.CloseNotify))
	for _, e := range p.Events(func(e testpeer.Event) bool { return e.Alert != nil }) {
		fmt.Println(e.Dir, e.Kind, *e.Alert)
	}
	// Output:
	// read: <nil>
	// client->server sent warning close_notify
	// server->client delivered warning close_notify
	// client->server delivered warning close_notify
	// server->client sent warning close_notify
}

// Scripted mode: the ClientHello is answered with a ServerHello choosing a
// version that does not exist; the client's plaintext alert says what it
// thought of it.
func ExampleConfig_script() {
	p, err := testpeer.New(testpeer.Config{Script: func(ch *handshake.ClientHello) []testpeer.Action {
		sh := testpeer.ServerHelloFor(ch, record.VersionTLS13)
		sh.SupportedVersion = 0x0305
		return []testpeer.Action{testpeer.SendMessage(sh)}
	}})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	_, err = tls.Dial("tcp", p.Addr(), p.ClientConfig())
	fmt.Println(err)
	e, _ := p.WaitFor(context.Background(), func(e testpeer.Event) bool {
		return e.Dir == testpeer.ClientToServer && e.Kind == testpeer.KindSent && e.Alert != nil
	})
	fmt.Println(e.Dir, e.Kind, *e.Alert, "protected:", e.Protected)
	// Output:
	// tls: server selected unsupported protocol version 305
	// client->server sent fatal protocol_version protected: false
}

// A hook that answers the client's "ping" itself, toward the client, and
// keeps it from the server.
func ExampleBack() {
	pong := testpeer.Hooked("pong", testpeer.Hooks{ToServer: func(r testpeer.Record) []testpeer.Action {
		if r.IsApplicationData() && string(r.Payload) == "ping" {
			return []testpeer.Action{testpeer.Back(testpeer.Send(record.ApplicationData, []byte("pong")))}
		}
		return nil
	}})
	p, err := testpeer.New(testpeer.Config{Scenario: pong})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	c, err := tls.Dial("tcp", p.Addr(), p.ClientConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))
	b := make([]byte, 4)
	io.ReadFull(c, b)
	fmt.Println(string(b))
	// Output: pong
}
