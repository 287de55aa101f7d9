package testpeer

import (
	"fmt"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Every ready-made scenario below is played by the proxy, whatever server
// sits behind it: the in-process crypto/tls server, openssl s_server or
// gnutls-serv. None needs the server's cooperation, so the in-process
// server's Handler stays free for the test (Echo by default). Where a
// scenario says "the server", it means the side the client talks to.

// AtHandshakeEnd returns hooks that run acts toward the client once the
// handshake is complete, before anything the server sends afterwards: in
// TLS 1.3 when the client's Finished arrives (the acts go out before that
// Finished reaches the server, so its tickets and data come after them);
// after a full TLS 1.2 handshake right after the server's Finished.
func AtHandshakeEnd(acts ...Action) Hooks {
	return atHandshakeEnd(func(Record) []Action { return acts })
}

// atHandshakeEnd is AtHandshakeEnd with actions chosen when the record
// that completes the handshake arrives.
func atHandshakeEnd(f func(r Record) []Action) Hooks {
	h := func(r Record) []Action {
		if !r.CompletesHandshake {
			return nil
		}
		if r.Dir == ServerToClient {
			return append([]Action{Forward()}, f(r)...)
		}
		return []Action{Back(f(r)...), Forward()}
	}
	return Hooks{ToServer: h, ToClient: h}
}

// AfterServerBytes returns hooks that run acts toward the client once the
// server has sent n bytes of application data: the record that reaches n
// is cut there (its rest is dropped) and acts follow it. n <= 0 is
// AtHandshakeEnd. Call it from Scenario.New: the hooks count.
func AfterServerBytes(n int, acts ...Action) Hooks {
	if n <= 0 {
		return AtHandshakeEnd(acts...)
	}
	sent, fired := 0, false
	return Hooks{ToClient: func(r Record) []Action {
		if fired || !r.IsApplicationData() {
			return nil
		}
		if sent+len(r.Payload) < n {
			sent += len(r.Payload)
			return nil
		}
		fired = true
		return append([]Action{Send(r.Type, r.Payload[:n-sent])}, acts...)
	}}
}

// PassThrough forwards everything: the transparent proxy.
func PassThrough() Scenario { return Scenario{Name: "PassThrough"} }

// PeerClosesWithoutNotify: once the handshake is done the server closes
// its write side (FIN) without close_notify, and says nothing more.
func PeerClosesWithoutNotify() Scenario {
	return Hooked("PeerClosesWithoutNotify", AtHandshakeEnd(Mute(), Close()))
}

// PeerClosesWithoutNotifyAfter: the server sends n bytes of application
// data, then closes (FIN) without close_notify.
func PeerClosesWithoutNotifyAfter(n int) Scenario {
	return Scenario{
		Name: fmt.Sprintf("PeerClosesWithoutNotifyAfter(%d)", n),
		New:  func() Hooks { return AfterServerBytes(n, Mute(), Close()) },
	}
}

// PeerClosesMidRecord: once the handshake is done the server writes the
// first 8 bytes of an application data record, then closes (FIN): the
// transport ends inside a record.
func PeerClosesMidRecord() Scenario {
	return Hooked("PeerClosesMidRecord", AtHandshakeEnd(
		Mute(), Send(record.ApplicationData, []byte("cut short")).Truncate(record.HeaderLen+3), Close()))
}

// PeerAnswersCloseNotify: when the client's close_notify arrives, the
// server answers with its own close_notify, drops whatever it had not yet
// sent, and closes its write side (FIN). The client's close_notify is
// passed on to the real server too.
func PeerAnswersCloseNotify() Scenario {
	return Hooked("PeerAnswersCloseNotify", Hooks{ToServer: func(r Record) []Action {
		if !r.IsAlert(alert.CloseNotify) {
			return nil
		}
		return []Action{Back(Mute(), SendAlert(alert.Warning, alert.CloseNotify), Close()), Forward()}
	}})
}

// PeerClosesOnCloseNotify: when the client's close_notify arrives, the
// server closes its write side (FIN) without answering, dropping whatever
// it had not yet sent. The client's close_notify is passed on.
func PeerClosesOnCloseNotify() Scenario {
	return Hooked("PeerClosesOnCloseNotify", Hooks{ToServer: func(r Record) []Action {
		if !r.IsAlert(alert.CloseNotify) {
			return nil
		}
		return []Action{Back(Mute(), Close()), Forward()}
	}})
}

// PeerNeverAnswers: the client's close_notify is swallowed, with all the
// client sends after it and its FIN. The real server never learns of it
// and the connection stays open until the client gives up.
func PeerNeverAnswers() Scenario {
	return Hooked("PeerNeverAnswers", Hooks{ToServer: func(r Record) []Action {
		if !r.IsAlert(alert.CloseNotify) {
			return nil
		}
		return []Action{Mute()}
	}})
}

// PeerClosesFirst: once the handshake is done the server sends
// close_notify, then nothing more, and keeps the transport open. What the
// client sends still reaches the real server.
func PeerClosesFirst() Scenario {
	return Hooked("PeerClosesFirst", AtHandshakeEnd(Mute(), SendAlert(alert.Warning, alert.CloseNotify)))
}

// PeerClosesFirstAfter: the server sends n bytes of application data, then
// close_notify, then nothing more, keeping the transport open.
func PeerClosesFirstAfter(n int) Scenario {
	return Scenario{
		Name: fmt.Sprintf("PeerClosesFirstAfter(%d)", n),
		New:  func() Hooks { return AfterServerBytes(n, Mute(), SendAlert(alert.Warning, alert.CloseNotify)) },
	}
}

// PeerFatalAlert: once the handshake is done the server sends a fatal
// alert desc, then closes (FIN).
func PeerFatalAlert(desc alert.Description) Scenario {
	return Hooked("PeerFatalAlert("+desc.String()+")",
		AtHandshakeEnd(Mute(), SendAlert(alert.Fatal, desc), Close()))
}

// PeerWarning: once the handshake is done the server sends a warning-level
// alert desc and carries on.
func PeerWarning(desc alert.Description) Scenario {
	return Hooked("PeerWarning("+desc.String()+")", AtHandshakeEnd(SendAlert(alert.Warning, desc)))
}

// PeerUserCanceled: once the handshake is done the server sends
// user_canceled then close_notify (both warning level), then nothing more,
// keeping the transport open.
func PeerUserCanceled() Scenario {
	return Hooked("PeerUserCanceled", AtHandshakeEnd(Mute(),
		SendAlert(alert.Warning, alert.UserCanceled), SendAlert(alert.Warning, alert.CloseNotify)))
}

// PeerHelloRequest: once the handshake is done the server sends a
// HelloRequest (meaningful in TLS 1.2; in TLS 1.3 an unexpected message)
// and forwards the rest as before, sending nothing itself until the client
// does, as a server waiting for the renegotiating ClientHello. A client
// that refuses answers with a warning no_renegotiation; crypto/tls's and
// conn's then end the connection with an error.
func PeerHelloRequest() Scenario {
	return Hooked("PeerHelloRequest", AtHandshakeEnd(SendMessage(&handshake.HelloRequest{})))
}

// PeerKeyUpdate: once the handshake is done the server sends a KeyUpdate,
// requesting the client's when requested, and switches to its next keys.
func PeerKeyUpdate(requested bool) Scenario {
	return Hooked(fmt.Sprintf("PeerKeyUpdate(%t)", requested), AtHandshakeEnd(keyUpdate(requested)))
}

func keyUpdate(requested bool) Action {
	ku := &handshake.KeyUpdate{RequestUpdate: handshake.UpdateNotRequested}
	if requested {
		ku.RequestUpdate = handshake.UpdateRequested
	}
	return SendMessage(ku)
}

// PeerSplitsRecords: the server's handshake and application data records
// go out in records of at most n content bytes (n = 1: one byte of
// handshake per record). Alerts and change_cipher_spec are left whole.
func PeerSplitsRecords(n int) Scenario {
	return Hooked(fmt.Sprintf("PeerSplitsRecords(%d)", n), Hooks{ToClient: func(r Record) []Action {
		if r.Type == record.Handshake || r.Type == record.ApplicationData {
			return []Action{Forward().Split(n)}
		}
		return nil
	}})
}

// PeerPadsRecords: every protected TLS 1.3 record of the server carries n
// bytes of padding (clamped to the record limit). TLS 1.2 has no padding:
// there the scenario changes nothing.
func PeerPadsRecords(n int) Scenario {
	return Hooked(fmt.Sprintf("PeerPadsRecords(%d)", n), Hooks{ToClient: func(r Record) []Action {
		if r.Protected {
			return []Action{Forward().Pad(n)}
		}
		return nil
	}})
}

// PeerCorruptsRecord: the server's first application data record reaches
// the client with the last byte of its tag flipped, so the client fails to
// open it (bad_record_mac).
func PeerCorruptsRecord() Scenario {
	return Scenario{Name: "PeerCorruptsRecord", New: func() Hooks {
		done := false
		return Hooks{ToClient: func(r Record) []Action {
			if done || !r.IsApplicationData() {
				return nil
			}
			done = true
			return []Action{Forward().Corrupt(-1)}
		}}
	}}
}

// PeerSwapsRecords: the server's records i and i+1 (counted from 0, the
// ServerHello's record included) reach the client in the opposite order.
func PeerSwapsRecords(i int) Scenario {
	return Hooked(fmt.Sprintf("PeerSwapsRecords(%d)", i), Hooks{ToClient: func(r Record) []Action {
		switch r.Index {
		case i:
			return []Action{Hold()}
		case i + 1:
			return []Action{Forward(), Release()}
		}
		return nil
	}})
}

// PeerResets: once the handshake is done the server resets the connection
// (RST).
func PeerResets() Scenario {
	return Hooked("PeerResets", AtHandshakeEnd(Mute(), Reset()))
}

// PeerStopsReading: once the handshake is done the server stops reading
// what the client sends, so the client's writes block once the socket
// buffers are full.
func PeerStopsReading() Scenario {
	return Hooked("PeerStopsReading", AtHandshakeEnd(Back(StopReading())))
}

// PeerTrickles: everything the server sends reaches the client chunk bytes
// per write, with pause between writes.
func PeerTrickles(chunk int, pause time.Duration) Scenario {
	return Scenario{Name: fmt.Sprintf("PeerTrickles(%d, %v)", chunk, pause), New: func() Hooks {
		started := false
		return Hooks{ToClient: func(r Record) []Action {
			if started {
				return nil
			}
			started = true
			return []Action{Trickle(chunk, pause), Forward()}
		}}
	}}
}

// Floods: once the handshake is done the server sends n records of one
// kind in a row, then carries on.

// PeerFloodsEmptyRecords sends n empty application data records.
func PeerFloodsEmptyRecords(n int) Scenario {
	return flood("PeerFloodsEmptyRecords", n, Send(record.ApplicationData, nil))
}

// PeerFloodsWarnings sends n warning-level user_canceled alerts, the one
// warning that TLS 1.3 also lets pass.
func PeerFloodsWarnings(n int) Scenario {
	return flood("PeerFloodsWarnings", n, SendAlert(alert.Warning, alert.UserCanceled))
}

// PeerFloodsKeyUpdates sends n KeyUpdates (update_not_requested), each
// moving the server's keys on.
func PeerFloodsKeyUpdates(n int) Scenario {
	return flood("PeerFloodsKeyUpdates", n, keyUpdate(false))
}

// PeerFloodsHelloRequests sends n HelloRequests.
func PeerFloodsHelloRequests(n int) Scenario {
	return flood("PeerFloodsHelloRequests", n, SendMessage(&handshake.HelloRequest{}))
}

// PeerFloodsTickets sends n TLS 1.3 NewSessionTickets.
func PeerFloodsTickets(n int) Scenario {
	return flood("PeerFloodsTickets", n, SendMessage(&handshake.NewSessionTicket{
		Lifetime: 3600, AgeAdd: 0x01020304, Nonce: []byte{0}, Ticket: []byte("testpeer ticket"),
	}))
}

// PeerFloodsChangeCipherSpecs sends n change_cipher_spec records: in
// plaintext in TLS 1.3, which never protects them (RFC 8446, Section 5),
// and protected in TLS 1.2, where everything after the handshake is.
func PeerFloodsChangeCipherSpecs(n int) Scenario {
	ccs := Send(record.ChangeCipherSpec, []byte{1})
	return Hooked(fmt.Sprintf("PeerFloodsChangeCipherSpecs(%d)", n), atHandshakeEnd(func(r Record) []Action {
		if r.Version == record.VersionTLS13 {
			return repeat(n, ccs.Plain())
		}
		return repeat(n, ccs)
	}))
}

func flood(name string, n int, a Action) Scenario {
	return Hooked(fmt.Sprintf("%s(%d)", name, n), AtHandshakeEnd(repeat(n, a)...))
}

func repeat(n int, a Action) []Action {
	acts := make([]Action, n)
	for i := range acts {
		acts[i] = a
	}
	return acts
}
