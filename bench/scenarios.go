package main

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"runtime"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// variant is one handshake configuration, given to both clients alike.
type variant struct {
	name    string
	curve   tls.CurveID
	rsa     bool
	tls12   bool
	resumed bool
}

// dialer dials one client kind for a variant; the two kinds share nothing.
type dialer struct {
	ours   *conn.Config
	theirs *tls.Config
	addr   string
}

func newDialer(srv servers, v variant) *dialer {
	d := &dialer{addr: srv.ecdsa}
	if v.rsa {
		d.addr = srv.rsa
	}
	d.ours = &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(),
		CurvePreferences: []tls.CurveID{v.curve}}
	d.theirs = &tls.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(),
		CurvePreferences: []tls.CurveID{v.curve}}
	if v.tls12 {
		// TLS 1.2's supported_groups also names the certificate's curve.
		d.ours.CurvePreferences = append(d.ours.CurvePreferences, tls.CurveP256)
		d.theirs.CurvePreferences = d.ours.CurvePreferences
		d.ours.MaxVersion, d.theirs.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	}
	if v.resumed {
		d.ours.ClientSessionCache = conn.NewLRUClientSessionCache(1)
		d.ours.ReuseSessionTickets = true // crypto/tls's client reuses its TLS 1.3 tickets
		d.theirs.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	return d
}

// dial connects client c (0: ours, 1: crypto/tls) and completes the
// handshake, each with its library's own Dial.
func (d *dialer) dial(c int) (net.Conn, error) {
	if c == 0 {
		return conn.Dial("tcp", d.addr, d.ours)
	}
	return tls.Dial("tcp", d.addr, d.theirs)
}

func didResume(nc net.Conn) bool {
	switch c := nc.(type) {
	case *conn.Conn:
		return c.ConnectionState().DidResume
	case *tls.Conn:
		return c.ConnectionState().DidResume
	}
	return false
}

var sizes = []int{1 << 20, 16 << 10, 1 << 10, 64}

// transfers prints the data tables: client to server (Write) and server to
// client (Read), TLS 1.3 with AES-128-GCM on an established connection.
func (r *runner) transfers() {
	d := newDialer(r.srv, variant{curve: tls.X25519})
	header := once("| transfer | tlsrecord CPU (user) | crypto/tls CPU (user) | ratio user+sys | ratio user | tlsrecord MB/s | crypto/tls MB/s | allocs/write or read (ours, theirs) |\n|---|---|---|---|---|---|---|---|")
	for _, dir := range []string{"write", "read"} {
		for _, size := range sizes {
			total := int(float64(64<<20) * r.scale)
			if size <= 1<<10 {
				total = int(float64(size*100000) * r.scale) // per-call cost dominates
			}
			count := total / size
			name := fmt.Sprintf("%s/%d", dir, size)
			st, ok := r.run(name, float64(total)/1e6, func(c int) func() error {
				nc, err := d.dial(c)
				if err != nil {
					panic(err)
				}
				if dir == "write" {
					return func() error { defer nc.Close(); return sink(nc, size, count) }
				}
				return func() error { defer nc.Close(); return pour(nc, size, count) }
			})
			if !ok {
				continue
			}
			header()
			unit := "µs/MB"
			perCall := float64(size) / 1e6 // MB per call
			fmt.Printf("| %s %s | %s | %s | %s | %s | %.0f | %.0f | %.2f, %.2f |\n", dir, sizeName(size),
				cpuUser(st[0], unit), cpuUser(st[1], unit), ratio(st[1].cpu, st[0].cpu), ratio(st[1].user, st[0].user),
				1e9/st[0].wall, 1e9/st[1].wall, st[0].allocs*perCall, st[1].allocs*perCall)
		}
	}
	if r.filter == nil || r.filter.MatchString("floor") {
		header()
		r.floor()
	}
	fmt.Println()
}

// once returns a function that prints s the first time it is called.
func once(s string) func() {
	done := false
	return func() {
		if !done {
			fmt.Println(s)
			done = true
		}
	}
}

func cpuUser(st stats, unit string) string {
	return fmt.Sprintf("%.1f (%.1f) %s", st.cpu/1e3, st.user/1e3, unit)
}

func us(ns float64, unit string) string { return fmt.Sprintf("%.1f %s", ns/1e3, unit) }

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// sink writes count writes of size bytes and waits for the server's byte
// saying it read them all.
func sink(nc net.Conn, size, count int) error {
	if _, err := nc.Write(command(opSink, size, count)); err != nil {
		return err
	}
	buf := make([]byte, size)
	for range count {
		if _, err := nc.Write(buf); err != nil {
			return err
		}
	}
	_, err := io.ReadFull(nc, buf[:1])
	return err
}

