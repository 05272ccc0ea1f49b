// Command distillery reproduces the OpenR1-Math-220k pipeline on a Slurm
// cluster: plan shards, generate reasoning traces against SGLang, verify and
// judge the answers, and assemble parquet splits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

// Exit codes. They are documented in the README.
const (
	exitOK       = 0
	exitError    = 1 // the command failed
	exitUsage    = 2 // bad flags or arguments
	exitNotDone  = 3 // status: the run is not complete yet
	exitFailed   = 4 // status: some shards failed and need resume
	exitCanceled = 130
)

// Env is everything the commands take from the process. Only main builds
// one; tests build their own.
type Env struct {
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Getenv   func(string) string
	Environ  func() []string
	Now      func() time.Time
	Hostname string
	Logger   *slog.Logger
}

// exitError carries an exit code through urfave/cli.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:  "distillery",
		Usage: "reproduce the OpenR1-Math-220k pipeline on a Slurm cluster",
		Commands: []*cli.Command{
			newInitCommand(env),
			newPlanCommand(env),
			newRunCommand(env),
			newMergeCommand(env),
			newLocalCommand(env),
			newSimServerCommand(env),
			newVerifyCommand(env),
			newReportCommand(env),
			newSubmitCommand(env),
			newStatusCommand(env),
			newResumeCommand(env),
		},
		Writer:          env.Stdout,
		ErrWriter:       env.Stderr,
		HideHelpCommand: true,
		// With no command, the help; with a word that is not a command, a
		// usage error (urfave/cli's default says "No help topic" and exits 1).
		Action: func(cctx *cli.Context) error {
			if cctx.NArg() > 0 {
				return withCode(exitUsage, fmt.Errorf("unknown command %q: see `distillery --help`", cctx.Args().First()))
			}
			return cli.ShowAppHelp(cctx)
		},
		// urfave/cli must never call os.Exit itself: main maps errors to
		// exit codes in one place.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return withCode(exitUsage, err)
		},
		// --set input.paths=a.parquet,b.parquet is one key with a list
		// value; urfave/cli would otherwise split it at the comma into two
		// --set flags. --shard does its own comma splitting.
		DisableSliceFlagSeparator: true,
	}
	// A bad flag is a one-line usage error with exit code 2, as the app's
	// own, not a screen of help.
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			name := c.Name
			c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return withCode(exitUsage, fmt.Errorf("%s: %w (see `distillery %s --help`)", name, err, name))
			}
		}
	}
	return app
}

// noArgs refuses positional arguments for commands that take none: urfave/cli
// stops reading flags at the first one, so `plan x -c f.toml` would
// otherwise run without its config.
func noArgs(cctx *cli.Context) error {
	if cctx.NArg() > 0 {
		return withCode(exitUsage, fmt.Errorf("%s takes no arguments, got %q: flags go before any argument, e.g. `distillery %s -c FILE`",
			cctx.Command.Name, cctx.Args().First(), cctx.Command.Name))
	}
	return nil
}

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	host, _ := os.Hostname()
	env := &Env{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Getenv:   os.Getenv,
		Environ:  os.Environ,
		Now:      time.Now,
		Hostname: host,
	}
	env.Logger = newLogger(env)

	// The first SIGINT, SIGTERM or SIGUSR1 (Slurm's warning before a time
	// limit or preemption) cancels ctx: long-running commands stop taking
	// new work and drain. A second signal kills the process the usual way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal ends the process
	}()

	return runApp(ctx, env, args)
}

// runApp runs the app and maps its error to an exit code, in one place.
func runApp(ctx context.Context, env *Env, args []string) int {
	err := newApp(env).RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		fmt.Fprintf(env.Stderr, "distillery: %v\n", err)
		return ce.code
	}
	if errors.Is(err, context.Canceled) {
		// A bare "context canceled" says nothing to a user who pressed
		// Ctrl-C; what was left as it was is the command's to say.
		if msg := err.Error(); msg == context.Canceled.Error() {
			fmt.Fprintln(env.Stderr, "distillery: interrupted before finishing")
		} else {
			fmt.Fprintf(env.Stderr, "distillery: interrupted: %v\n", err)
		}
		return exitCanceled
	}
	fmt.Fprintf(env.Stderr, "distillery: %v\n", err)
	return exitError
}

// newLogger logs text to a terminal and JSON in batch jobs, tagged with the
// Slurm job and array task when there is one.
func newLogger(env *Env) *slog.Logger {
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if env.Getenv("DISTILLERY_LOG_LEVEL") == "debug" {
		opts.Level = slog.LevelDebug
	}
	if env.Getenv("SLURM_JOB_ID") != "" || env.Getenv("DISTILLERY_LOG_FORMAT") == "json" {
		h = slog.NewJSONHandler(env.Stderr, opts)
	} else {
		h = slog.NewTextHandler(env.Stderr, opts)
	}
	l := slog.New(h)
	if j := env.Getenv("SLURM_ARRAY_JOB_ID"); j != "" {
		l = l.With("job", j, "task", env.Getenv("SLURM_ARRAY_TASK_ID"))
	} else if j := env.Getenv("SLURM_JOB_ID"); j != "" {
		l = l.With("job", j)
	}
	return l
}
