package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

func newSubmitCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "submit",
		Usage: "render the sbatch scripts and submit the generate arrays and the merge job",
		Description: "Plans the run if needed, renders templates/generate.sbatch (one array task per\n" +
			"entry of an index -> shards map, split into several arrays when the cluster's\n" +
			"MaxArraySize asks for it) and templates/merge.sbatch, submits them with\n" +
			"`sbatch --parsable` (the merge job with --dependency=afterany:<arrays>), and\n" +
			"records every submission in <run.dir>/slurm/submissions.jsonl.",
		Flags: append(configFlags(),
			&cli.BoolFlag{Name: "dry-run", Usage: "write and print the scripts and sbatch command lines, submit nothing (runs sbatch --test-only when sbatch exists)"},
			&cli.BoolFlag{Name: "no-merge", Usage: "submit the generate arrays only"},
			&cli.BoolFlag{Name: "force", Usage: "submit again although the run was submitted before (resume is usually what you want)"},
		),
		Action: func(cctx *cli.Context) error {
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			return runSubmit(cctx.Context, env, slurmClient(env), cfg, submitOptions{
				DryRun:  cctx.Bool("dry-run"),
				NoMerge: cctx.Bool("no-merge"),
				Force:   cctx.Bool("force"),
				Sets:    cctx.StringSlice("set"),
			})
		},
	}
}

type submitOptions struct {
	DryRun  bool
	NoMerge bool
	Force   bool
	Sets    []string // --set flags, handed on to the jobs
}

// slurmClient runs Slurm's commands with os/exec, in the process's
// environment (so SLURM_CONF and the like reach them).
func slurmClient(env *Env) slurm.Client {
	return slurm.Client{Exec: func(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
		path, err := exec.LookPath(name)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, slurm.ErrNotFound)
		}
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = env.Environ()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		return stdout.Bytes(), stderr.Bytes(), err
	}}
}

// leaseOwner says who this process is in the leases it takes besides the
// runner's shard leases (the submit and merge locks, a merge's build
// directory): host, pid and Slurm job, so that a holder that crashed on
// this host is known gone at once.
func leaseOwner(env *Env) shard.LeaseOptions {
	return shard.LeaseOptions{Host: env.Hostname, PID: os.Getpid(), JobID: slurmJobID(env.Getenv)}
}