// pour reads what the server writes, with reads of size bytes.
func pour(nc net.Conn, size, count int) error {
	if _, err := nc.Write(command(opPour, size, count)); err != nil {
		return err
	}
	buf := make([]byte, size)
	for left := size * count; left > 0; {
		n, err := nc.Read(buf[:min(size, left)])
		if err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// floor prints what reading the 16 KiB stream costs at least: plain TCP
// reads of the same bytes plus AES-128-GCM opening them in 16 KiB records.
func (r *runner) floor() {
	total := int(float64(64<<20) * r.scale)
	const size = 16 << 10
	var tcp, gcm []cost
	block, _ := aes.NewCipher(make([]byte, 16))
	aead, _ := stdcipher.NewGCM(block)
	rec := aead.Seal(nil, make([]byte, 12), make([]byte, size+1), make([]byte, 5))
	out := make([]byte, 0, len(rec))
	for range r.rounds {
		nc, err := net.Dial("tcp", r.srv.plain)
		if err != nil {
			panic(err)
		}
		start := now()
		if err := pour(nc, size, total/size); err != nil {
			panic(err)
		}
		tcp = append(tcp, now().sub(start))
		nc.Close()
		start = now()
		for range total / size {
			if _, err := aead.Open(out[:0], make([]byte, 12), rec, make([]byte, 5)); err != nil {
				panic(err)
			}
		}
		gcm = append(gcm, now().sub(start))
	}
	t, g := summarize(tcp, float64(total)/1e6), summarize(gcm, float64(total)/1e6)
	fmt.Printf("| read 16 KiB floor: plain TCP %s + AES-128-GCM open %s | %s | | | | %.0f (TCP alone) | | |\n",
		us(t.cpu, "µs/MB"), us(g.cpu, "µs/MB"), us(t.cpu+g.cpu, "µs/MB"), 1e9/t.wall)
}

// handshakes prints the handshake table: dial, handshake, close.
func (r *runner) handshakes() {
	variants := []variant{
		{name: "TLS 1.3 X25519, ECDSA P-256", curve: tls.X25519},
		{name: "TLS 1.3 X25519MLKEM768, ECDSA P-256", curve: tls.X25519MLKEM768},
		{name: "TLS 1.3 X25519, RSA-2048", curve: tls.X25519, rsa: true},
		{name: "TLS 1.2 ECDHE-ECDSA X25519", curve: tls.X25519, tls12: true},
		{name: "TLS 1.3 resumed (PSK + X25519)", curve: tls.X25519, resumed: true},
	}
	header := once("| handshake (dial, handshake, Close) | tlsrecord CPU (user) | crypto/tls CPU (user) | ratio user+sys | ratio user | allocs (ours, theirs) | bytes (ours, theirs) |\n|---|---|---|---|---|---|---|")
	n := max(int(200*r.scale), 1)
	for _, v := range variants {
		d := newDialer(r.srv, v)
		if v.resumed {
			for c := range 2 {
				if err := d.prime(c); err != nil {
					panic(err)
				}
			}
		}
		st, ok := r.run("handshake/"+v.name, float64(n), func(c int) func() error {
			return func() error {
				for range n {
					nc, err := d.dial(c)
					if err != nil {
						return err
					}
					if v.resumed && !didResume(nc) {
						return fmt.Errorf("did not resume")
					}
					nc.Close()
				}
				return nil
			}
		})
		if !ok {
			continue
		}
		header()
		fmt.Printf("| %s | %s | %s | %s | %s | %.0f, %.0f | %.0f, %.0f |\n", v.name,
			cpuUser(st[0], "µs"), cpuUser(st[1], "µs"), ratio(st[1].cpu, st[0].cpu), ratio(st[1].user, st[0].user),
			st[0].allocs, st[1].allocs, st[0].bytes, st[1].bytes)
	}
	fmt.Println()
}

// prime runs a full handshake and reads past the server's tickets so the
// client's cache holds one.
func (d *dialer) prime(c int) error {
	nc, err := d.dial(c)
	if err != nil {
		return err
	}
	defer nc.Close()
	return echo(nc)
}

func echo(nc net.Conn) error {
	if _, err := nc.Write(append(command(opEcho, 0, 0), 'x')); err != nil {
		return err
	}
	var b [1]byte
	_, err := io.ReadFull(nc, b[:])
	return err
}

// idle prints the heap each client retains per established connection
// after a one-byte echo: n connections of one kind held at once, the heap
// measured after a GC, before and after.
func (r *runner) idle(n int) {
	d := newDialer(r.srv, variant{curve: tls.X25519})
	var per [2][]float64
	for i := range 4 {
		c := i % 2
		if i >= 2 {
			c = 1 - c
		}
		per[c] = append(per[c], idleHeap(d, c, n))
	}
	fmt.Printf("| idle connection after a one-byte echo (%d held at once) | tlsrecord | crypto/tls |\n|---|---|---|\n", n)
	fmt.Printf("| heap retained per connection (two runs each) | %.0f B, %.0f B | %.0f B, %.0f B |\n\n",
		per[0][0], per[0][1], per[1][0], per[1][1])
}

func idleHeap(d *dialer, c, n int) float64 {
	before := heapInUse()
	conns := make([]net.Conn, n)
	for i := range conns {
		nc, err := d.dial(c)
		if err != nil {
			panic(err)
		}
		if err := echo(nc); err != nil {
			panic(err)
		}
		conns[i] = nc
	}
	after := heapInUse()
	if heapProfile != nil {
		heapProfile(clientNames[c])
	}
	for _, nc := range conns {
		nc.Close()
	}
	runtime.KeepAlive(conns)
	time.Sleep(100 * time.Millisecond)
	return float64(int64(after)-int64(before)) / float64(n)
}

// heapProfile, when set (-heapprofile), is called while the idle
// connections of a client are held.
var heapProfile func(client string)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
