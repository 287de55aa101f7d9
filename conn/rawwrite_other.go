//go:build !linux

package conn

import "io"

// transportWriter returns what the record Writer writes to.
func transportWriter(c *Conn) io.Writer { return c.conn }
