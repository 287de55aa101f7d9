package testpeer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

func TestTimelineWaitFor(t *testing.T) {
	t.Parallel()
	tl := newTimeline()
	closeNotify := alert.Alert{Level: alert.Warning, Description: alert.CloseNotify}
	tl.add(Event{Dir: ClientToServer, Kind: KindSent, Inner: record.ApplicationData, Length: 5})

	// A past event is found at once.
	e, err := tl.waitFor(context.Background(), OfKind(ClientToServer, KindSent))
	require.NoError(t, err)
	require.Equal(t, 0, e.Seq)

	// A future one when it comes.
	got := make(chan Event, 1)
	ctx := waitCtx(t)
	go func() {
		e, _ := tl.waitFor(ctx, SentAlert(ClientToServer, alert.CloseNotify))
		got <- e
	}()
	tl.add(Event{Dir: ServerToClient, Kind: KindSent, Inner: record.Alert, Alert: &closeNotify})
	tl.add(Event{Dir: ClientToServer, Kind: KindSent, Inner: record.Alert, Alert: &closeNotify})
	require.Equal(t, 2, (<-got).Seq)

	// None at all: the deadline.
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = tl.waitFor(short, TransportEOF(ServerToClient))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestEventString(t *testing.T) {
	t.Parallel()
	fatal := alert.Alert{Level: alert.Fatal, Description: alert.BadRecordMAC}
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Seq: 3, Conn: 1, Dir: ClientToServer, Kind: KindSent, Outer: record.Handshake, Inner: record.Handshake,
			Length: 220, Messages: []handshake.MsgType{handshake.TypeClientHello}},
			"#3 conn 1 client->server sent handshake 220B plaintext <client_hello>"},
		{Event{Conn: 2, Dir: ServerToClient, Kind: KindDelivered, Outer: record.ApplicationData, Inner: record.Alert,
			Length: 2, Protected: true, Epoch: EpochApplication, Generation: 2, Alert: &fatal},
			"#0 conn 2 server->client delivered alert 2B protected(application+2) [fatal bad_record_mac]"},
		{Event{Dir: ServerToClient, Kind: KindDelivered, Length: 6, Wire: 6}, "#0 conn 0 server->client delivered raw 6B"},
		{Event{Dir: ClientToServer, Kind: KindEOF, Err: errors.New("boom")}, "#0 conn 0 client->server eof err=boom"},
		{Event{Dir: ClientToServer, Kind: KindServerError}, "#0 conn 0 client->server server-error"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.e.String())
	}
	require.Equal(t, tests[0].want+"\n"+tests[1].want+"\n", Format([]Event{tests[0].e, tests[1].e}))
}
