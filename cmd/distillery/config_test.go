package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/merge"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestConfigLayers checks the order defaults -> file -> env -> flags.
func TestConfigLayers(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.toml", `
[run]
dir = "runs/a"
[generate]
temperature = 0.7
top_p = 0.9
max_tokens = 100
endpoint = "http://file:1"
`)
	env := envMap(map[string]string{
		"DISTILLERY_GENERATE_TOP_P":        "0.8",
		"DISTILLERY_GENERATE_MAX_TOKENS":   "200",
		"DISTILLERY_GENERATE_ENDPOINT":     "http://env:2",
		"DISTILLERY_JUDGE_SERVER_KIND":     "sim",
		"DISTILLERY_GENERATE_GRACE_PERIOD": "3m",
	})
	c, err := loadConfig(path, env, []string{"generate.max_tokens=300", "input.paths=a.jsonl, b.parquet"}, "/cwd")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"default num_generations", c.Generate.NumGenerations, 4},
		{"file temperature", c.Generate.Temperature, 0.7},
		{"env over file top_p", c.Generate.TopP, 0.8},
		{"flag over env max_tokens", c.Generate.MaxTokens, 300},
		{"env endpoint", c.Generate.Endpoint, "http://env:2"},
		{"nested env key", c.Judge.Server.Kind, "sim"},
		{"env duration", c.Generate.GracePeriod, 3 * time.Minute},
		{"file path relative to file", c.Run.Dir, filepath.Join(dir, "runs/a")},
		{"flag list relative to cwd", c.Input.Paths, []string{"/cwd/a.jsonl", "/cwd/b.parquet"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		env           map[string]string
		sets          []string
		want          []string
	}{
		{name: "unknown key", content: "[generate]\ntemprature = 0.5\n", want: []string{"unknown key generate.temprature"}},
		{name: "unknown section", content: "[genrate]\nx = 1\n", want: []string{"unknown key genrate"}},
		{name: "malformed", content: "[generate]\ntemperature = = 0.5\n", want: []string{"c.toml:2", "malformed TOML"}},
		{name: "wrong type", content: "[generate]\ntemperature = \"hot\"\n", want: []string{"c.toml"}},
		{name: "bad env", env: map[string]string{"DISTILLERY_GENERATE_MAX_TOKENS": "lots"}, want: []string{"DISTILLERY_GENERATE_MAX_TOKENS", "not an integer"}},
		{name: "bad set key", sets: []string{"generate.nope=1"}, want: []string{`unknown config key "generate.nope"`}},
		{name: "several problems at once", content: "[generate]\ntemperature = 5.0\ntop_p = 0.0\n", want: []string{"generate.temperature", "generate.top_p"}},
		{name: "bad endpoint", sets: []string{"generate.endpoint=localhost:30000"}, want: []string{"generate.endpoint", "not an http"}},
		{name: "bad server kind", sets: []string{"server.kind=vllm"}, want: []string{"server.kind", "sglang, sim, external"}},
		{name: "bad sim section", content: "[sim]\ntime_scale = 0.0\nshare_right = -1.0\n", want: []string{"sim.time_scale", "sim.share_right"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.content != "" {
				path = writeFile(t, dir, "c.toml", tc.content)
			}
			_, err := loadConfig(path, envMap(tc.env), tc.sets, dir)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	_, err := loadConfig(filepath.Join(t.TempDir(), "nope.toml"), envMap(nil), nil, "/")
	if err == nil || !strings.Contains(err.Error(), "nope.toml does not exist") {
		t.Fatalf("got %v", err)
	}
}

// TestExampleConfig checks that `distillery init`'s file names every key,
// decodes strictly, and shows the real defaults.
func TestExampleConfig(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "distillery.toml", exampleConfig)
	got, err := loadConfig(path, envMap(nil), nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.File = got.File
	resolvePaths(&want, dir)
	want.Input.Paths = got.Input.Paths
	nilEmpty(reflect.ValueOf(got).Elem())
	nilEmpty(reflect.ValueOf(&want).Elem())
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("example config differs from the defaults:\n got %+v\nwant %+v", *got, want)
	}
	for _, k := range configKeys() {
		last := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(exampleConfig, "\n"+last+" = ") {
			t.Errorf("example config does not show key %s", k)
		}
	}
}

// nilEmpty sets empty slices and maps to nil, so that `x = []` in TOML and
// an absent default compare equal.
func nilEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				nilEmpty(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.Len(); i++ {
			nilEmpty(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

func TestInitCommand(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantFile string // written with the example config
		wantErr  string
	}{
		{"path argument", []string{"init", p("a.toml")}, 0, p("a.toml"), ""},
		{"-c names the file", []string{"init", "-c", p("b.toml")}, 0, p("b.toml"), ""},
		{"-c and the same path", []string{"init", "-c", p("c.toml"), p("c.toml")}, 0, p("c.toml"), ""},
		{"-c and another path", []string{"init", "-c", p("d.toml"), p("e.toml")}, exitUsage, "", "differ"},
		{"exists", []string{"init", p("a.toml")}, exitError, "", "--force"},
		{"exists, forced", []string{"init", "--force", p("a.toml")}, 0, p("a.toml"), ""},
		{"two paths", []string{"init", p("f.toml"), p("g.toml")}, exitUsage, "", "at most one PATH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := distill(t, nil, tc.args...)
			if code != tc.wantCode || !strings.Contains(errs, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.wantCode, tc.wantErr)
			}
			if tc.wantFile != "" {
				if b, err := os.ReadFile(tc.wantFile); err != nil || string(b) != exampleConfig {
					t.Errorf("%s: %v, or not the example config", tc.wantFile, err)
				}
			}
		})
	}
	for _, name := range []string{"d.toml", "e.toml", "f.toml", "g.toml"} {
		if _, err := os.Stat(p(name)); err == nil {
			t.Errorf("a refused init wrote %s", name)
		}
	}
}

// TestConfigSplitsReplaceDefaults: [[merge.splits]] in a file replaces the
// default rules as a whole; a table named like a default one does not
// inherit that default's sources.
func TestConfigSplitsReplaceDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.toml")
	body := "[[merge.splits]]\nname = \"default\"\n\n[[merge.splits]]\nname = \"mine\"\ninclude_sources = [\"amc_aime\"]\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path, func(string) string { return "" }, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []merge.Split{{Name: "default"}, {Name: "mine", IncludeSources: []string{"amc_aime"}}}
	if len(c.Merge.Splits) != 2 || c.Merge.Splits[0].Name != "default" || len(c.Merge.Splits[0].IncludeSources)+len(c.Merge.Splits[0].ExcludeSources) != 0 ||
		c.Merge.Splits[1].Name != "mine" || !reflect.DeepEqual(c.Merge.Splits[1].IncludeSources, want[1].IncludeSources) || len(c.Merge.Splits[1].ExcludeSources) != 0 {
		t.Errorf("splits = %+v, want %+v", c.Merge.Splits, want)
	}
}

// TestConfigListReplacesDefault: a shorter list in the file replaces the
// default list, it does not overwrite its first elements.
func TestConfigListReplacesDefault(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "l.toml", "[input]\ndrop_answers = [\"proof\"]\n")
	c, err := loadConfig(path, func(string) string { return "" }, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Input.DropAnswers, []string{"proof"}) {
		t.Errorf("drop_answers = %q, want [proof]", c.Input.DropAnswers)
	}
}

// TestUnknownCommand: a word that is not a command is a one-line usage
// error with exit code 2; no command at all prints the help.
func TestUnknownCommand(t *testing.T) {
	code, _, errs := distill(t, nil, "nosuchcmd")
	if code != exitUsage || !strings.Contains(errs, `unknown command "nosuchcmd"`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	code, out, _ := distill(t, nil)
	if code != 0 || !strings.Contains(out, "USAGE") {
		t.Errorf("no command: exit %d, stdout %q", code, out)
	}
}

// TestInterruptedMessage: a command stopped by Ctrl-C exits 130 with a
// line that says so, not a bare "context canceled".
func TestInterruptedMessage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env, _, errb := testEnv(nil)
	dir := t.TempDir()
	code := runApp(ctx, env, []string{"distillery", "plan", "-c", "../../examples/quickstart.toml", "--set", "run.dir=" + filepath.Join(dir, "run")})
	if code != exitCanceled || !strings.Contains(errb.String(), "distillery: interrupted") || strings.Contains(errb.String(), "distillery: context canceled") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
