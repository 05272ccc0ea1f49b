package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/merge"
	"github.com/distillery-hpc/distillery/runner"
	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

// Config is the whole distillery configuration: one TOML file.
type Config struct {
	Run      RunConfig             `toml:"run"`
	Input    shard.InputConfig     `toml:"input"`
	Shard    shard.ShardConfig     `toml:"shard"`
	Generate runner.GenerateConfig `toml:"generate"`
	Server   slurm.ServerConfig    `toml:"server"`
	Slurm    slurm.Config          `toml:"slurm"`
	Merge    merge.Config          `toml:"merge"`
	Judge    JudgeSection          `toml:"judge"`
	Sim      simserver.Config      `toml:"sim"`

	// File is the absolute path of the config file ("" when none).
	File string `toml:"-" json:"-"`
}

// JudgeSection is the [judge] section: merge's judge settings, and the
// server the merge job starts for the judge ([judge.server]). It is
// composed here so that merge knows nothing of Slurm.
type JudgeSection struct {
	merge.JudgeConfig
	Server slurm.ServerConfig `toml:"server"`
}

// defaultJudgeSection is the judge defaults: Llama-3.3-70B-Instruct on a
// server of its own (4 GPUs; port 0: a free one, as for [server]).
func defaultJudgeSection() JudgeSection {
	srv := slurm.DefaultServerConfig()
	srv.ModelPath = "meta-llama/Llama-3.3-70B-Instruct"
	srv.TP = 4
	srv.MaxRunningRequests = 128
	return JudgeSection{JudgeConfig: merge.DefaultJudgeConfig(), Server: srv}
}

// RunConfig is the [run] section.
type RunConfig struct {
	// Dir is the run directory on shared storage.
	Dir string `toml:"dir"`
}

// defaultConfig returns the built-in defaults, the first layer.
func defaultConfig() Config {
	return Config{
		Run:      RunConfig{Dir: "run"},
		Input:    shard.DefaultInputConfig(),
		Shard:    shard.DefaultShardConfig(),
		Generate: runner.DefaultGenerateConfig(),
		Server:   slurm.DefaultServerConfig(),
		Slurm:    slurm.DefaultConfig(),
		Merge:    merge.DefaultConfig(),
		Judge:    defaultJudgeSection(),
		Sim:      simserver.DefaultConfig(),
	}
}

// loadConfig builds the effective config from its layers, in this order:
// defaults, the TOML file (when path is not empty), the environment
// (DISTILLERY_<SECTION>_<KEY>, e.g. DISTILLERY_GENERATE_ENDPOINT), and the
// flags (sets, each "section.key=value"). Relative paths in the file are
// relative to the file's directory; relative paths from the environment and
// flags are relative to cwd. It reports every problem at once.
func loadConfig(path string, getenv func(string) string, sets []string, cwd string) (*Config, error) {
	c := defaultConfig()
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		c.File = abs
		if err := decodeConfigFile(abs, &c); err != nil {
			return nil, err
		}
		resolvePaths(&c, filepath.Dir(abs))
	}
	var problems []string
	for _, f := range configFields(&c) {
		name := "DISTILLERY_" + strings.ToUpper(strings.ReplaceAll(f.key, ".", "_"))
		v := getenv(name)
		if v == "" {
			continue
		}
		if err := setField(f.value, v); err != nil {
			problems = append(problems, fmt.Sprintf("environment %s: %v", name, err))
		}
	}
	fields := map[string]reflect.Value{}
	for _, f := range configFields(&c) {
		fields[f.key] = f.value
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			problems = append(problems, fmt.Sprintf("--set %q: want section.key=value", s))
			continue
		}
		k = strings.TrimSpace(k)
		fv, ok := fields[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("--set %s: unknown config key %q (see `distillery init` for the keys)", s, k))
			continue
		}
		if err := setField(fv, v); err != nil {
			problems = append(problems, fmt.Sprintf("--set %s: %v", s, err))
		}
	}
	resolvePaths(&c, cwd)
	problems = append(problems, validateConfig(&c)...)
	if len(problems) > 0 {
		where := "config"
		if c.File != "" {
			where = c.File
		}
		return nil, fmt.Errorf("%s: %s", where, strings.Join(problems, "; "))
	}
	return &c, nil
}

