package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
)

// simFlagKeys maps sim-server's named flags to the [sim] keys they set.
func simFlagKeys() map[string]string {
	return map[string]string{
		"model":                "sim.model",
		"max-running-requests": "sim.max_running_requests",
		"time-scale":           "sim.time_scale",
		"load-time":            "sim.load_time",
		"seed":                 "sim.seed",
		"fault-5xx":            "sim.fault_5xx",
		"fault-429":            "sim.fault_429",
		"fault-reset":          "sim.fault_reset",
		"fault-hang":           "sim.fault_hang",
		"crash-after":          "sim.crash_after",
	}
}

func newSimServerCommand(env *Env) *cli.Command {
	flags := append(configFlags(),
		&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "address to listen on"},
		&cli.IntFlag{Name: "port", Value: 30000, Usage: "port to listen on (0 picks a free one; the address is printed)"},
		&cli.StringFlag{Name: "run-dir", Usage: "answer from the input shards of this run `DIR` (default: run.dir)"},
		&cli.StringFlag{Name: "problems", Usage: "answer from this JSON Lines `FILE` of problems instead of the run dir"},
		&cli.StringFlag{Name: "model", Aliases: []string{"served-model-name"}, Usage: "served model `NAME` (sim.model)"},
		&cli.IntFlag{Name: "max-running-requests", Usage: "slots; more requests wait in a queue (sim.max_running_requests)"},
		&cli.Float64Flag{Name: "time-scale", Usage: "divide simulated durations by `X` (sim.time_scale)"},
		&cli.DurationFlag{Name: "load-time", Usage: "simulated model load time; /health_generate answers 503 meanwhile (sim.load_time)"},
		&cli.Int64Flag{Name: "seed", Usage: "seed of every draw (sim.seed)"},
		&cli.Float64Flag{Name: "fault-5xx", Usage: "probability of a 500/503 per request (sim.fault_5xx)"},
		&cli.Float64Flag{Name: "fault-429", Usage: "probability of a 429 with Retry-After per request (sim.fault_429)"},
		&cli.Float64Flag{Name: "fault-reset", Usage: "probability of a dropped connection per request (sim.fault_reset)"},
		&cli.Float64Flag{Name: "fault-hang", Usage: "probability of never answering a request (sim.fault_hang)"},
		&cli.IntFlag{Name: "crash-after", Usage: "exit after `N` generation requests (sim.crash_after)"},
	)
	return &cli.Command{
		Name:  "sim-server",
		Usage: "serve an SGLang-compatible simulator (for dry runs and tests; not a model)",
		Description: "Speaks SGLang's HTTP API (/v1/chat/completions, /generate, /health, /health_generate,\n" +
			"/get_model_info, /v1/models) and answers from the planned problems with a configurable share of\n" +
			"right, wrong, rewritten and unboxed answers, on a compressed time scale, with injectable faults.\n" +
			"It prints its base URL on stdout and runs until SIGTERM or SIGINT.",
		Flags: flags,
		Action: func(cctx *cli.Context) error {
			if err := noArgs(cctx); err != nil {
				return err
			}
			cfg, err := configFromContextWith(cctx, env, simFlagKeys())
			if err != nil {
				return withCode(exitUsage, err)
			}
			sc := cfg.Sim
			port := cctx.Int("port")
			if port < 0 || port > 65535 {
				return withCode(exitUsage, fmt.Errorf("sim-server: --port %d is not a port (0-65535)", port))
			}

			var problems []shard.Problem
			if f := cctx.String("problems"); f != "" {
				problems, err = simserver.ReadProblemsFile(f)
			} else {
				dir := cfg.Run.Dir
				if cctx.IsSet("run-dir") {
					dir = cctx.String("run-dir")
				}
				problems, err = simserver.LoadRunDir(dir)
			}
			if err != nil {
				return fmt.Errorf("sim-server: %w", err)
			}

			srv := simserver.New(sc, problems, env.Logger)
			addr := net.JoinHostPort(cctx.String("host"), strconv.Itoa(port))
			in, err := srv.Start(cctx.Context, addr)
			if err != nil {
				return fmt.Errorf("sim-server: %w", err)
			}
			fmt.Fprintln(env.Stdout, in.URL)
			env.Logger.Info("sim-server: listening (a simulator for dry runs and tests, not a model)",
				"url", in.URL, "problems", srv.Problems(), "model", sc.Model,
				"max_running_requests", sc.MaxRunningRequests, "time_scale", sc.TimeScale,
				"ready_in", srv.ReadyIn())
			<-in.Done()
			st := srv.Stats()
			env.Logger.Info("sim-server: stopped", "requests", st.Requests, "completed", st.Completed,
				"generations", st.Generations, "completion_tokens", st.CompletionTokens)
			if errors.Is(in.Err(), simserver.ErrCrashed) {
				return fmt.Errorf("sim-server: crashed on purpose after %d requests (sim.crash_after)", sc.CrashAfter)
			}
			return in.Err()
		},
	}
}
