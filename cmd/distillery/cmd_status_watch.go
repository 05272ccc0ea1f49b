package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
	"github.com/distillery-hpc/distillery/slurm/report"
)

// watchWidth is the width --watch fits when the terminal does not say.
const watchWidth = 80

// runWatch redraws the status every interval until the run ends (see
// watchEnded) or ctx does, then returns the status's exit.
func runWatch(ctx context.Context, env *Env, client slurm.Client, cfg *Config, interval time.Duration) error {
	cache := report.NewCache() // done shards are read once, not every redraw
	tty := isTerminal(env.Stdout)
	for {
		st, err := collectStatus(ctx, env, client, cfg, shard.CheckSize)
		if err != nil {
			return err
		}
		proj := statusProjection(ctx, env, client, cfg, st, cache)
		width, height := termSize(env.Stdout)
		frame := watchFrame(st, proj, width, height, interval)
		if tty {
			// Home, draw, clear what the last frame left below: the table
			// is redrawn in place and stays on screen when watch ends.
			frame = "\x1b[H" + strings.ReplaceAll(frame, "\n", "\x1b[K\n") + "\x1b[J"
		} else {
			frame += "\n"
		}
		if _, err := io.WriteString(env.Stdout, frame); err != nil {
			return err
		}
		if watchEnded(st) {
			return statusExit(st)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return statusExit(st)
		case <-t.C:
		}
	}
}

// watchEnded says whether the run can change no more by itself: no shard
// is running, pending in Slurm or held by a fresh lease, no merge job
// waits or runs, and Slurm answered.
func watchEnded(st *slurm.Status) bool {
	if st.Counts[slurm.StateUnknown] > 0 || len(st.PendingMerges) > 0 || len(st.RunningMerges) > 0 || len(st.ActiveArrays) > 0 {
		return false
	}
	for _, s := range st.Shards {
		if s.State == slurm.StateRunning || s.Active || (s.Lease != nil && s.Lease.Fresh) {
			return false
		}
	}
	return true
}

// watchFrame is one screen of --watch: a header, the shards that are not
// done first (as many as fit in height), the totals and the projection,
// every line cut to width.
func watchFrame(st *slurm.Status, proj *report.Projection, width, height int, interval time.Duration) string {
	var foot bytes.Buffer
	printStatusTotals(&foot, st)
	printProjection(&foot, proj)
	footLines := strings.Split(strings.TrimRight(foot.String(), "\n"), "\n")

	var order []slurm.ShardStatus
	for _, s := range st.Shards {
		if s.State != slurm.StateDone {
			order = append(order, s)
		}
	}
	notDone := len(order)
	for _, s := range st.Shards {
		if s.State == slurm.StateDone {
			order = append(order, s)
		}
	}
	room := height - 2 - 1 - len(footLines) - 1 // header, table header, footer, the line under the cursor
	rows := order
	cut := 0
	if room < len(order) {
		room = max(room-1, 3) // keep a line for "... more"
		rows, cut = order[:min(room, len(order))], len(order)-min(room, len(order))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "distillery status  %s  %s  (every %s)\n", st.Time.UTC().Format("15:04:05 UTC"), st.RunDir, interval)
	tw := tabwriter.NewWriter(&b, 0, 4, 1, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSTATE\tPROBLEMS\tGENERATIONS\tSLURM\tNOTE")
	for _, s := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d/%d\t%s\t%s\n", shard.ShardName(s.ID), s.State,
			s.ProblemsDone, s.Problems, s.Generations, s.GenerationsPlanned, shardJobs(s), shardNote(s))
	}
	tw.Flush()
	if cut > 0 {
		done := len(st.Shards) - notDone
		fmt.Fprintf(&b, "... %d more shards (%d done in all)\n", cut, done)
	}
	b.WriteString(foot.String())
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		out.WriteString(fitWidth(line, width))
		out.WriteByte('\n')
	}
	return out.String()
}

// fitWidth cuts a line to width runes, marking the cut with "…".
func fitWidth(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
