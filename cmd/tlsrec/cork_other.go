//go:build !linux

package main

import "net"

// cork does nothing where TCP_CORK does not exist: the writes in between
// may leave in separate segments.
func cork(net.Conn, bool) {}
