package main

import (
	"fmt"
	"regexp"
	"runtime/metrics"
	"slices"
	"syscall"
	"time"
)

// cost is what one client spent on one round.
type cost struct {
	cpu, user, wall time.Duration
	allocs, bytes   uint64
}

func (a cost) sub(b cost) cost {
	return cost{a.cpu - b.cpu, a.user - b.user, a.wall - b.wall, a.allocs - b.allocs, a.bytes - b.bytes}
}

func now() cost {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	user := time.Duration(ru.Utime.Nano())
	return cost{
		cpu: user + time.Duration(ru.Stime.Nano()), user: user, wall: time.Duration(time.Now().UnixNano()),
		allocs: s[0].Value.Uint64(), bytes: s[1].Value.Uint64(),
	}
}

// client names the two clients; ours is index 0.
var clientNames = [2]string{"tlsrecord", "crypto/tls"}

type runner struct {
	srv           servers
	rounds        int
	scale         float64
	filter        *regexp.Regexp
	profileClient string
	startProfile  func()
	stopProfile   func()
}

// run measures round(client) for both clients, alternating, and returns
// the per-unit medians: units is what one round did (bytes, handshakes,
// writes).
func (r *runner) run(name string, units float64, setup func(client int) func() error) ([2]stats, bool) {
	if r.filter != nil && !r.filter.MatchString(name) {
		return [2]stats{}, false
	}
	var samples [2][]cost
	for i := range r.rounds {
		for j := range 2 {
			c := (i + j) % 2
			if r.profileClient != "" && clientNames[c] != r.profileClient {
				continue
			}
			round := setup(c)
			if r.startProfile != nil {
				r.startProfile() // the rounds of one scenario are the profile
				defer r.stopProfile()
				r.startProfile = nil
			}
			start := now()
			err := round()
			d := now().sub(start)
			if err != nil {
				panic(fmt.Sprintf("%s, %s: %v", name, clientNames[c], err))
			}
			samples[c] = append(samples[c], d)
		}
	}
	return [2]stats{summarize(samples[0], units), summarize(samples[1], units)}, true
}

// stats are medians per unit.
type stats struct {
	cpu, user, wall float64 // ns
	allocs, bytes   float64
	n               int
}

func summarize(s []cost, units float64) stats {
	med := func(f func(cost) float64) float64 {
		if len(s) == 0 {
			return 0
		}
		v := make([]float64, len(s))
		for i, c := range s {
			v[i] = f(c)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stats{
		cpu:    med(func(c cost) float64 { return float64(c.cpu) }) / units,
		user:   med(func(c cost) float64 { return float64(c.user) }) / units,
		wall:   med(func(c cost) float64 { return float64(c.wall) }) / units,
		allocs: med(func(c cost) float64 { return float64(c.allocs) }) / units,
		bytes:  med(func(c cost) float64 { return float64(c.bytes) }) / units,
		n:      len(s),
	}
}

func ratio(theirs, ours float64) string {
	if ours == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", theirs/ours)
}