// decodeConfigFile decodes a TOML file strictly: an unknown key is an error
// naming the key.
func decodeConfigFile(path string, c *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("config %s does not exist (write one with `distillery init %s`)", path, path)
		}
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return fmt.Errorf("config %s is a directory: name the TOML file, e.g. -c %s", path, filepath.Join(path, "distillery.toml"))
		}
		return fmt.Errorf("reading config %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("config %s:%d: malformed TOML: %s", path, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("config %s: %v", path, err)
	}
	if md.IsDefined("merge", "splits") {
		// The TOML decoder fills an array of tables into the default
		// slice's elements, so a file's [[merge.splits]] named "default"
		// would inherit the default rule's exclude_sources. The file's
		// rules replace the defaults as a whole: decode them afresh.
		var fresh struct {
			Merge struct {
				Splits []merge.Split `toml:"splits"`
			} `toml:"merge"`
		}
		if _, err := toml.Decode(string(data), &fresh); err != nil {
			return fmt.Errorf("config %s: %v", path, err)
		}
		c.Merge.Splits = fresh.Merge.Splits
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("config %s: unknown key %s (check the spelling against `distillery init`)", path, strings.Join(keys, ", "))
	}
	// A bare number for a duration key means seconds, as it does for
	// slurm.startup_timeout; TOML alone would read request_timeout = 30
	// as 30 nanoseconds.
	for _, f := range configFields(c) {
		if f.value.Type() != durationType || md.Type(strings.Split(f.key, ".")...) != "Integer" {
			continue
		}
		n := f.value.Int()
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return fmt.Errorf("config %s: %s = %d is too long a duration; write it with a unit, e.g. \"90s\" or \"2h\"", path, f.key, n)
		}
		f.value.SetInt(n * int64(time.Second))
	}
	return nil
}

// resolvePaths makes the run dir, input paths and templates dir absolute,
// relative to base.
func resolvePaths(c *Config, base string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || base == "" {
			return p
		}
		return filepath.Join(base, p)
	}
	c.Run.Dir = abs(c.Run.Dir)
	for i, p := range c.Input.Paths {
		c.Input.Paths[i] = abs(p)
	}
	c.Slurm.TemplatesDir = abs(c.Slurm.TemplatesDir)
}

type configField struct {
	key   string // section.key, e.g. generate.endpoint, judge.server.kind
	value reflect.Value
}

// configFields lists every settable scalar or list key of c, with its
// dotted name. Tables of tables (merge.splits) are set only in the file.
func configFields(c *Config) []configField {
	var out []configField
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(prefix, v.Field(i)) // its keys are the section's (JudgeSection)
				continue
			}
			tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
			if tag == "" || tag == "-" || !sf.IsExported() {
				continue
			}
			key := tag
			if prefix != "" {
				key = prefix + "." + tag
			}
			fv := v.Field(i)
			switch {
			case fv.Kind() == reflect.Struct:
				walk(key, fv)
			case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
				// set in the file only
			case fv.Kind() == reflect.Map:
				// set in the file only
			default:
				out = append(out, configField{key: key, value: fv})
			}
		}
	}
	walk("", reflect.ValueOf(c).Elem())
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

// setField parses s into the field v according to its type.
func setField(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			// A bare number is seconds, as in the file.
			sec, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if ferr != nil || math.IsNaN(sec) || math.Abs(sec) > math.MaxInt64/float64(time.Second) {
				return fmt.Errorf("%q is not a duration (e.g. 90s, 5m, 2h, or a number of seconds)", s)
			}
			d = time.Duration(sec * float64(time.Second))
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot set a list of %s from text", v.Type().Elem())
		}
		var items []string
		if strings.TrimSpace(s) != "" {
			for _, it := range strings.Split(s, ",") {
				items = append(items, strings.TrimSpace(it))
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot set a %s from text", v.Kind())
	}
	return nil
}

