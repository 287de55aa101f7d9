package main

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// Commands a client sends after the handshake, each 9 bytes: the op, then
// the write size and the number of writes, big-endian. A connection that
// sends nothing is a handshake measurement; the server reads until EOF.
const (
	opSink = 'w' // the client writes size*count bytes; the server answers one byte
	opPour = 'r' // the server writes count writes of size bytes
	opEcho = 'e' // the server echoes one byte
)

func command(op byte, size, count int) []byte {
	b := []byte{op, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(size))
	binary.BigEndian.PutUint32(b[5:], uint32(count))
	return b
}

// serve is the child process: crypto/tls servers with the ECDSA and the RSA
// certificate and a plain TCP server (the floor), on loopback. It prints
// their addresses and serves until its stdin closes.
func serve(dir string) error {
	raiseFileLimit()
	var addrs []string
	for _, name := range []string{"ecdsa", "rsa"} {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem"))
		if err != nil {
			return err
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			return err
		}
		addrs = append(addrs, ln.Addr().String())
		go acceptLoop(ln)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addrs = append(addrs, ln.Addr().String())
	go acceptLoop(ln)
	fmt.Println(addrs[0], addrs[1], addrs[2])
	io.Copy(io.Discard, os.Stdin)
	return nil
}

func acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go handle(c)
	}
}

func handle(c net.Conn) {
	defer c.Close()
	var cmd [9]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil {
		return // a handshake-only connection
	}
	size := int(binary.BigEndian.Uint32(cmd[1:]))
	count := int(binary.BigEndian.Uint32(cmd[5:]))
	switch cmd[0] {
	case opSink:
		if _, err := io.CopyN(io.Discard, bufio.NewReaderSize(c, 64<<10), int64(size*count)); err != nil {
			return
		}
		c.Write([]byte{1})
	case opPour:
		buf := make([]byte, size)
		for range count {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	case opEcho:
		if _, err := io.ReadFull(c, cmd[:1]); err != nil {
			return
		}
		c.Write(cmd[:1])
	}
	io.Copy(io.Discard, c)
}

func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
