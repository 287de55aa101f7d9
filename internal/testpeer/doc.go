// Package testpeer is the misbehaving TLS server of our tests and of the
// CLI's demo: a man-in-the-middle on 127.0.0.1 in front of a real server,
// so that the handshake stays genuine while the records around it do what
// no real server does on request (warnings, HelloRequests, fatal alerts
// after the handshake, records split or padded at will, floods, FINs and
// RSTs at chosen moments).
//
// Layer: test support, internal. It uses alert, record, cipher and
// handshake and must never import conn, whose tests may use it (its own
// tests use conn's client).
//
// # How it works
//
//	client ──► Peer.Addr() ──► proxy ──► real server
//	                          hooks, timeline
//
// The real server is the in-process crypto/tls server (the default: Config
// zero value, Echo handler), or an External one: openssl s_server
// (StartOpenSSL) or gnutls-serv (StartGnuTLS), or none at all in scripted
// mode (Config.Script). The proxy learns the traffic secrets from the
// server's NSS key log (crypto/tls's KeyLogWriter, openssl -keylogfile,
// gnutls SSLKEYLOGFILE) and from Peer.KeyLog, which ClientConfig hands to
// crypto/tls clients; a secret not yet logged is waited for, up to
// Config.KeyTimeout. It follows the handshake in each direction (TLS 1.3:
// handshake keys from the first protected record after the ServerHello,
// application keys after each Finished, the next generation after each
// KeyUpdate; TLS 1.2: the key block from CLIENT_RANDOM's master secret,
// switched at each ChangeCipherSpec), opens every record with our cipher
// package, shows it to the direction's Hook and seals what goes on with its
// own sequence numbers, so dropping, splitting or injecting keeps the
// stream valid. Key changes on the way out follow what is actually sent:
// an injected KeyUpdate moves that direction's keys on.
//
// # Scenarios
//
// Every ready-made scenario is played by the proxy, not by the server's
// handler, so it behaves the same in front of crypto/tls, openssl and
// gnutls-serv. "Once the handshake is done" means: in TLS 1.3 when the
// client's Finished arrives (before the server sees it, so its tickets and
// data come after), after a full TLS 1.2 handshake right after the
// server's Finished (AtHandshakeEnd).
//
//	PassThrough()                     // forwards everything: p := Start(t, Config{})
//	PeerClosesWithoutNotify()         // FIN without close_notify once the handshake is done
//	PeerClosesWithoutNotifyAfter(5)   // 5 bytes of application data, then that FIN
//	PeerClosesMidRecord()             // the first 8 bytes of a record, then FIN
//	PeerAnswersCloseNotify()          // the client's close_notify is answered, then FIN
//	PeerClosesOnCloseNotify()         // the client's close_notify gets a FIN, no answer
//	PeerNeverAnswers()                // the client's close_notify and all after it are swallowed
//	PeerClosesFirst()                 // close_notify first, then silence on an open transport
//	PeerClosesFirstAfter(4)           // 4 bytes of application data, then PeerClosesFirst
//	PeerFatalAlert(alert.InternalError)   // a fatal alert, then FIN
//	PeerWarning(alert.UnrecognizedName)   // a warning alert, then carries on
//	PeerUserCanceled()                // user_canceled, close_notify, then silence
//	PeerHelloRequest()                // a HelloRequest (TLS 1.2 renegotiation request), then waits
//	PeerKeyUpdate(true)               // a KeyUpdate requesting the client's
//	PeerSplitsRecords(1)              // handshake and data records of at most 1 content byte
//	PeerPadsRecords(100)              // 100 bytes of TLS 1.3 padding on each protected record
//	PeerCorruptsRecord()              // the first data record's tag flipped: bad_record_mac
//	PeerSwapsRecords(2)               // records 2 and 3 of the server delivered swapped
//	PeerResets()                      // RST once the handshake is done
//	PeerStopsReading()                // stops reading the client: its writes block
//	PeerTrickles(7, time.Millisecond) // the server's bytes 7 at a time
//	PeerFloodsEmptyRecords(33)        // 33 empty application data records
//	PeerFloodsWarnings(5)             // 5 warning user_canceled alerts
//	PeerFloodsKeyUpdates(33)          // 33 KeyUpdates, each moving the keys on
//	PeerFloodsHelloRequests(5)        // 5 HelloRequests
//	PeerFloodsTickets(17)             // 17 NewSessionTickets
//	PeerFloodsChangeCipherSpecs(2)    // 2 change_cipher_spec records
//
// Lookup finds a scenario by its Name, arguments included, for command
// lines: Lookup("PeerFatalAlert(handshake_failure)"); ScenarioNames lists
// them.
//
// # Hooks and actions
//
// A Hook sees each decrypted Record of one direction and returns Actions;
// Hooks pairs the two directions and a Scenario makes fresh Hooks per
// connection. Actions act on the record's direction, Back on the other.
//
//	Hooked("name", Hooks{ToClient: h})            // fixed hooks as a Scenario
//	AtHandshakeEnd(SendAlert(alert.Warning, d))   // actions once the handshake is done
//	AfterServerBytes(100, Close())                // actions after 100 bytes of server data
//	EditClientHello(func(ch *handshake.ClientHello) { ch.SupportedVersions = v }) // ToServer hook
//	Forward()                                  // the record as it came
//	Drop()                                     // nothing
//	Send(record.ApplicationData, []byte("x"))  // a record under the current keys
//	SendAlert(alert.Fatal, alert.DecodeError)  // an alert record
//	SendMessage(&handshake.KeyUpdate{})        // a handshake message in one record
//	Hold(), Release()                          // keep records back, send them later (reorder)
//	Raw([]byte{99, 3, 3, 0, 0})                // bytes as they are
//	Delay(50 * time.Millisecond)               // wait before the next action
//	Close()                                    // FIN toward the receiver
//	Reset()                                    // RST toward the receiver
//	Mute()                                     // drop the sender's later records and its EOF
//	StopReading()                              // stop reading the sender
//	Trickle(1, time.Millisecond)               // later writes 1 byte at a time
//	Back(SendAlert(alert.Warning, alert.CloseNotify)) // act toward the record's sender
//	Forward().Split(1)                         // the content in 1-byte records
//	Forward().Pad(100)                         // with TLS 1.3 padding
//	Forward().Corrupt(-1)                      // last byte flipped: bad_record_mac
//	Send(record.ApplicationData, b).Truncate(8)  // only the first 8 bytes written
//	SendAlert(alert.Warning, alert.CloseNotify).Plain() // TLSPlaintext even under keys
//	p.Inject(ServerToClient, SendMessage(&handshake.HelloRequest{})) // act now, from the test
//
// Scripted mode answers each ClientHello itself, for handshake-level abuse
// before any keys exist:
//
//	Config{Script: func(ch *handshake.ClientHello) []Action {
//		sh := ServerHelloFor(ch, record.VersionTLS13)
//		sh.SupportedVersion = 0x0305
//		return []Action{SendMessage(sh)}
//	}}
//
// # Timeline
//
// Every record each side sent (KindSent) and each side received
// (KindDelivered), every end of stream (KindEOF), FIN (KindClosed) and RST
// (KindReset) the proxy sent, its failures (KindFailed, see Peer.Err) and
// the in-process server's errors (KindServerError) are events, in order,
// with direction, time, outer and inner content type, lengths, epoch,
// decoded alert and handshake message types. Waits have deadlines:
//
//	p.MustWaitFor(t, SentAlert(ClientToServer, alert.CloseNotify))
//	sent := p.Events(SentRecords(ClientToServer)) // "nothing after close_notify"
//
// # What works where
//
// Every action and scenario works on TLS 1.2 and TLS 1.3 through all
// three servers (TestScenarios runs them all against crypto/tls's client,
// TestOurClientScenarios most of them against conn's over TLS 1.3), with
// these exceptions. Pad changes nothing in TLS 1.2, which has no
// padding. KeyUpdate and NewSessionTicket scenarios are TLS 1.3 messages
// (a TLS 1.2 client sees an unexpected message). Behind openssl s_server
// the TLS 1.2 master secret is logged only after the client's Finished,
// so the client must write its key log to Peer.KeyLog (ClientConfig does).
//
// Not followed: TLS 1.2 session resumption (no key log line carries the
// resumed master secret; the proxy fails at once and says so), TLS 1.2
// renegotiation, 0-RTT, suites outside the cipher package (AEAD only), and
// versions below TLS 1.2. Send splits content longer than 2^14 bytes over
// several records; an oversized record takes Raw.
package testpeer
