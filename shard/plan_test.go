package shard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Output without a plan.json is another plan's: planning over it would
// let the runner resume new shards from old records and old done markers.
func TestMakePlanRefusesOrphanedOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.jsonl")
	if err := os.WriteFile(in, []byte(`{"problem":"What is 1+1?","answer":"2"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := Layout{Dir: filepath.Join(dir, "run")}
	o := PlanOptions{Input: DefaultInputConfig(), Shard: DefaultShardConfig(), Settings: Settings{NumGenerations: 1}}
	o.Input.Paths = []string{in}
	if _, created, err := MakePlan(context.Background(), l, o); err != nil || !created {
		t.Fatalf("first plan: created %v, %v", created, err)
	}
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.DoneMarker(0), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, created, err := MakePlan(context.Background(), l, o); err != nil || created {
		t.Fatalf("same plan again: created %v, %v", created, err)
	}
	if err := os.Remove(l.PlanFile()); err != nil {
		t.Fatal(err)
	}
	_, _, err := MakePlan(context.Background(), l, o)
	if err == nil || !strings.Contains(err.Error(), "no plan.json") || !strings.Contains(err.Error(), l.OutputDir()) {
		t.Fatalf("err = %v, want a refusal naming %s", err, l.OutputDir())
	}
	if _, err := os.Stat(l.PlanFile()); err == nil {
		t.Error("a plan.json was written")
	}
}