// loadPlan reads <run.dir>/plan.json, planning the run first when there is
// none yet.
func loadPlan(ctx context.Context, env *Env, cfg *Config) (*shard.Plan, error) {
	l := shard.Layout{Dir: cfg.Run.Dir}
	if _, err := os.Stat(l.PlanFile()); err == nil {
		// The jobs generate with the plan's settings: a config edited
		// since is refused here, before anything is submitted.
		return readRunPlan(cfg, env.Logger)
	}
	p, created, err := planRun(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	printPlan(env, cfg, p, created)
	return p, nil
}

// jobInput is what every rendered script takes from the config.
func jobInput(cfg *Config, sets []string) (slurm.JobInput, error) {
	if cfg.File == "" {
		return slurm.JobInput{}, errors.New("the Slurm jobs read the config from a file: pass -c FILE (write one with `distillery init`)")
	}
	l := shard.Layout{Dir: cfg.Run.Dir}
	sc := cfg.Slurm
	sc.Binary = jobBinary(cfg)
	return slurm.JobInput{
		Slurm:      sc,
		ConfigFile: cfg.File,
		RunDir:     cfg.Run.Dir,
		LogDir:     l.LogDir(),
		Sets:       sets,
		// The merge job checks that every shard is done before it
		// starts the judge server, unless it is to merge what is there.
		AllowIncomplete: cfg.Merge.AllowIncomplete,
	}, nil
}

// generateServer is the server the array tasks start. A set
// generate.endpoint means an existing server ("Slurm jobs use the server
// they start" only when it is empty): the tasks start none.
func generateServer(env *Env, cfg *Config) slurm.ServerConfig {
	s := cfg.Server
	if s.Kind != "external" && cfg.Generate.Endpoint != "" {
		fmt.Fprintf(env.Stderr, "note: generate.endpoint is set (%s): the array tasks use that server and start none (server.kind %q does not apply)\n", cfg.Generate.Endpoint, s.Kind)
		s.Kind, s.Endpoint = "external", cfg.Generate.Endpoint
	}
	return s
}

// judgeServer is the judge server the merge job starts, nil when the judge
// is disabled; a set judge.endpoint means an existing server, as for
// generate.
func judgeServer(env *Env, cfg *Config) *slurm.ServerConfig {
	if !cfg.Judge.Enabled {
		return nil
	}
	s := cfg.Judge.Server
	if cfg.Server.Kind == "sim" && s.Kind == "sglang" && reflect.DeepEqual(s, defaultJudgeSection().Server) && cfg.Judge.Endpoint == "" {
		// A simulated campaign is judged by the simulator too, unless
		// [judge.server] says otherwise (changes anything from its
		// defaults): a dry run on a machine without GPUs must not start
		// SGLang for the judge.
		fmt.Fprintln(env.Stderr, `note: server.kind = "sim": the merge job's judge is simulated too (configure [judge.server] to start a real one)`)
		s.Kind = "sim"
	}
	if s.Kind != "external" && cfg.Judge.Endpoint != "" {
		fmt.Fprintf(env.Stderr, "note: judge.endpoint is set (%s): the merge job uses that server and starts none (judge.server.kind %q does not apply)\n", cfg.Judge.Endpoint, s.Kind)
		s.Kind, s.Endpoint = "external", cfg.Judge.Endpoint
	}
	return &s
}

// jobBinary is the distillery the jobs run: slurm.binary, or when it is
// empty (the default) the absolute path of this executable, which the
// nodes of a cluster see on its shared file system (compute nodes rarely
// have distillery in PATH). A relative path with a slash (bin/distillery)
// is relative to the config file, like the other paths in it; a bare name
// is looked up in PATH on the node.
func jobBinary(cfg *Config) string {
	b := cfg.Slurm.Binary
	if b == "" {
		if self, err := os.Executable(); err == nil {
			if real, err := filepath.EvalSymlinks(self); err == nil {
				self = real
			}
			return self
		}
		return "distillery"
	}
	if strings.Contains(b, "/") && !filepath.IsAbs(b) && cfg.File != "" {
		b = filepath.Join(filepath.Dir(cfg.File), b)
	}
	return b
}

// warnBinary says so when the binary the jobs run cannot be found here
// (the nodes usually see the same PATH and file systems), or lives where
// the nodes are unlikely to see it (a temporary directory: `go run`).
func warnBinary(env *Env, cfg *Config) {
	b := jobBinary(cfg)
	if _, err := exec.LookPath(b); err != nil {
		fmt.Fprintf(env.Stderr, "warning: slurm.binary %q is not found here (%v); the jobs need it on the compute nodes: set slurm.binary to its absolute path\n", b, err)
		return
	}
	if cfg.Slurm.Binary == "" && strings.HasPrefix(b, filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		fmt.Fprintf(env.Stderr, "warning: the jobs run %s (this executable, slurm.binary is not set), which is in a temporary directory the compute nodes may not see: install distillery on shared storage or set slurm.binary\n", b)
	}
}

// warnResources warns when an SGLang server is to start in a job that
// asks Slurm for fewer GPUs than its tensor/data parallelism needs (on
// most clusters such a job gets no GPU and SGLang dies at start-up), or
// for fewer CPUs than one per GPU process. gen and judge are the servers
// the jobs start (generateServer, judgeServer; judge nil when none). GPUs
// requested some other way (extra directives with gpu/gres) are not
// second-guessed.
func warnResources(env *Env, cfg *Config, gen slurm.ServerConfig, judge *slurm.ServerConfig) {
	check := func(what string, srv slurm.ServerConfig, gpusKey, cpusKey string, gpus, cpus, nodes int, extra []string) {
		if srv.Kind != "sglang" {
			return
		}
		nodes = max(nodes, srv.Nodes, 1)
		perNode := slurm.ServerGPUsPerNode(srv, nodes)
		if cpus > 0 && cpus < perNode {
			fmt.Fprintf(env.Stderr, "warning: the %s starts SGLang with %d GPUs per node but asks Slurm for %d CPUs: set %s to at least %d (unset, it is %d per GPU)\n",
				what, perNode, cpus, cpusKey, perNode, slurm.CPUsPerGPU)
		}
		for _, d := range extra {
			if l := strings.ToLower(d); strings.Contains(l, "gpu") || strings.Contains(l, "gres") {
				return
			}
		}
		need := max(srv.TP, 1) * max(srv.DP, 1)
		if gpus*nodes < need {
			fmt.Fprintf(env.Stderr, "warning: the %s starts SGLang with tp %d, dp %d (%d GPUs) but asks Slurm for %d per node on %d node(s): set %s = %d (or request GPUs in extra directives)\n",
				what, srv.TP, max(srv.DP, 1), need, gpus, nodes, gpusKey, perNode)
		}
	}
	sc := cfg.Slurm
	check("generate job", gen, "slurm.gpus_per_node", "slurm.cpus_per_task", sc.GPUsPerNode, sc.CPUsPerTask, sc.NodesPerTask, sc.ExtraDirectives)
	if judge != nil {
		check("merge job's judge", *judge, "slurm.merge_gpus_per_node", "slurm.merge_cpus_per_task", sc.MergeGPUsPerNode, sc.MergeCPUsPerTask, sc.MergeNodes, sc.MergeExtraDirectives)
	}
}

func checkServers(cfg *Config) error {
	if cfg.Server.Kind == "external" && cfg.Server.Endpoint == "" && cfg.Generate.Endpoint == "" {
		return errors.New(`server.kind = "external" needs server.endpoint (or generate.endpoint): the URL of the running server`)
	}
	if cfg.Judge.Enabled && cfg.Judge.Server.Kind == "external" && cfg.Judge.Server.Endpoint == "" && cfg.Judge.Endpoint == "" {
		return errors.New(`judge.server.kind = "external" needs judge.server.endpoint (or judge.endpoint)`)
	}
	return nil
}

func runSubmit(ctx context.Context, env *Env, client slurm.Client, cfg *Config, opts submitOptions) error {
	job, err := jobInput(cfg, opts.Sets)
	if err != nil {
		return err
	}
	if err := checkServers(cfg); err != nil {
		return err
	}
	plan, err := loadPlan(ctx, env, cfg)
	if err != nil {
		return err
	}
	warnBinary(env, cfg)
	gen, judge := generateServer(env, cfg), judgeServer(env, cfg)
	warnResources(env, cfg, gen, judge)
	l := shard.Layout{Dir: cfg.Run.Dir}
	if !opts.DryRun {
		unlock, err := slurm.LockSubmissions(ctx, l, leaseOwner(env))
		if err != nil {
			return err
		}
		defer unlock()
	}
	subs, err := slurm.ReadSubmissions(slurm.SubmissionsFile(l))
	if err != nil {
		return err
	}
	unconfirmed, err := slurm.ReadSubmissions(slurm.UnconfirmedFile(l))
	if err != nil {
		return err
	}
	if len(subs) == 0 && len(unconfirmed) > 0 && !opts.Force && !opts.DryRun {
		return fmt.Errorf("an earlier submit of %s failed in a way that leaves open whether Slurm queued it (%s): run `distillery resume`, which finds such jobs in squeue and submits only what is missing (or submit --force)",
			cfg.Run.Dir, slurm.UnconfirmedFile(l))
	}
	if len(subs) > 0 && !opts.Force && !opts.DryRun {
		return fmt.Errorf("%s was submitted before (%d sbatch calls in %s): run `distillery status` to watch it and `distillery resume` to submit what is missing (or submit --force)",
			cfg.Run.Dir, len(subs), slurm.SubmissionsFile(l))
	}
	var todo []int
	for _, s := range plan.Shards {
		// A marker that does not vouch for the output on disk (another
		// plan's, or an output changed since) is not done: the runner
		// redoes such a shard, so submit it.
		st, err := shard.StateOf(l, s, shard.CheckHash)
		if err != nil {
			return err
		}
		if !st.IsDone() {
			todo = append(todo, s.ID)
		}
	}
	r, err := slurm.NewRenderer(cfg.Slurm.TemplatesDir)
	if err != nil {
		return err
	}
	res, err := slurm.Submit(ctx, client, r, slurm.SubmitRequest{
		Command:    "submit",
		Layout:     l,
		Job:        job,
		Server:     gen,
		Judge:      judge,
		Shards:     todo,
		NoMerge:    opts.NoMerge,
		DryRun:     opts.DryRun,
		ConfigHash: cfg.Hash(),
		Now:        env.Now(),
		Out:        env.Stdout,
	})
	if err != nil {
		return err
	}
	printSubmitSummary(env, res, len(plan.Shards), len(todo), opts.DryRun)
	return nil
}

func printSubmitSummary(env *Env, res *slurm.SubmitResult, total, todo int, dry bool) {
	var ids []string
	for _, a := range res.Arrays {
		ids = append(ids, a.JobID)
	}
	verb := "submitted"
	if dry {
		verb = "would submit (dry run)"
	}
	fmt.Fprintf(env.Stdout, "%s %d shards of %d in %d array(s) (MaxArraySize %d from %s)",
		verb, todo, total, len(res.Arrays), res.MaxArraySize, res.MaxArraySizeFrom)
	if !dry && len(ids) > 0 {
		fmt.Fprintf(env.Stdout, ": %s", strings.Join(ids, ", "))
	}
	if res.Merge != nil && !dry {
		fmt.Fprintf(env.Stdout, "; merge job %s", res.Merge.JobID)
	}
	fmt.Fprintln(env.Stdout)
}
