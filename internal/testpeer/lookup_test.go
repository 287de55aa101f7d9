package testpeer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
)

// TestLookup: every ready-made scenario is found again by its Name.
func TestLookup(t *testing.T) {
	t.Parallel()
	all := []Scenario{
		PassThrough(), PeerClosesWithoutNotify(), PeerClosesWithoutNotifyAfter(5), PeerClosesMidRecord(),
		PeerAnswersCloseNotify(), PeerClosesOnCloseNotify(), PeerNeverAnswers(), PeerClosesFirst(),
		PeerClosesFirstAfter(4), PeerFatalAlert(alert.HandshakeFailure), PeerWarning(alert.UnrecognizedName),
		PeerUserCanceled(), PeerHelloRequest(), PeerKeyUpdate(true), PeerSplitsRecords(1), PeerPadsRecords(100),
		PeerCorruptsRecord(), PeerSwapsRecords(2), PeerResets(), PeerStopsReading(),
		PeerTrickles(7, time.Millisecond), PeerFloodsEmptyRecords(33), PeerFloodsWarnings(5),
		PeerFloodsKeyUpdates(33), PeerFloodsHelloRequests(5), PeerFloodsTickets(17), PeerFloodsChangeCipherSpecs(2),
	}
	require.Len(t, ScenarioNames(), len(all))
	for _, sc := range all {
		got, err := Lookup(sc.Name)
		require.NoError(t, err, sc.Name)
		require.Equal(t, sc.Name, got.Name)
	}
	got, err := Lookup("PeerFatalAlert(40)")
	require.NoError(t, err)
	require.Equal(t, "PeerFatalAlert(handshake_failure)", got.Name)

	for _, bad := range []string{"PeerFoo", "PeerSplitsRecords", "PeerSplitsRecords(x)", "PeerSplitsRecords(1",
		"PeerFatalAlert(no_such_alert)", "PeerKeyUpdate(maybe)", "PeerClosesFirst(1)", "PeerTrickles(1, soon)"} {
		_, err := Lookup(bad)
		require.Error(t, err, bad)
	}
}
