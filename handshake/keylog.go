package handshake

import (
	"encoding/hex"
	"io"
)

// Labels of the NSS key log format, the one Wireshark, tshark and
// crypto/tls's Config.KeyLogWriter use. The TLS 1.3 labels name the secret
// the line carries (RFC 8446, Section 7.1); CLIENT_RANDOM carries the TLS
// 1.2 master secret.
const (
	KeyLogLabelClientHandshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	KeyLogLabelServerHandshake = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	KeyLogLabelClientTraffic   = "CLIENT_TRAFFIC_SECRET_0"
	KeyLogLabelServerTraffic   = "SERVER_TRAFFIC_SECRET_0"
	KeyLogLabelExporter        = "EXPORTER_SECRET"
	KeyLogLabelTLS12           = "CLIENT_RANDOM"
)

// WriteKeyLog appends one NSS key log line, "LABEL <client random hex>
// <secret hex>\n", to w in a single Write, so concurrent connections that
// share w never interleave within a line. A nil w writes nothing. The
// client random identifies the connection: ClientHello.random, which the
// second ClientHello after a HelloRetryRequest repeats (RFC 8446, Section
// 4.1.2).
func WriteKeyLog(w io.Writer, label string, clientRandom, secret []byte) error {
	if w == nil {
		return nil
	}
	line := make([]byte, 0, len(label)+2*len(clientRandom)+2*len(secret)+3)
	line = append(line, label...)
	line = append(line, ' ')
	line = hex.AppendEncode(line, clientRandom)
	line = append(line, ' ')
	line = hex.AppendEncode(line, secret)
	line = append(line, '\n')
	_, err := w.Write(line)
	return err
}
