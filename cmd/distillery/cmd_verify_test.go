package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runVerifyCLI runs `distillery verify args...` with the given stdin.
func runVerifyCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:   strings.NewReader(stdin),
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) string { return "" },
		Environ: func() []string { return nil },
		Now:     time.Now,
	}
	env.Logger = newLogger(env)
	err := newApp(env).RunContext(context.Background(), append([]string{"distillery", "verify"}, args...))
	code := exitOK
	if err != nil {
		code = exitError
		var ce *codedError
		if errors.As(err, &ce) {
			code = ce.code
		}
	}
	return out.String(), errb.String(), code
}

func TestVerifyCommandPair(t *testing.T) {
	tests := []struct {
		gold, pred, want string
	}{
		{`\frac{1}{2}`, `so the answer is \boxed{0.5}`, "equal"},
		{`3`, `x = 4`, "different"},
		{`\text{a) Yes, b) No}`, `the sum \sum_k k`, "unsure"},
	}
	for _, tt := range tests {
		out, _, code := runVerifyCLI(t, "", "--gold", tt.gold, "--pred", tt.pred)
		if code != exitOK || strings.TrimSpace(out) != tt.want {
			t.Errorf("verify --gold %q --pred %q: %q (exit %d), want %q", tt.gold, tt.pred, out, code, tt.want)
		}
	}
	out, _, _ := runVerifyCLI(t, "", "--gold", "2", "--pred", "2", "--json")
	var r map[string]string
	if err := json.Unmarshal([]byte(out), &r); err != nil || r["verdict"] != "equal" {
		t.Errorf("--json: %q (%v)", out, err)
	}
	// --pred - reads the generation from stdin
	out, _, _ = runVerifyCLI(t, "long text ... \\boxed{7}", "--gold", "7", "--pred", "-")
	if strings.TrimSpace(out) != "equal" {
		t.Errorf("--pred -: %q", out)
	}
}

func TestVerifyCommandJSONL(t *testing.T) {
	in := `{"id":"a","gold":"2","pred":"\\boxed{2}"}
{"id":"b","gold":"x^2","pred":"x \\cdot x"}
{"id":"c","gold":"(1,2)","pred":"[1,2]"}
`
	dir := t.TempDir()
	file := filepath.Join(dir, "pairs.jsonl")
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--jsonl", "-", "--workers", "3"}, {"--jsonl", file}} {
		stdin := ""
		if args[1] == "-" {
			stdin = in
		}
		out, _, code := runVerifyCLI(t, stdin, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		var got []string
		for {
			var r struct{ ID, Verdict, Reason, Gold_parsed, Pred_parsed string }
			if err := dec.Decode(&r); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.ID+"="+r.Verdict)
		}
		if strings.Join(got, " ") != "a=equal b=equal c=different" {
			t.Errorf("%v: got %v", args, got)
		}
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--gold", "1"},
		{"--jsonl", "-", "--gold", "1", "--pred", "1"},
		{"--jsonl", "-", "--workers", "0"},
	} {
		if _, _, code := runVerifyCLI(t, "", args...); code != exitUsage {
			t.Errorf("verify %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	if _, _, code := runVerifyCLI(t, "", "--jsonl", missing); code != exitError {
		t.Errorf("missing file: exit %d, want %d", code, exitError)
	}
	code, _, errs := distill(t, nil, "verify", "--jsonl", missing)
	if msg := strings.TrimSpace(errs); code != exitError || strings.Contains(msg, "\n") || !strings.Contains(msg, missing+" does not exist") {
		t.Errorf("missing file: exit %d, stderr %q: want one line naming the file", code, msg)
	}
}
