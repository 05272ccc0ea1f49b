package shard

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PlanOptions are the planner's inputs.
type PlanOptions struct {
	Input InputConfig
	Shard ShardConfig
	// Settings are the generation settings plan.json records.
	Settings   Settings
	ConfigHash string
	Now        func() time.Time
}

// Reasons rows are dropped, as they appear in plan.json.
const (
	DropEmptyProblem   = "empty problem"
	DropUncheckable    = "uncheckable answer"
	DropInvalid        = "marked invalid"
	DropSynthetic      = "synthetic"
	DropSource         = "source filtered"
	DropQuestionType   = "question type filtered"
	DropDuplicate      = "duplicate problem"
	DropDuplicateUUID  = "duplicate uuid"
	DropOverLimit      = "over limit"
	planFormatVersion  = PlanVersion
	errPlanExistsIntro = "run dir %s already holds a different plan"
)

// MakePlan reads the problem set, filters and de-duplicates it, and writes
// the input shards and plan.json into the run dir. With the same inputs and
// settings as an existing plan it changes nothing and returns that plan
// (created is false); with different ones it refuses.
func MakePlan(ctx context.Context, l Layout, o PlanOptions) (plan *Plan, created bool, err error) {
	if o.Shard.ProblemsPerShard < 1 {
		return nil, false, errors.New("shard.problems_per_shard must be at least 1")
	}
	files, err := ExpandPaths(o.Input.Paths)
	if err != nil {
		return nil, false, err
	}
	// Hash the inputs first: a plan that matches needs no further work.
	var inputs []InputFile
	for _, f := range files {
		sum, err := fileSHA256(f)
		if err != nil {
			return nil, false, err
		}
		inputs = append(inputs, InputFile{Path: f, SHA256: sum})
	}
	planHash := hashPlan(inputs, o, planFormatVersion)
	if old, err := ReadPlan(l); err == nil {
		if old.PlanHash == planHash || !old.HasSettings() && old.PlanHash == hashPlan(inputs, o, old.Version) {
			return old, false, checkInputShards(l, old)
		}
		return nil, false, fmt.Errorf(errPlanExistsIntro+" (plan_hash %s, this config and input give %s): use a new [run] dir, or delete %s to start over",
			l.Dir, old.PlanHash, planHash, l.Dir)
	} else if _, statErr := os.Stat(l.PlanFile()); statErr == nil {
		return nil, false, err // a plan.json that does not parse
	}
	// No plan yet: output left in the run dir belongs to some other plan
	// (plan.json deleted by hand), and the runner would resume into it.
	if left, _ := filepath.Glob(filepath.Join(l.OutputDir(), "shard-*")); len(left) > 0 {
		return nil, false, fmt.Errorf("run dir %s has no plan.json but holds output of an earlier plan (%s): use a new [run] dir, or delete %s to start over",
			l.Dir, left[0], l.OutputDir())
	}

	p := &Plan{Version: planFormatVersion, PlanHash: planHash, ConfigHash: o.ConfigHash,
		Dropped: map[string]int{}}
	p.Settings = o.Settings
	if o.Now != nil {
		p.CreatedAt = o.Now().UTC()
	}
	p.Inputs = inputs

	// Input shards without a plan.json are what an interrupted plan left
	// (nothing runs without plan.json): they go, so that a shorter plan
	// leaves no extra shard of a longer one beside its own.
	if err := removeUnplannedInput(l); err != nil {
		return nil, false, err
	}
	_, statErr := os.Stat(l.Dir)
	newDir := errors.Is(statErr, os.ErrNotExist)
	defer func() {
		if err == nil {
			return
		}
		// Nothing half-written: a failed or interrupted plan takes back
		// the shards it wrote, and the directories it made for them.
		removeUnplannedInput(l)
		os.Remove(l.InputDir())
		if newDir {
			os.Remove(l.Dir)
		}
	}()
	if err := planShards(ctx, l, o, p); err != nil {
		return nil, false, err
	}
	// plan.json last: until it exists, the run dir holds no plan.
	err = WriteAtomic(l.PlanFile(), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(p)
	})
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// removeUnplannedInput deletes the input shards (and their temporary
// files) of a run dir that has no plan.json.
func removeUnplannedInput(l Layout) error {
	if _, err := os.Stat(l.PlanFile()); err == nil {
		return nil
	}
	var left []string
	for _, pat := range []string{"shard-*.jsonl.zst", ".shard-*.tmp-*"} {
		m, _ := filepath.Glob(filepath.Join(l.InputDir(), pat))
		left = append(left, m...)
	}
	for _, f := range left {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s, left by an interrupted plan: %w", f, err)
		}
	}
	return nil
}

// ProblemFromRow builds a problem from a row of a problem file as
// ReadSource gives it. The uuid is the file's, possibly empty: MakePlan
// fills an empty one with ContentUUID.
func ProblemFromRow(r Row) Problem {
	p := Problem{
		UUID: strings.TrimSpace(r["uuid"]), Problem: r["problem"], Solution: r["solution"],
		Answer: strings.TrimSpace(r["answer"]), ProblemType: r["problem_type"],
		QuestionType: r["question_type"], Source: r["source"],
		ProblemIsValid: r["problem_is_valid"], SolutionIsValid: r["solution_is_valid"],
	}
	if s, ok := r["synthetic"]; ok {
		b := isTrue(s)
		p.Synthetic = &b
	}
	return p
}

// checkInputShards makes sure the input shards of an existing plan are all
// there, so a no-op plan never hides a damaged run dir.
func checkInputShards(l Layout, p *Plan) error {
	for _, s := range p.Shards {
		if _, err := os.Stat(l.ShardInput(s)); err != nil {
			return fmt.Errorf("run dir %s: plan.json names %s but it is missing: delete %s and plan again", l.Dir, l.ShardInput(s), l.Dir)
		}
	}
	return nil
}

// hashPlan is the plan hash of format version v: version 1 covers the
// inputs and the [input] and [shard] config, version 2 the generation
// settings too.
func hashPlan(inputs []InputFile, o PlanOptions, v int) string {
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "input %s\n", in.SHA256)
	}
	// Paths are covered by content: a moved file does not change the plan.
	in := o.Input
	in.Paths = nil
	b, _ := json.Marshal(struct {
		Input InputConfig
		Shard ShardConfig
		V     int
	}{in, o.Shard, v})
	h.Write(b)
	if v >= 2 {
		b, _ := json.Marshal(o.Settings)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// NormalizeProblem is the text de-duplication compares: lower case, white
// space collapsed (to one space, none at the ends). ASCII, most of a
// problem set, takes a fast path; other text goes rune by rune.
func NormalizeProblem(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c == ' ' || '\t' <= c && c <= '\r' {
				space = true
				continue
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// ContentUUID derives a stable UUID-shaped id from normalised problem text,
// for inputs without a uuid column.
func ContentUUID(norm string) string { return uuidText(textHash(norm)) }

func isFalse(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "no", "false", "0", "incomplete", "n":
		return true
	}
	return false
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "1", "y":
		return true
	}
	return false
}

func formatDropped(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// FormatDropped renders drop counts as "reason: n, ...".
func FormatDropped(m map[string]int) string { return formatDropped(m) }
