package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEMatrix keeps the README's table "How real servers end a
// connection" true: it must be the matrix, rendered.
func TestREADMEMatrix(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	table := renderMatrix()
	if !strings.Contains(string(readme), table) {
		t.Errorf("README.md does not hold the matrix; its table should read:\n\n%s", table)
	}
}

// renderMatrix renders the matrix as the README's Markdown table.
func renderMatrix() string {
	var b strings.Builder
	b.WriteString("| Server | TLS library | Version | After its response | Our close_notify (`Shutdown`) | Request + our close_notify (`CloseWrite`) | Warning user_canceled (`SendAlert`) |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, s := range servers {
		for _, v := range both {
			o := matrix[s.name][v]
			cells := []string{"no handshake: " + endWord(o.Handshake), "", "", ""}
			if o.Handshake == ok {
				cells = []string{
					spell(o.Response, endWord), spell(o.Shutdown, shutdownWords),
					spell(o.HalfClose, halfCloseWords), spell(o.UserCanceled, userCanceledWords),
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.name, s.stack, versionName(v), strings.Join(cells, " | "))
		}
	}
	return b.String()
}

// spell spells a cell with the column's words; a cell with alternatives
// reads "first (or, by a race in the server, second)".
func spell(cell string, words func(string) string) string {
	alts := strings.Split(cell, " | ")
	out := words(alts[0])
	for _, alt := range alts[1:] {
		out += " (or, by a race in the server, " + words(alt) + ")"
	}
	return out
}

func endWord(end string) string {
	switch end {
	case endFIN:
		return "bare FIN"
	case endOpen:
		return "stays open"
	case endNone:
		return "n/a (echo server)"
	}
	return end // close_notify, RST, an alert
}

func shutdownWords(end string) string {
	switch end {
	case endCloseNotify:
		return "answers"
	case endFIN:
		return "bare FIN, no answer"
	case endOpen:
		return "no answer, stays open"
	}
	return endWord(end)
}

func halfCloseWords(cell string) string {
	if end, ok := strings.CutPrefix(cell, "served, "); ok {
		return "serves it, then " + endWord(end)
	}
	if end, ok := strings.CutPrefix(cell, "not served, "); ok {
		return endWord(end) + " without serving it"
	}
	return cell
}

func userCanceledWords(cell string) string {
	if cell == ignored {
		return "ignores it"
	}
	return "ends: " + endWord(cell)
}
