// Command bench measures tlsrecord's client end to end against crypto/tls's
// client in the same run: both dial the same crypto/tls server, which runs
// in a child process (this binary re-executed with -serve), so the CPU time
// of this process (getrusage: user+sys, and user alone) and its heap
// allocations are the client's alone. Every round runs each client once,
// alternating which goes first so background load hits both alike; each
// table cell is the median of the rounds.
//
//	go run ./bench -rounds 9            # every table
//	go run ./bench -only 'write/64'     # scenarios matching a regexp
//	go run ./bench -only 'write/64' -cpuprofile ours.prof -profile tlsrecord
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

func main() {
	serveDir := flag.String("serve", "", "run as the server child with the certificates in this directory")
	rounds := flag.Int("rounds", 9, "rounds per scenario; each table cell is their median")
	only := flag.String("only", "", "run only the scenarios whose name matches this regexp")
	scale := flag.Float64("scale", 1, "multiply the work per round")
	idleConns := flag.Int("idle", 500, "connections per client in the idle-memory table")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the rounds of -profile's client")
	profile := flag.String("profile", "", "with -cpuprofile: tlsrecord or crypto/tls, the only client run")
	heapprofile := flag.String("heapprofile", "", "write heap profiles PREFIX-tlsrecord and PREFIX-cryptotls while the idle connections are held")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the whole run (every allocation sampled)")
	flag.Parse()
	if *serveDir != "" {
		if err := serve(*serveDir); err != nil {
			log.Fatal(err)
		}
		return
	}
	raiseFileLimit()
	srv, stop, err := startServer()
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	var filter *regexp.Regexp
	if *only != "" {
		filter = regexp.MustCompile(*only)
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 1
		defer func() {
			f, err := os.Create(*memprofile)
			if err != nil {
				log.Fatal(err)
			}
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}()
	}
	if *heapprofile != "" {
		runtime.MemProfileRate = 1
		heapProfile = func(client string) {
			f, err := os.Create(*heapprofile + "-" + strings.ReplaceAll(client, "/", ""))
			if err != nil {
				log.Fatal(err)
			}
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	r := &runner{srv: srv, rounds: *rounds, scale: *scale, filter: filter, profileClient: *profile}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		r.startProfile = func() { pprof.StartCPUProfile(f) }
		r.stopProfile = pprof.StopCPUProfile
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s; load average at start: %s\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), cpuModel(), loadAvg())
	r.transfers()
	r.handshakes()
	if filter == nil || filter.MatchString("idle") {
		r.idle(*idleConns)
	}
	fmt.Printf("load average at end: %s\n", loadAvg())
}

// startServer re-executes this binary as the server child.
func startServer() (servers, func(), error) {
	dir, err := os.MkdirTemp("", "tlsrecord-bench")
	if err != nil {
		return servers{}, nil, err
	}
	if _, err := testpeer.WriteCertFiles(dir); err != nil {
		return servers{}, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return servers{}, nil, err
	}
	cmd := exec.Command(exe, "-serve", dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return servers{}, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return servers{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return servers{}, nil, err
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 {
		stop()
		return servers{}, nil, fmt.Errorf("server child: %q, %v", line, err)
	}
	return servers{ecdsa: f[0], rsa: f[1], plain: f[2]}, stop, nil
}

type servers struct{ ecdsa, rsa, plain string }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
