package testpeer

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// keyID names one secret of one connection in an NSS key log.
type keyID struct {
	label  string
	random string // client random, raw bytes
}

// keyStore collects the server's NSS key log lines ("LABEL <client random>
// <secret>", hex) and hands secrets to the proxy, which waits for them:
// a server may log a secret a little after the records it protects have
// left (openssl writes a file), so a lookup waits, with a deadline, until
// the line arrives.
//
// It is an io.Writer for crypto/tls's Config.KeyLogWriter, and it can tail
// a file an external server appends to.
type keyStore struct {
	mu      sync.Mutex
	secrets map[keyID][]byte
	partial []byte        // an unterminated line
	changed chan struct{} // closed and replaced when a secret arrives

	path string   // external key log file, "" for none
	file *os.File // opened once it exists
}

// filePoll is how often a wait re-reads an external key log file that has
// not yet delivered the awaited line.
const filePoll = 5 * time.Millisecond

func newKeyStore(path string) *keyStore {
	return &keyStore{secrets: make(map[keyID][]byte), changed: make(chan struct{}), path: path}
}

// Write adds key log lines; a line may span several writes.
func (k *keyStore) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.addLocked(p)
	return len(p), nil
}

func (k *keyStore) addLocked(p []byte) {
	k.partial = append(k.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(k.partial, '\n')
		if i < 0 {
			break
		}
		added = k.parseLineLocked(k.partial[:i]) || added
		k.partial = k.partial[i+1:]
	}
	k.partial = append([]byte(nil), k.partial...)
	if added {
		close(k.changed)
		k.changed = make(chan struct{})
	}
}

// parseLineLocked stores one line's secret. Comments, blank and malformed
// lines are skipped, as Wireshark does.
func (k *keyStore) parseLineLocked(line []byte) bool {
	f := bytes.Fields(line)
	if len(f) != 3 || f[0][0] == '#' {
		return false
	}
	random, err1 := hex.DecodeString(string(f[1]))
	secret, err2 := hex.DecodeString(string(f[2]))
	if err1 != nil || err2 != nil {
		return false
	}
	k.secrets[keyID{string(f[0]), string(random)}] = secret
	return true
}

// lookup returns the secret if known, and the channel closed at the next
// addition.
func (k *keyStore) lookup(label string, random []byte) ([]byte, <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.readFileLocked()
	return k.secrets[keyID{label, string(random)}], k.changed
}

// readFileLocked adds what the external key log file gained since the last
// read. The file may not exist yet: gnutls creates it at its first line.
func (k *keyStore) readFileLocked() {
	if k.path == "" {
		return
	}
	if k.file == nil {
		f, err := os.Open(k.path)
		if err != nil {
			return
		}
		k.file = f
	}
	buf := make([]byte, 4096)
	for {
		n, err := k.file.Read(buf)
		k.addLocked(buf[:n])
		if err != nil || n == 0 {
			return
		}
	}
}

// errNoSecret is wrapped by wait's error when the deadline passes.
var errNoSecret = errors.New("testpeer: secret not in the key log")

// wait returns the secret labeled label for the connection whose
// ClientHello.random is random, waiting until ctx is done for its line.
func (k *keyStore) wait(ctx context.Context, label string, random []byte) ([]byte, error) {
	var poll <-chan time.Time
	if k.path != "" {
		t := time.NewTicker(filePoll)
		defer t.Stop()
		poll = t.C
	}
	for {
		secret, changed := k.lookup(label, random)
		if secret != nil {
			return secret, nil
		}
		select {
		case <-changed:
		case <-poll:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s for client random %x: %w", errNoSecret, label, random, ctx.Err())
		}
	}
}

// close releases the external key log file.
func (k *keyStore) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.file == nil {
		return nil
	}
	err := k.file.Close()
	k.file = nil
	return err
}

var _ io.Writer = (*keyStore)(nil)
