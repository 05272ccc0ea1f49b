package shard

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// PlanVersion is the plan.json format this version writes: 2, the first
// with the generation Settings.
const PlanVersion = 2

// Settings are the generation settings: everything that shapes a trace.
// plan.json records them when the run is planned, the runner sends them,
// and merge writes them into the rows and the dataset card. The JSON names
// are those of the [generate] config keys.
type Settings struct {
	Model string `json:"model"`
	// SystemPrompt, when not empty, is sent as a system message before the
	// user prompt.
	SystemPrompt string `json:"system_prompt"`
	// PromptTemplate is the user message; {problem} is replaced by the
	// problem text.
	PromptTemplate string  `json:"prompt_template"`
	NumGenerations int     `json:"num_generations"`
	Temperature    float64 `json:"temperature"`
	TopP           float64 `json:"top_p"`
	MaxTokens      int     `json:"max_tokens"`
	// ExtraBody holds the further sampling parameters sent with every
	// request (top_k, min_p, seed, stop, ...: whatever the server takes),
	// as top-level fields of the request body, like the OpenAI client's
	// extra_body.
	ExtraBody map[string]any `json:"extra_body,omitempty"`
}

// SettingDiff is one setting that differs between two Settings.
type SettingDiff struct {
	Key        string // the JSON name, e.g. "temperature"
	Have, Want string // the values, as JSON
}

// Diff lists the settings of s that differ from want, in field order, each
// with both values; nil when they are the same.
func (s Settings) Diff(want Settings) []SettingDiff {
	var out []SettingDiff
	a, b := reflect.ValueOf(s), reflect.ValueOf(want)
	t := a.Type()
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		have, wantJSON := jsonText(a.Field(i).Interface()), jsonText(b.Field(i).Interface())
		if have != wantJSON {
			out = append(out, SettingDiff{Key: key, Have: have, Want: wantJSON})
		}
	}
	return out
}

// jsonText is v as compact JSON (maps with sorted keys), the form plan.json
// stores and Diff compares: a value read back from plan.json equals the
// one written.
func jsonText(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		v = nil // no extras, however written
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// SimulatorModel is the model name distillery's simulator reports by
// default; every name it may report starts with it, so that a record
// made by the simulator says so.
const SimulatorModel = "distillery-sim"

// IsSimulatorModel reports whether a record's model name is the
// simulator's.
func IsSimulatorModel(name string) bool { return strings.HasPrefix(name, SimulatorModel) }
