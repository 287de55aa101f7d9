package testpeer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
)

// scenarios maps each ready-made scenario's name to its constructor,
// which parses the arguments written in the name.
var scenarios = map[string]func(args []string) (Scenario, error){
	"PassThrough":                  noArg(PassThrough),
	"PeerClosesWithoutNotify":      noArg(PeerClosesWithoutNotify),
	"PeerClosesWithoutNotifyAfter": intArg(PeerClosesWithoutNotifyAfter),
	"PeerClosesMidRecord":          noArg(PeerClosesMidRecord),
	"PeerAnswersCloseNotify":       noArg(PeerAnswersCloseNotify),
	"PeerClosesOnCloseNotify":      noArg(PeerClosesOnCloseNotify),
	"PeerNeverAnswers":             noArg(PeerNeverAnswers),
	"PeerClosesFirst":              noArg(PeerClosesFirst),
	"PeerClosesFirstAfter":         intArg(PeerClosesFirstAfter),
	"PeerFatalAlert":               alertArg(PeerFatalAlert),
	"PeerWarning":                  alertArg(PeerWarning),
	"PeerUserCanceled":             noArg(PeerUserCanceled),
	"PeerHelloRequest":             noArg(PeerHelloRequest),
	"PeerKeyUpdate":                boolArg(PeerKeyUpdate),
	"PeerSplitsRecords":            intArg(PeerSplitsRecords),
	"PeerPadsRecords":              intArg(PeerPadsRecords),
	"PeerCorruptsRecord":           noArg(PeerCorruptsRecord),
	"PeerSwapsRecords":             intArg(PeerSwapsRecords),
	"PeerResets":                   noArg(PeerResets),
	"PeerStopsReading":             noArg(PeerStopsReading),
	"PeerTrickles":                 tricklesArgs,
	"PeerFloodsEmptyRecords":       intArg(PeerFloodsEmptyRecords),
	"PeerFloodsWarnings":           intArg(PeerFloodsWarnings),
	"PeerFloodsKeyUpdates":         intArg(PeerFloodsKeyUpdates),
	"PeerFloodsHelloRequests":      intArg(PeerFloodsHelloRequests),
	"PeerFloodsTickets":            intArg(PeerFloodsTickets),
	"PeerFloodsChangeCipherSpecs":  intArg(PeerFloodsChangeCipherSpecs),
}

// ScenarioNames lists the ready-made scenarios, sorted, without arguments.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the ready-made scenario a name describes, as its Name
// writes it: "PeerClosesFirst", "PeerSplitsRecords(1)",
// "PeerFatalAlert(handshake_failure)", "PeerKeyUpdate(true)",
// "PeerTrickles(7, 1ms)". It is for command lines, such as the CLI's demo.
func Lookup(name string) (Scenario, error) {
	base, rest, hasArgs := strings.Cut(strings.TrimSpace(name), "(")
	var args []string
	if hasArgs {
		inner, ok := strings.CutSuffix(rest, ")")
		if !ok {
			return Scenario{}, fmt.Errorf("testpeer: scenario %q: missing )", name)
		}
		for _, a := range strings.Split(inner, ",") {
			args = append(args, strings.TrimSpace(a))
		}
	}
	build, ok := scenarios[base]
	if !ok {
		return Scenario{}, fmt.Errorf("testpeer: no scenario %q (have %s)", base, strings.Join(ScenarioNames(), ", "))
	}
	sc, err := build(args)
	if err != nil {
		return Scenario{}, fmt.Errorf("testpeer: scenario %q: %w", name, err)
	}
	return sc, nil
}

func wantArgs(args []string, n int) error {
	if len(args) != n {
		return fmt.Errorf("want %d arguments, got %d", n, len(args))
	}
	return nil
}

func noArg(f func() Scenario) func([]string) (Scenario, error) {
	return func(args []string) (Scenario, error) {
		if err := wantArgs(args, 0); err != nil {
			return Scenario{}, err
		}
		return f(), nil
	}
}

func intArg(f func(int) Scenario) func([]string) (Scenario, error) {
	return func(args []string) (Scenario, error) {
		if err := wantArgs(args, 1); err != nil {
			return Scenario{}, err
		}
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return Scenario{}, err
		}
		return f(n), nil
	}
}

func boolArg(f func(bool) Scenario) func([]string) (Scenario, error) {
	return func(args []string) (Scenario, error) {
		if err := wantArgs(args, 1); err != nil {
			return Scenario{}, err
		}
		b, err := strconv.ParseBool(args[0])
		if err != nil {
			return Scenario{}, err
		}
		return f(b), nil
	}
}

// alertArg takes an alert by its registry name (handshake_failure) or
// code (40).
func alertArg(f func(alert.Description) Scenario) func([]string) (Scenario, error) {
	return func(args []string) (Scenario, error) {
		if err := wantArgs(args, 1); err != nil {
			return Scenario{}, err
		}
		if n, err := strconv.ParseUint(args[0], 10, 8); err == nil {
			return f(alert.Description(n)), nil
		}
		for d := range 256 {
			if alert.Description(d).String() == args[0] {
				return f(alert.Description(d)), nil
			}
		}
		return Scenario{}, fmt.Errorf("unknown alert %q", args[0])
	}
}

func tricklesArgs(args []string) (Scenario, error) {
	if err := wantArgs(args, 2); err != nil {
		return Scenario{}, err
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return Scenario{}, err
	}
	d, err := time.ParseDuration(args[1])
	if err != nil {
		return Scenario{}, err
	}
	return PeerTrickles(n, d), nil
}
