package shard

import (
	"encoding/json"
	"errors"
	"math"
	"time"
)

// UnmarshalJSON decodes a generation record. Records may come from another
// writer than our runner (a script of the user's, another version): extra
// fields are ignored, missing ones stay zero, and so do optional fields of
// an unexpected type (a float latency_ms, a Unix-time started_at, an empty
// string for a time). Only the fields that identify and carry the
// generation must be right: uuid (non-empty text), index (a whole number)
// and text and finish_reason (text or null). One odd optional field must not
// make a whole frame look torn. A record without an index (or with a null
// one) decodes with Index -1; ReadOutput numbers such records in file
// order.
func (g *Generation) UnmarshalJSON(b []byte) error {
	if g.decodeFast(b) { // the runner's records, in one pass
		return nil
	}
	type plain Generation // no methods: the strict decoding
	g.Index = noIndex     // stays so when the record has none
	if err := json.Unmarshal(b, (*plain)(g)); err == nil {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*g = Generation{Index: noIndex}
	if err := json.Unmarshal(raw["uuid"], &g.UUID); err != nil {
		return errors.New("uuid is not text")
	}
	if v, ok := raw["index"]; ok && string(v) != "null" {
		idx, ok := wholeNumber(v)
		if !ok {
			return errors.New("index is not a whole number")
		}
		g.Index = int(idx)
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"text", &g.Text}, {"finish_reason", &g.FinishReason}} {
		if v, ok := raw[f.key]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return errors.New(f.key + " is not text")
			}
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"model", &g.Model}, {"host", &g.Host}, {"job_id", &g.JobID}} {
		json.Unmarshal(raw[f.key], f.dst) // an odd value leaves it empty
	}
	for _, f := range []struct {
		key string
		set func(int64)
	}{
		{"prompt_tokens", func(n int64) { g.PromptTokens = int(n) }},
		{"completion_tokens", func(n int64) { g.CompletionTokens = int(n) }},
		{"latency_ms", func(n int64) { g.LatencyMS = n }},
		{"attempts", func(n int64) { g.Attempts = int(n) }},
	} {
		if v, ok := number(raw[f.key]); ok {
			f.set(int64(math.Round(v)))
		}
	}
	g.StartedAt = lenientTime(raw["started_at"])
	g.FinishedAt = lenientTime(raw["finished_at"])
	return nil
}

// noIndex is the Index of a decoded record that has none.
const noIndex = -1

// numberIndex gives a record without an index (another writer's) the
// first index its uuid does not have yet, in file order.
func numberIndex(g *Generation, seen map[Key]struct{}, next map[string]int) {
	if g.Index >= 0 {
		return
	}
	i := next[g.UUID]
	for {
		if _, taken := seen[Key{g.UUID, i}]; !taken {
			break
		}
		i++
	}
	g.Index = i
	next[g.UUID] = i + 1
}

// number reads a JSON number (or a number written as text).
func number(v json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	var s json.Number
	if json.Unmarshal(v, &s) == nil {
		if f, err := s.Float64(); err == nil {
			return f, true
		}
	}
	return 0, false
}

// wholeNumber reads a JSON number that is a whole number, like 2 or 2.0.
func wholeNumber(v json.RawMessage) (int64, bool) {
	var f float64
	if json.Unmarshal(v, &f) != nil || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, false
	}
	return int64(f), true
}

// lenientTime reads an RFC 3339 time or Unix seconds; anything else is the
// zero time.
func lenientTime(v json.RawMessage) time.Time {
	var t time.Time
	if json.Unmarshal(v, &t) == nil {
		return t
	}
	var secs float64
	if json.Unmarshal(v, &secs) == nil && secs > 0 {
		return time.Unix(0, int64(secs*1e9)).UTC()
	}
	return time.Time{}
}
