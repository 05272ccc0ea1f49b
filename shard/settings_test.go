package shard

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testSettings() Settings {
	return Settings{Model: "org/m", PromptTemplate: "{problem}", NumGenerations: 4, Temperature: 0.6, TopP: 0.95, MaxTokens: 100}
}

// onePlanInput is a run dir to plan and the options planning one problem
// into it with testSettings.
func onePlanInput(t *testing.T) (Layout, PlanOptions) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "p.jsonl")
	if err := os.WriteFile(in, []byte(`{"problem":"What is 1+1?","answer":"2"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := PlanOptions{Input: DefaultInputConfig(), Shard: DefaultShardConfig(), Settings: testSettings()}
	o.Input.Paths = []string{in}
	return Layout{Dir: filepath.Join(dir, "run")}, o
}

// TestMakePlanRecordsSettings: plan.json records the generation settings
// under their JSON names; they read back equal, and the plan hash covers
// every one of them: another value of any is another plan.
func TestMakePlanRecordsSettings(t *testing.T) {
	l, o := onePlanInput(t)
	o.Settings.ExtraBody = map[string]any{"top_k": int64(20), "stop": []any{"</answer>"}}
	p, created, err := MakePlan(context.Background(), l, o)
	if err != nil || !created {
		t.Fatalf("plan: created %v, %v", created, err)
	}
	back, err := ReadPlan(l)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != PlanVersion || !back.HasSettings() {
		t.Errorf("version %d", back.Version)
	}
	if d := back.Settings.Diff(o.Settings); d != nil {
		t.Errorf("settings read back differ: %+v", d)
	}
	var raw map[string]any
	b, _ := os.ReadFile(l.PlanFile())
	json.Unmarshal(b, &raw)
	for _, k := range []string{"model", "system_prompt", "prompt_template", "num_generations", "temperature", "top_p", "max_tokens", "extra_body"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("plan.json has no %q", k)
		}
	}

	changes := map[string]func(*Settings){
		"model":           func(s *Settings) { s.Model = "org/other" },
		"system_prompt":   func(s *Settings) { s.SystemPrompt = "Be brief." },
		"prompt_template": func(s *Settings) { s.PromptTemplate = "Q: {problem}" },
		"num_generations": func(s *Settings) { s.NumGenerations = 6 },
		"temperature":     func(s *Settings) { s.Temperature = 1.5 },
		"top_p":           func(s *Settings) { s.TopP = 1 },
		"max_tokens":      func(s *Settings) { s.MaxTokens = 200 },
		"extra_body":      func(s *Settings) { s.ExtraBody = map[string]any{"top_k": int64(40)} },
	}
	if n := reflect.TypeOf(Settings{}).NumField(); n != len(changes) {
		t.Fatalf("Settings has %d fields, the test changes %d", n, len(changes))
	}
	for key, change := range changes {
		t.Run(key, func(t *testing.T) {
			o2 := o
			change(&o2.Settings)
			if d := o2.Settings.Diff(p.Settings); len(d) != 1 || d[0].Key != key {
				t.Errorf("Diff = %+v, want one for %s", d, key)
			}
			_, _, err := MakePlan(context.Background(), l, o2)
			if err == nil || !strings.Contains(err.Error(), "already holds a different plan") {
				t.Errorf("planning with another %s: %v, want a refusal", key, err)
			}
		})
	}
}

// TestMakePlanKeepsVersion1: a plan.json of format version 1 (no settings
// but num_generations) planned from the same inputs is still the same
// plan: planning again changes nothing.
func TestMakePlanKeepsVersion1(t *testing.T) {
	l, o := onePlanInput(t)
	p, _, err := MakePlan(context.Background(), l, o)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite it as the previous version wrote it.
	old := *p
	old.Version = 1
	old.Settings = Settings{NumGenerations: 4}
	old.PlanHash = hashPlan(old.Inputs, o, 1)
	b, _ := json.Marshal(&old)
	if err := os.WriteFile(l.PlanFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, created, err := MakePlan(context.Background(), l, o)
	if err != nil || created || got.Version != 1 || got.HasSettings() || got.NumGenerations != 4 {
		t.Fatalf("plan over a version 1 plan: created %v, version %d, %v", created, got.Version, err)
	}
	after, _ := os.ReadFile(l.PlanFile())
	if string(after) != string(b) {
		t.Error("planning again rewrote the version 1 plan.json")
	}
	// A plan.json newer than this version is refused, naming it.
	old.Version = PlanVersion + 1
	b, _ = json.Marshal(&old)
	os.WriteFile(l.PlanFile(), b, 0o644)
	if _, err := ReadPlan(l); err == nil || !strings.Contains(err.Error(), l.PlanFile()) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("ReadPlan of a version %d plan: %v", old.Version, err)
	}
}

// TestSettingsDiffNormalisesJSON: settings read back from plan.json equal
// those written (numbers of any Go type, no extras however written).
func TestSettingsDiffNormalisesJSON(t *testing.T) {
	a := testSettings()
	a.ExtraBody = map[string]any{"top_k": int64(20), "min_p": 0.05}
	b := testSettings()
	b.ExtraBody = map[string]any{"top_k": float64(20), "min_p": 0.05}
	if d := a.Diff(b); d != nil {
		t.Errorf("Diff = %+v", d)
	}
	c, e := testSettings(), testSettings()
	c.ExtraBody = map[string]any{}
	if d := c.Diff(e); d != nil {
		t.Errorf("empty and nil extras differ: %+v", d)
	}
	e.Temperature = 0.7
	if d := c.Diff(e); len(d) != 1 || d[0] != (SettingDiff{Key: "temperature", Have: "0.6", Want: "0.7"}) {
		t.Errorf("Diff = %+v", d)
	}
}
