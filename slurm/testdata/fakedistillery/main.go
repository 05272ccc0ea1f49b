// Command fakedistillery stands in for the distillery pipeline commands
// (run, sim-server, merge) in the Slurm integration tests, with their CLI
// contracts, so that the sbatch scripts, submit, status and resume can be
// tested on a real cluster independently of the real runner. It writes the
// real on-disk formats (package shard): framed output shards, leases, done
// markers. The tests use the real binary instead when it has these
// commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/distillery-hpc/distillery/shard"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

type options struct {
	config, host, runDir string
	port                 int
	shards, sets         multi
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fakedistillery run|sim-server|merge ...")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var o options
	fs.StringVar(&o.config, "c", "", "config")
	fs.StringVar(&o.host, "host", "127.0.0.1", "")
	fs.IntVar(&o.port, "port", 0, "")
	fs.StringVar(&o.runDir, "run-dir", "", "")
	fs.Var(&o.shards, "shard", "")
	fs.Var(&o.sets, "set", "")
	fs.Parse(os.Args[2:])
	var err error
	code := 1
	switch os.Args[1] {
	case "sim-server":
		err = simServer(o)
	case "run":
		code, err = runShards(o)
	case "merge":
		err = merge(o)
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakedistillery %s: %v\n", os.Args[1], err)
		os.Exit(code)
	}
	os.Exit(0)
}

type config struct {
	Run struct {
		Dir string `toml:"dir"`
	} `toml:"run"`
	Generate struct {
		NumGenerations int `toml:"num_generations"`
	} `toml:"generate"`
}

func loadConfig(path string) (config, error) {
	var c config
	if _, err := toml.DecodeFile(path, &c); err != nil {
		return c, err
	}
	if !filepath.IsAbs(c.Run.Dir) {
		c.Run.Dir = filepath.Join(filepath.Dir(path), c.Run.Dir)
	}
	if c.Generate.NumGenerations == 0 {
		c.Generate.NumGenerations = 4
	}
	return c, nil
}

func simServer(o options) error {
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/health_generate", func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start) < time.Second {
			http.Error(w, "loading", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return err
	}
	return http.Serve(ln, mux)
}

// delay is the time one generation takes (FAKE_GENERATION_DELAY).
func delay() time.Duration {
	d, err := time.ParseDuration(os.Getenv("FAKE_GENERATION_DELAY"))
	if err != nil {
		return 20 * time.Millisecond
	}
	return d
}

type lease struct {
	Host      string    `json:"host"`
	JobID     string    `json:"job_id"`
	Heartbeat time.Time `json:"heartbeat"`
}

const leaseTTL = 10 * time.Second

func jobID() string {
	if a := os.Getenv("SLURM_ARRAY_JOB_ID"); a != "" {
		return a + "_" + os.Getenv("SLURM_ARRAY_TASK_ID")
	}
	return os.Getenv("SLURM_JOB_ID")
}

// takeLease creates the lease file exclusively, taking over a stale one.
func takeLease(path string) (bool, error) {
	host, _ := os.Hostname()
	b, _ := json.Marshal(lease{Host: host, JobID: jobID(), Heartbeat: time.Now()})
	for try := 0; try < 2; try++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(b)
			return true, errors.Join(werr, f.Close())
		}
		if !errors.Is(err, os.ErrExist) {
			return false, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if time.Since(fi.ModTime()) < leaseTTL {
			return false, nil
		}
		os.Remove(path) // stale
	}
	return false, nil
}

func heartbeat(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

func runShards(o options) (int, error) {
	c, err := loadConfig(o.config)
	if err != nil {
		return 1, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR1, syscall.SIGTERM)
	defer stop()
	l := shard.Layout{Dir: c.Run.Dir}
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		return 1, err
	}
	for _, s := range o.shards {
		id, err := strconv.Atoi(s)
		if err != nil {
			return 2, err
		}
		for {
			if _, done, _ := shard.ReadDone(l, id); done {
				break
			}
			ok, err := takeLease(l.Lease(id))
			if err != nil {
				return 1, err
			}
			if !ok {
				// Another runner holds the shard: wait for it.
				select {
				case <-ctx.Done():
					return 75, errors.New("stopped while waiting for a lease")
				case <-time.After(time.Second):
				}
				continue
			}
			code, err := runShard(ctx, l, id, c.Generate.NumGenerations)
			os.Remove(l.Lease(id))
			if err != nil || code != 0 {
				return code, err
			}
			break
		}
	}
	return 0, nil
}

func runShard(ctx context.Context, l shard.Layout, id, numGen int) (int, error) {
	problems, sum, err := shard.ReadInput(l.Input(id))
	if err != nil {
		return 1, err
	}
	have := map[shard.Key]bool{}
	w, _, err := shard.OpenOutput(l.Output(id), func(g *shard.Generation) error {
		have[g.Key()] = true
		return nil
	})
	if err != nil {
		return 1, err
	}
	host, _ := os.Hostname()
	last := time.Now()
	n := len(have)
	for _, p := range problems {
		for i := 0; i < numGen; i++ {
			k := shard.Key{UUID: p.UUID, Index: i}
			if have[k] {
				continue
			}
			select {
			case <-ctx.Done():
				if err := w.Close(); err != nil {
					return 1, err
				}
				return 75, errors.New("drained after a signal")
			case <-time.After(delay()):
			}
			now := time.Now()
			if err := w.Add(&shard.Generation{UUID: p.UUID, Index: i, Text: `\boxed{` + p.Answer + `}`,
				FinishReason: "stop", Model: "fake", StartedAt: now, FinishedAt: now, Host: host, JobID: jobID()}); err != nil {
				return 1, err
			}
			n++
			if time.Since(last) > 500*time.Millisecond {
				if err := w.Flush(); err != nil {
					return 1, err
				}
				heartbeat(l.Lease(id))
				last = time.Now()
			}
		}
	}
	if err := w.Close(); err != nil {
		return 1, err
	}
	fi, err := os.Stat(l.Output(id))
	if err != nil {
		return 1, err
	}
	d := shard.Done{Shard: id, Problems: len(problems), Generations: n, InputSHA256: sum, OutputBytes: fi.Size(),
		Model: "fake", Host: host, JobID: jobID(), CompletedAt: time.Now().UTC()}
	b, _ := json.Marshal(d)
	tmp := l.DoneMarker(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return 1, err
	}
	return 0, os.Rename(tmp, l.DoneMarker(id))
}

func merge(o options) error {
	c, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	l := shard.Layout{Dir: c.Run.Dir}
	plan, err := shard.ReadPlan(l)
	if err != nil {
		return err
	}
	total := 0
	for _, s := range plan.Shards {
		if _, ok, _ := shard.ReadDone(l, s.ID); !ok {
			return fmt.Errorf("shard %d is not done", s.ID)
		}
		info, err := shard.ReadOutput(l.Output(s.ID), nil)
		if err != nil {
			return err
		}
		total += info.Records
	}
	if err := os.MkdirAll(l.DatasetDir(), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.DatasetDir(), "README.md"),
		[]byte(fmt.Sprintf("fake dataset: %d problems, %d generations\n", plan.Problems, total)), 0o644)
}
