// Command tlsrec tells how a TLS connection really ends: it shows the
// record and alert exchange as a timeline, says how the connection ended
// (clean, truncated, alert, timeout) and exits with a code per outcome.
//
//	tlsrec connect [flags] host:port   an s_client that tells the truth (alias: dial)
//	tlsrec probe [flags] host:port     how a server ends connections, TLS 1.3 and 1.2
//	tlsrec demo [flags]                our client against misbehaving in-process peers
//
// Run tlsrec help CMD for each command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// env is the process's standard streams, replaced in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	json           bool // --json: errors too are JSON lines
}

// usage prints a usage error, one line on stderr, and returns exitUsage.
func (e *env) usage(format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if e.json {
		newPrinter(e.stdout, e.stderr, true).object(e.stderr, errorEvent(errors.New(msg)), "")
	} else {
		fmt.Fprintln(e.stderr, msg)
	}
	return exitUsage
}

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

const mainUsage = `usage: tlsrec COMMAND [flags] [host:port]

commands:
  connect host:port   connect, copy stdin to the server and its data to stdout, and say how the
                      connection ended (alias: dial)
  probe host:port     run several connections and report how the server ends them
  demo                our client against misbehaving in-process peers, TLS 1.3 and 1.2
  help [COMMAND]      this text, or a command's flags

Flags go before or after host:port. Run "tlsrec help COMMAND" for the flags.

` + exitCodesHelp

// run runs the command line args and returns the exit code.
func run(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage+"\n")
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, mainUsage+"\n")
		return exitClean
	case "help":
		if len(rest) == 0 {
			fmt.Fprint(e.stdout, mainUsage+"\n")
			return exitClean
		}
		c, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(e.stderr, "tlsrec: unknown command %q\n", rest[0])
			return exitUsage
		}
		fs, _ := c.flags()
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitClean
	}
	c, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(e.stderr, "tlsrec: unknown command %q (want connect, probe, demo or help)\n", cmd)
		return exitUsage
	}
	fs, runFn := c.flags()
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitClean
	}
	if err != nil {
		// The flags did not parse: --json may still have been asked for.
		e.json = slices.Contains(rest, "--json") || slices.Contains(rest, "-json")
		return e.usage("tlsrec %s: %v (see tlsrec help %s)", cmd, err, cmd)
	}
	if f := fs.Lookup("json"); f != nil {
		e.json = f.Value.String() == "true"
	}
	return runFn(e, pos)
}

// command is a subcommand: flags returns its FlagSet and the function
// that runs it with the positional arguments.
type command struct {
	flags func() (*flag.FlagSet, func(e *env, args []string) int)
}

var commands = map[string]command{
	"connect": {connectFlags("connect")},
	"dial":    {connectFlags("dial")},
	"probe":   {probeFlags},
	"demo":    {demoFlags},
}

// parseInterspersed parses flags before and after the positional
// arguments; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if len(args) > 0 && args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// hostPort checks there is exactly one host:port argument.
func hostPort(e *env, cmd string, args []string) (string, bool) {
	if len(args) != 1 {
		e.usage("tlsrec %s: want one host:port argument, got %d (see tlsrec help %s)", cmd, len(args), cmd)
		return "", false
	}
	return args[0], true
}

func usageFunc(fs *flag.FlagSet, synopsis, text string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n\n%s\n\nflags:\n", synopsis, strings.TrimSpace(text))
		fs.PrintDefaults()
		fmt.Fprintf(w, "\n%s\n", exitCodesHelp)
	}
}

func connectFlags(name string) func() (*flag.FlagSet, func(*env, []string) int) {
	return func() (*flag.FlagSet, func(*env, []string) int) {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		opts := &connectOptions{}
		opts.register(fs, true)
		fs.StringVar(&opts.close, "close", "wait", "at EOF on stdin: wait, close, half or none (see above)")
		fs.StringVar(&opts.sendAlert, "send-alert", "", "send this alert before closing: `NAME[:LEVEL]`, e.g. user_canceled, internal_error:fatal")
		fs.BoolVar(&opts.request, "request", false, "send GET / HTTP/1.1 with Connection: close instead of reading stdin")
		fs.Usage = usageFunc(fs, "tlsrec "+name+" [flags] host:port", connectHelp)
		return fs, func(e *env, args []string) int {
			addr, ok := hostPort(e, name, args)
			if !ok {
				return exitUsage
			}
			return connect(e, opts, addr)
		}
	}
}

const connectHelp = `
Connects to host:port, copies stdin to the server and the server's data to
stdout. On stderr: a summary after the handshake, with -v the timeline
(every record each way when the transport took or gave it, handshake
messages by name, alerts, EOF and our FIN), and last the verdict: clean,
truncated at a record boundary or inside a record, alert received or sent,
timeout, transport error.

EOF on stdin ends the session as --close says (after --send-alert):
  wait   send close_notify, then read until the peer's, up to --timeout: Shutdown,
         except that the data arriving meanwhile is printed, not discarded (default)
  close  send close_notify and close the transport without waiting
  half   send close_notify and shut our TCP write side (FIN), then read as wait does
  none   close the transport without close_notify: a truncation, on purpose
If the server ends first, its close_notify is answered and the session ends.
With --request, stdin is not read: the request goes out and the server's
response is read until the server ends the connection, each read waiting
up to --timeout.

--pcap writes pcapng with the key log embedded in a Decryption Secrets
Block, so "tshark -r FILE" decrypts it with no option. Its packets are
SYNTHESIZED from what our socket reported (each read and write as it
happened, our FIN when we shut our write side, the peer's FIN or RST only
when the socket reported it), not captured; the file's comment says so.`

// exitCode maps a setup error to its exit code.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// errorEvent is an error as a JSON line.
func errorEvent(err error) event { return event{Type: "error", Text: err.Error()} }

// fail prints err as one line on stderr and returns code.
func (e *env) fail(p *printer, code int, err error) int {
	p.object(e.stderr, errorEvent(err), "tlsrec: "+err.Error())
	return code
}
