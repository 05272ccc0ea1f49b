package shard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard/internal/numinagen"
)

var updatePlanShards = flag.Bool("update", false, "rewrite testdata/plan_shards.golden.json from this build's plans")

// plannedShards is what a plan decides: the rows read, what was dropped and
// why, and every input shard's problem count and content hash.
type plannedShards struct {
	Rows     int            `json:"rows"`
	Problems int            `json:"problems"`
	Dropped  map[string]int `json:"dropped"`
	Shards   int            `json:"shards"`
	First    ShardInfo      `json:"first_shard"`
	Last     ShardInfo      `json:"last_shard"`
	// ShardsSHA256 is the SHA-256 of the plan's shard list (id, problems,
	// content hash and file of each) as JSON.
	ShardsSHA256 string `json:"shards_sha256"`
}

// TestPlanShardsUnchanged plans generated NuminaMath-like sets (and the
// real problems, when present) under several [input] and [shard] settings,
// and compares the input shards written with those the planner wrote
// before it streamed its input (testdata/plan_shards.golden.json, written
// by the planner that held every row; rewrite it with -update only when a
// change of the shard format is intended).
func TestPlanShardsUnchanged(t *testing.T) {
	gen := t.TempDir()
	write := func(name string, rows int, seed uint64) string {
		p := filepath.Join(gen, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(name) == ".parquet" {
			err = numinagen.WriteParquet(f, rows, seed)
		} else {
			err = numinagen.WriteJSONL(f, rows, seed)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.jsonl", 20000, 1)
	small := write("small.parquet", 3000, 2)
	sameAsBig := write("same.parquet", 4000, 1) // the first 4,000 rows of big: all duplicates after it
	uuids := filepath.Join(gen, "uuids.jsonl")
	if err := os.WriteFile(uuids, []byte(`{"uuid":"a","problem":"What is 1+1?","answer":"2"}
{"uuid":"a","problem":"What is 2+2?","answer":"4"}
{"uuid":"","problem":"What is 3+3?","answer":"6"}
{"uuid":"b","problem":"  what IS 1+1?","answer":"2"}
{"uuid":"c","problem":"","answer":"2"}
{"uuid":"d","problem":"Prove it.","answer":"Proof"}
{"uuid":"e","problem":"What is 5+5?","answer":"10","synthetic":true}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		edit  func(*PlanOptions)
		real  []string // real data files instead of paths
	}{
		{name: "defaults", paths: []string{big}},
		{name: "odd shard size, limit, filters", paths: []string{big}, edit: func(o *PlanOptions) {
			o.Shard.ProblemsPerShard = 333
			o.Input.Limit = 7000
			o.Input.DropSynthetic = true
			o.Input.ExcludeSources = []string{"cn_k12"}
		}},
		{name: "limit below the first shard", paths: []string{small}, edit: func(o *PlanOptions) { o.Input.Limit = 17 }},
		{name: "sources and question types kept, validity ignored", paths: []string{small, big}, edit: func(o *PlanOptions) {
			o.Input.Sources = []string{"olympiads", "aops_forum", "amc_aime"}
			o.Input.QuestionTypes = []string{"math-word-problem", "MCQ"}
			o.Input.RequireValid = false
			o.Shard.ProblemsPerShard = 1000
		}},
		{name: "duplicates across files", paths: []string{big, sameAsBig}, edit: func(o *PlanOptions) { o.Shard.ProblemsPerShard = 4096 }},
		{name: "one problem a shard", paths: []string{small}, edit: func(o *PlanOptions) { o.Shard.ProblemsPerShard, o.Input.Limit = 1, 60 }},
		{name: "uuids given, repeated and missing", paths: []string{uuids, small}, edit: func(o *PlanOptions) { o.Shard.ProblemsPerShard, o.Input.Limit = 2, 41 }},
		{name: "real problems", real: []string{"derived/problems.jsonl", "derived/problems.parquet"}, edit: func(o *PlanOptions) { o.Shard.ProblemsPerShard = 100 }},
	}
	golden := filepath.Join("testdata", "plan_shards.golden.json")
	want := map[string]plannedShards{}
	if !*updatePlanShards {
		b, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", golden, err)
		}
	}
	got := map[string]plannedShards{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := PlanOptions{Input: DefaultInputConfig(), Shard: DefaultShardConfig()}
			o.Input.Paths = tt.paths
			for _, rel := range tt.real {
				o.Input.Paths = append(o.Input.Paths, testenv.NeedData(t, rel))
			}
			if tt.edit != nil {
				tt.edit(&o)
			}
			l := Layout{Dir: filepath.Join(t.TempDir(), "run")}
			p, created, err := MakePlan(context.Background(), l, o)
			if err != nil || !created {
				t.Fatalf("MakePlan: created %v, %v", created, err)
			}
			for _, s := range p.Shards {
				problems, sum, err := ReadInput(l.ShardInput(s))
				if err != nil || sum != s.SHA256 || len(problems) != s.Problems {
					t.Fatalf("shard %d: %d problems, sha %s, %v; plan.json says %d, %s", s.ID, len(problems), sum, err, s.Problems, s.SHA256)
				}
			}
			list, _ := json.Marshal(p.Shards)
			sum := sha256.Sum256(list)
			g := plannedShards{Rows: p.Rows, Problems: p.Problems, Dropped: p.Dropped, Shards: len(p.Shards),
				First: p.Shards[0], Last: p.Shards[len(p.Shards)-1], ShardsSHA256: hex.EncodeToString(sum[:])}
			got[tt.name] = g
			if *updatePlanShards {
				return
			}
			w, ok := want[tt.name]
			if !ok {
				t.Fatalf("%s has no case %q: run with -update", golden, tt.name)
			}
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if string(gb) != string(wb) {
				t.Errorf("plan differs from the golden one\n got: %.2000s\nwant: %.2000s", gb, wb)
			}
		})
	}
	if *updatePlanShards {
		b, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
