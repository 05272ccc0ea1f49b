package slurm

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/distillery-hpc/distillery/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func baseJob() JobInput {
	c := DefaultConfig()
	c.Partition = "gpu"
	c.Account = "proj42"
	c.Time = "04:00:00"
	c.GPUsPerNode = 8
	c.CPUsPerTask = 32
	c.Mem = "0"
	c.Exclusive = true
	c.Throttle = 16
	c.Setup = []string{"module load cuda/12.4", "source /opt/venvs/sglang/bin/activate"}
	c.ExtraDirectives = []string{"--reservation=r1-run", "#SBATCH --mail-type=FAIL"}
	c.Binary = "/opt/distillery/bin/distillery"
	return JobInput{
		Slurm:      c,
		ConfigFile: "/shared/runs/r1/distillery.toml",
		RunDir:     "/shared/runs/r1/run",
		LogDir:     "/shared/runs/r1/run/logs",
		Name:       "20261126T181500-1",
	}
}

func goldenTasks() []Task {
	return []Task{{0, []int{0, 1}}, {1, []int{2, 3}}, {2, []int{4}}}
}

func TestGoldenScripts(t *testing.T) {
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	sglang := DefaultServerConfig()
	twoNode := DefaultServerConfig()
	twoNode.Nodes = 2
	twoNode.TP = 16
	sim := DefaultServerConfig()
	sim.Kind = "sim"
	sim.Port = 0
	external := DefaultServerConfig()
	external.Kind = "external"
	external.Endpoint = "https://inference.example.org/v1"
	judge := DefaultServerConfig()
	judge.ModelPath = "meta-llama/Llama-3.3-70B-Instruct"
	judge.TP = 4
	judge.Port = 30001

	cases := []struct {
		name   string
		render func() ([]byte, error)
	}{
		{"generate-sglang", func() ([]byte, error) {
			return r.Generate(GenerateInput{JobInput: baseJob(), Server: sglang, Tasks: goldenTasks()})
		}},
		{"generate-sglang-2node", func() ([]byte, error) {
			j := baseJob()
			j.Slurm.NodesPerTask = 2
			return r.Generate(GenerateInput{JobInput: j, Server: twoNode, Tasks: goldenTasks()})
		}},
		{"generate-sim", func() ([]byte, error) {
			j := baseJob()
			j.Slurm = DefaultConfig()
			j.Slurm.Binary = "/usr/local/bin/distillery"
			j.Sets = []string{"generate.num_generations=2"}
			return r.Generate(GenerateInput{JobInput: j, Server: sim, Tasks: goldenTasks()})
		}},
		{"generate-external", func() ([]byte, error) {
			j := baseJob()
			j.Slurm.GPUsPerNode = 0
			j.Slurm.Exclusive = false
			return r.Generate(GenerateInput{JobInput: j, Server: external, Tasks: goldenTasks()})
		}},
		{"merge-sglang", func() ([]byte, error) {
			j := baseJob()
			j.Slurm.MergeGPUsPerNode = 4
			j.Slurm.MergeTime = "02:00:00"
			return r.Merge(MergeInput{JobInput: j, Judge: &judge})
		}},
		{"merge-nojudge", func() ([]byte, error) {
			return r.Merge(MergeInput{JobInput: baseJob()})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".sbatch.golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./slurm -run TestGoldenScripts -update`)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; rerun with -update if the change is intended:\n%s", path, got)
			}
			parseScript(t, got)
			shellcheck(t, got)
		})
	}
}

func parseScript(t *testing.T, script []byte) *syntax.File {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(script), "script")
	if err != nil {
		t.Fatalf("rendered script does not parse: %v\n%s", err, script)
	}
	return f
}

