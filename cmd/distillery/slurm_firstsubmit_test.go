package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dropConfigLines removes the lines of r's config that set one of keys
// (`key = ...`) and the sections named in sections ("[judge.server]" and
// its keys), so that the defaults apply, as in a new user's config.
func (r *slurmTestRun) dropConfigLines(t *testing.T, keys []string, sections []string) {
	t.Helper()
	b, err := os.ReadFile(r.config)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	skip := false
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			skip = false
			for _, s := range sections {
				if trimmed == s {
					skip = true
				}
			}
		}
		if skip {
			continue
		}
		drop := false
		for _, k := range keys {
			if regexp.MustCompile(`^` + regexp.QuoteMeta(k) + `\s*=`).MatchString(trimmed) {
				drop = true
			}
		}
		if !drop {
			out = append(out, line)
		}
	}
	if err := os.WriteFile(r.config, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSlurmFirstSubmitDefaults: a config that names no slurm.binary, no
// [server] port and no [judge.server], submitted as a new user would,
// runs on the real one-node Slurm: the tasks, all on one node at the same
// time, get a port each (no `address already in use`), run the binary
// that submitted them (not a bare `distillery` from PATH), and the merge
// job's judge is the simulator like the generate server. A dry run with a
// partition the cluster lacks exits non-zero with Slurm's reason.
func TestSlurmFirstSubmitDefaults(t *testing.T) {
	h := newSlurmHarness(t, "first")
	r := h.newRun("first", 4, 3, 2, 400)
	r.dropConfigLines(t, []string{"binary", "port"}, []string{"[judge.server]"})

	out, errOut, code := h.distillery(nil, "submit", "-c", r.config, "--dry-run", "--set", "slurm.partition=nosuchpartition")
	if code == 0 || !strings.Contains(errOut, "sbatch --test-only rejected") || !strings.Contains(strings.ToLower(errOut), "partition") {
		t.Errorf("dry run with a bad partition: exit %d, stderr:\n%s", code, errOut)
	}
	out, errOut, code = h.distillery(nil, "submit", "-c", r.config, "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "DISTILLERY="+h.bin+"\n") {
		t.Errorf("the scripts do not run the submitting binary %s:\n%s", h.bin, out)
	}
	if strings.Contains(out, "sglang.launch_server") || !strings.Contains(errOut, "judge is simulated too") {
		t.Errorf("a sim campaign's merge job starts SGLang for the judge, or says nothing:\n%s\n%s", errOut, out)
	}

	out, errOut, code = h.distillery(nil, "submit", "-c", r.config)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	var merge string
	for _, s := range r.submissions(t) {
		if s.Kind == "merge" {
			merge = s.JobID
		}
	}
	h.waitDone(r, 4*time.Minute)
	if st := h.waitJob(merge, 3*time.Minute); st != "COMPLETED" {
		t.Fatalf("merge job %s ended %s\n%s", merge, st, h.logs(r))
	}
	logs := h.logs(r)
	if strings.Contains(logs, "address already in use") || strings.Contains(logs, "command not found") {
		t.Errorf("a task failed as a first submit used to:\n%s", logs)
	}
	h.checkExactlyOnce(r)
	h.checkDataset(r)
}