// validateConfig returns every problem with c, each naming its key.
func validateConfig(c *Config) []string {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	if c.Run.Dir == "" {
		bad("run.dir", "must not be empty")
	}
	known := shard.Fields()
	var cols []string
	for k := range c.Input.Columns {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	for _, k := range cols {
		if !slices.Contains(known, k) {
			bad("input.columns."+k, "unknown field %q: [input.columns] maps our field names (%s) to your column names", k, strings.Join(known, ", "))
		}
	}
	if c.Shard.ProblemsPerShard < 1 {
		bad("shard.problems_per_shard", "must be at least 1, got %d", c.Shard.ProblemsPerShard)
	}
	g := c.Generate
	if g.NumGenerations < 1 {
		bad("generate.num_generations", "must be at least 1, got %d", g.NumGenerations)
	}
	if g.Temperature < 0 || g.Temperature > 2 {
		bad("generate.temperature", "must be in [0, 2], got %g", g.Temperature)
	}
	if g.TopP <= 0 || g.TopP > 1 {
		bad("generate.top_p", "must be in (0, 1], got %g", g.TopP)
	}
	if g.MaxTokens < 1 {
		bad("generate.max_tokens", "must be at least 1, got %d", g.MaxTokens)
	}
	if g.Concurrency < 1 {
		bad("generate.concurrency", "must be at least 1, got %d", g.Concurrency)
	}
	if !strings.Contains(g.PromptTemplate, "{problem}") {
		bad("generate.prompt_template", "must contain {problem}")
	}
	if g.Endpoint != "" && !strings.HasPrefix(g.Endpoint, "http://") && !strings.HasPrefix(g.Endpoint, "https://") {
		bad("generate.endpoint", "%q is not an http:// or https:// URL", g.Endpoint)
	}
	if c.Judge.Endpoint != "" && !strings.HasPrefix(c.Judge.Endpoint, "http://") && !strings.HasPrefix(c.Judge.Endpoint, "https://") {
		bad("judge.endpoint", "%q is not an http:// or https:// URL", c.Judge.Endpoint)
	}
	for _, k := range []struct{ key, kind string }{{"server.kind", c.Server.Kind}, {"judge.server.kind", c.Judge.Server.Kind}} {
		switch k.kind {
		case "sglang", "sim", "external":
		default:
			bad(k.key, "%q is not one of sglang, sim, external", k.kind)
		}
	}
	// [merge] owns its rules (merge.Config.Validate).
	for _, err := range c.Merge.Validate() {
		p = append(p, err.Error())
	}
	// [sim] drives the simulator `local` starts as well as sim-server.
	if err := c.Sim.Validate(); err != nil {
		p = append(p, err.Error())
	}
	return p
}

// Hash is a stable hash of the effective config.
func (c *Config) Hash() string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// configFlags are the flags every command takes.
func configFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE` (TOML); default ./distillery.toml when it exists"},
		&cli.StringSliceFlag{Name: "set", Usage: "override a config key, `section.key=value` (repeatable)"},
	}
}

// configFromContext loads the config named by -c (or ./distillery.toml),
// layered with the environment and --set flags.
func configFromContext(cctx *cli.Context, env *Env) (*Config, error) {
	return configFromContextWith(cctx, env, nil)
}

// configFromContextWith is configFromContext with a command's named flags
// as extra "section.key=value" sets, so that they go through the same
// layering and validation as --set (named flags win over --set).
func configFromContextWith(cctx *cli.Context, env *Env, flagSets map[string]string) (*Config, error) {
	sets := cctx.StringSlice("set")
	names := make([]string, 0, len(flagSets))
	for name := range flagSets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if cctx.IsSet(name) {
			sets = append(sets, flagSets[name]+"="+fmt.Sprint(cctx.Value(name)))
		}
	}
	path := cctx.String("config")
	if path == "" {
		if _, err := os.Stat("distillery.toml"); err == nil {
			path = "distillery.toml"
		}
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return loadConfig(path, env.Getenv, sets, cwd)
}

// configKeys lists every key settable from the environment or --set,
// sorted; the README and `init` name them.
func configKeys() []string {
	c := defaultConfig()
	var keys []string
	for _, f := range configFields(&c) {
		keys = append(keys, f.key)
	}
	sort.Strings(keys)
	return keys
}