// shellcheck runs shellcheck on script when it is installed; it skips
// loudly when not, and fails instead when DISTILLERY_REQUIRE_SHELLCHECK=1.
func shellcheck(t *testing.T, script []byte) {
	t.Helper()
	path, ok := testenv.NeedShellcheck(t)
	if !ok {
		return
	}
	cmd := exec.Command(path, "--shell=bash", "--severity=style", "-")
	cmd.Stdin = bytes.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

const payload = `a'; rm -rf ~ #`

// TestQuotingIsInert puts a hostile value in every string that reaches a
// script and checks that the shell sees it only as quoted text.
func TestQuotingIsInert(t *testing.T) {
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	j := baseJob()
	j.ConfigFile = "/runs/" + payload + "/c.toml"
	j.RunDir = "/runs/" + payload
	j.LogDir = "/runs/" + payload + "/logs"
	j.Sets = []string{"generate.model=" + payload}
	j.Slurm.Setup = nil
	j.Slurm.ExtraDirectives = nil
	j.Slurm.Binary = "/bin/" + payload
	for _, p := range []*string{&j.Slurm.JobName, &j.Slurm.Partition, &j.Slurm.Account, &j.Slurm.QOS,
		&j.Slurm.Time, &j.Slurm.Mem, &j.Slurm.Constraint} {
		*p = payload
	}
	for _, kind := range []string{"sglang", "sim", "external"} {
		t.Run(kind, func(t *testing.T) {
			s := DefaultServerConfig()
			s.Kind = kind
			s.Nodes = 2
			s.ModelPath = payload
			s.Python = payload
			s.Endpoint = "http://x/" + payload
			s.ExtraArgs = []string{payload, "--x=" + payload}
			for _, render := range []func() ([]byte, error){
				func() ([]byte, error) { return r.Generate(GenerateInput{JobInput: j, Server: s, Tasks: goldenTasks()}) },
				func() ([]byte, error) { return r.Merge(MergeInput{JobInput: j, Judge: &s}) },
			} {
				script, err := render()
				if err != nil {
					t.Fatal(err)
				}
				checkInert(t, script)
				shellcheck(t, script)
			}
		})
	}
}

// checkInert fails when the payload reaches the shell other than inside
// quotes (or #SBATCH comments), or when any command named rm appears.
func checkInert(t *testing.T, script []byte) {
	t.Helper()
	f := parseScript(t, script)
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				if lit := n.Args[0].Lit(); lit == "rm" {
					t.Errorf("the payload became a command at %s", n.Pos())
				}
			}
		case *syntax.Lit:
			if strings.Contains(n.Value, "rm -rf") || strings.Contains(n.Value, "; rm") {
				t.Errorf("the payload appears unquoted at %s: %q", n.Pos(), n.Value)
			}
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return false // quoted text is inert
		}
		return true
	})
	// Every #SBATCH line must be read by sbatch as one option holding the
	// payload whole.
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, "#SBATCH") && strings.Contains(line, "rm -rf") {
			arg, rest := sbatchArgument(strings.TrimPrefix(line, "#SBATCH"))
			if !strings.Contains(arg, payload) || strings.TrimSpace(rest) != "" {
				t.Errorf("sbatch reads %q (then %q) from %s", arg, rest, line)
			}
		}
	}
	if bytes.Contains(script, []byte("DISTILLERY_API_KEY=")) {
		t.Errorf("a secret variable is assigned in the script")
	}
}

func TestQuoteDirective(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{"gpu", "gpu", false},
		{"04:00:00", "04:00:00", false},
		{"a b", "'a b'", false},
		{payload, `'a'\''; rm -rf ~ #'`, false},
		{"", "''", false},
		{"a\nb", "", true},
		{`a\b`, "", true},
	}
	for _, tc := range cases {
		got, err := QuoteDirective(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("QuoteDirective(%q) = %q, %v; want %q, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestArraySpec(t *testing.T) {
	cases := []struct {
		n, throttle int
		want        string
	}{{1, 0, "0"}, {5, 0, "0-4"}, {5, 3, "0-4%3"}, {1, 2, "0%2"}}
	for _, tc := range cases {
		if got := ArraySpec(tc.n, tc.throttle); got != tc.want {
			t.Errorf("ArraySpec(%d, %d) = %q, want %q", tc.n, tc.throttle, got, tc.want)
		}
	}
}

// sbatchArgument reads one argument from an #SBATCH line the way sbatch
// does (_get_argument in src/sbatch/opt.c): quotes are removed, a
// backslash escapes the next character, an unquoted # starts a comment.
func sbatchArgument(line string) (arg, rest string) {
	s := strings.TrimLeft(line, " \t")
	var b strings.Builder
	var quote byte
	escape := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if quote == 0 && (c == ' ' || c == '\t') {
			break
		}
		switch {
		case escape:
			escape = false
		case c == '\\':
			escape = true
			continue
		case quote != 0:
			if c == quote {
				quote = 0
				continue
			}
		case c == '"' || c == '\'':
			quote = c
			continue
		case c == '#':
			return b.String(), ""
		}
		b.WriteByte(c)
	}
	return b.String(), s[i:]
}
