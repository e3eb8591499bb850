// Command gatehouse-server runs the Gatehouse portal server: the admin API that the
// Gatehouse desktop app syncs with, and the pages end users see when they sign in, ask for
// access, or accept an invitation.
//
//	gatehouse-server serve   [flags]   run the server
//	gatehouse-server migrate [flags]   create or upgrade the database, then exit
//	gatehouse-server import  [flags]   import contacts from a spreadsheet
//	gatehouse-server help [command]    explain a command and its flags
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `gatehouse-server runs the Gatehouse portal server.

Usage:
  gatehouse-server <command> [flags]

Commands:
  serve     Run the server: the admin JSON API under /api/v1 that Gatehouse desktop apps
            sync with, and the end-user pages (SSO sign-in, "not authorised" with
            Request access, approval links, invitation links). Creates or upgrades the
            database first.
  migrate   Create the SQLite database, or bring its schema up to date, and exit.
  import    Import contacts from a spreadsheet into the database (see "help import").
  demo      Fill a database with demonstration data, for trying the server and for tests.
  help      Explain a command: gatehouse-server help serve

Every flag can also be set through the environment variable shown in its help, such as
GATEHOUSE_DB for --db. Flags win over the environment.
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "-h", "-help", "--help", "help":
		if cmd == "help" && len(rest) > 0 {
			return run(ctx, []string{rest[0], "--help"}, stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		err = runServe(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		err = runMigrate(ctx, rest, stdout, stderr, getenv)
	case "import":
		err = runImport(ctx, rest, stdout, stderr)
	case "demo":
		err = runDemo(ctx, rest, stdout, stderr, getenv)
	default:
		fmt.Fprintf(stderr, "gatehouse-server: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "gatehouse-server %s: %v\n", cmd, err)
	return 1
}

// errUsage marks a flag error that has already been reported with the usage text.
var errUsage = errors.New("usage")

// envFlags is a flag set whose flags default to environment variables.
type envFlags struct {
	*flag.FlagSet
	getenv func(string) string
}

func newFlags(name, summary string, stdout io.Writer, getenv func(string) string) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gatehouse-server %s [flags]\n\n%s\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return &envFlags{FlagSet: fs, getenv: getenv}
}

func (f *envFlags) env(name, def string) string {
	if v := f.getenv(name); v != "" {
		return v
	}
	return def
}

func (f *envFlags) str(p *string, name, env, def, help string) {
	f.StringVar(p, name, f.env(env, def), help+" ($"+env+")")
}

// parse parses args; a bad flag is reported on stderr with the usage.
func (f *envFlags) parse(args []string, stderr io.Writer) error {
	f.SetOutput(stderr)
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return errUsage
	}
	if f.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", f.Arg(0))
		f.Usage()
		return errUsage
	}
	return nil
}
