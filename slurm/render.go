package slurm

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"mvdan.cc/sh/v3/syntax"

	"github.com/distillery-hpc/distillery/templates"
)

// Task is one array task: its index in the array and the shards it runs.
type Task struct {
	Index  int   `json:"index"`
	Shards []int `json:"shards"`
}

// Renderer fills in the sbatch templates. It is built once per command:
// the templates are parsed once, with missingkey=error.
type Renderer struct {
	tmpl *template.Template
}

// NewRenderer parses the templates, taking each from dir (the [slurm]
// templates_dir) when it holds one, else the embedded default.
func NewRenderer(dir string) (*Renderer, error) {
	t, err := templates.Parse(dir, template.FuncMap{"q": Quote})
	if err != nil {
		return nil, err
	}
	return &Renderer{tmpl: t}, nil
}

// Quote quotes s for bash so that it reaches the command as one word,
// literally: `a'; rm -rf ~ #` becomes inert text.
func Quote(s string) (string, error) {
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		return "", fmt.Errorf("cannot quote %q for the shell: %w", s, err)
	}
	return q, nil
}

// JobInput is what every script needs besides its own part.
type JobInput struct {
	Slurm Config
	// ConfigFile is the absolute path of the config file the jobs read.
	ConfigFile string
	RunDir     string
	LogDir     string
	// Sets are the --set overrides given to the submitting command; the
	// jobs get them too.
	Sets []string
	// Name tells the scripts of one submission apart (e.g. 20261126T1815-1).
	Name string
	// AllowIncomplete is merge.allow_incomplete: the merge job merges
	// whatever is done. Without it, a merge job that starts a judge server
	// first asks `distillery status` whether every shard is done, and stops
	// before the server takes its GPUs when not (merge would refuse).
	AllowIncomplete bool
}

// GenerateInput is the input of generate.sbatch.
type GenerateInput struct {
	JobInput
	Server ServerConfig
	Tasks  []Task
}

// MergeInput is the input of merge.sbatch. Judge is nil when the judge is
// disabled.
type MergeInput struct {
	JobInput
	Judge *ServerConfig
}

// ServerData is what the "server" template gets.
type ServerData struct {
	ServerConfig
	Section string // the config section, for comments: server or judge.server
	Sets    []string
}

type scriptData struct {
	Name            string
	Directives      []string
	Setup           []string
	Binary          string
	Config          string
	RunDir          string
	Sets            []string
	Grace           int
	RequeueOnSignal bool
	Tasks           []Task
	Server          *ServerData
	// CheckDone: the merge job checks that every shard is done before it
	// starts the judge server.
	CheckDone bool
}

// ArraySpec is the --array value for n tasks indexed from 0, with the
// throttle (%N) when it is positive.
func ArraySpec(n, throttle int) string {
	s := "0"
	if n > 1 {
		s = "0-" + strconv.Itoa(n-1)
	}
	if throttle > 0 {
		s += "%" + strconv.Itoa(throttle)
	}
	return s
}

// Generate renders generate.sbatch for one array.
func (r *Renderer) Generate(in GenerateInput) ([]byte, error) {
	if len(in.Tasks) == 0 {
		return nil, fmt.Errorf("rendering generate.sbatch: no tasks")
	}
	for i, t := range in.Tasks {
		if t.Index != i || len(t.Shards) == 0 {
			return nil, fmt.Errorf("rendering generate.sbatch: task %d is not index %d with shards", t.Index, i)
		}
	}
	c := in.Slurm
	srv, err := serverData(in.Server, "server", in.Sets)
	if err != nil {
		return nil, err
	}
	nodes := max(c.NodesPerTask, srv.Nodes, 1)
	d := directives{}
	d.add("job_name", "--job-name", orDefault(c.JobName, "distillery"))
	d.add("", "--array", ArraySpec(len(in.Tasks), c.Throttle))
	d.add("run.dir", "--output", in.LogDir+"/%x-%A_%a.out")
	d.add("", "--open-mode", "append")
	d.common(c.Partition, c.Account, c.QOS, c.Time, c.Constraint, c.Exclusive)
	d.add("nodes_per_task", "--nodes", strconv.Itoa(nodes))
	d.add("", "--ntasks-per-node", "1")
	if c.GPUsPerNode > 0 {
		d.add("gpus_per_node", "--gpus-per-node", strconv.Itoa(c.GPUsPerNode))
	}
	cpus, mem := ServerResources(srv.ServerConfig, nodes, c.CPUsPerTask, c.Mem)
	if cpus > 0 {
		d.add("cpus_per_task", "--cpus-per-task", strconv.Itoa(cpus))
	}
	if mem != "" {
		d.add("mem", "--mem", mem)
	}
	grace := c.SignalGrace
	if grace <= 0 {
		grace = 300
	}
	d.add("signal_grace", "--signal", fmt.Sprintf("B:USR1@%d", grace))
	d.flag("--requeue")
	d.extra("extra_directives", c.ExtraDirectives)
	if d.err != nil {
		return nil, d.err
	}
	data := scriptData{
		Name:            in.Name,
		Directives:      d.lines,
		Setup:           c.Setup,
		Binary:          orDefault(c.Binary, "distillery"),
		Config:          in.ConfigFile,
		RunDir:          in.RunDir,
		Sets:            in.Sets,
		Grace:           grace,
		RequeueOnSignal: c.RequeueOnSignal,
		Tasks:           in.Tasks,
		Server:          srv,
	}
	return r.execute("generate.sbatch", data)
}

// Merge renders merge.sbatch.
func (r *Renderer) Merge(in MergeInput) ([]byte, error) {
	c := in.Slurm
	var srv *ServerData
	nodes := max(c.MergeNodes, 1)
	if in.Judge != nil {
		var err error
		if srv, err = serverData(*in.Judge, "judge.server", in.Sets); err != nil {
			return nil, err
		}
		nodes = max(nodes, srv.Nodes)
	}
	d := directives{}
	d.add("job_name", "--job-name", orDefault(c.JobName, "distillery")+"-merge")
	d.add("run.dir", "--output", in.LogDir+"/%x-%j.out")
	d.add("", "--open-mode", "append")
	part := c.Partition
	if c.MergePartition != "" {
		part = c.MergePartition
	}
	tm := c.Time
	if c.MergeTime != "" {
		tm = c.MergeTime
	}
	d.common(part, c.Account, c.QOS, tm, c.Constraint, c.Exclusive)
	d.add("merge_nodes", "--nodes", strconv.Itoa(nodes))
	d.add("", "--ntasks-per-node", "1")
	if c.MergeGPUsPerNode > 0 {
		d.add("merge_gpus_per_node", "--gpus-per-node", strconv.Itoa(c.MergeGPUsPerNode))
	}
	cpus, mem := c.MergeCPUsPerTask, c.MergeMem
	if srv != nil {
		cpus, mem = ServerResources(srv.ServerConfig, nodes, cpus, mem)
	}
	if cpus > 0 {
		d.add("merge_cpus_per_task", "--cpus-per-task", strconv.Itoa(cpus))
	}
	if mem != "" {
		d.add("merge_mem", "--mem", mem)
	}
	d.extra("merge_extra_directives", c.MergeExtraDirectives)
	if d.err != nil {
		return nil, d.err
	}
	data := scriptData{
		Name:       in.Name,
		Directives: d.lines,
		Setup:      c.Setup,
		Binary:     orDefault(c.Binary, "distillery"),
		Config:     in.ConfigFile,
		RunDir:     in.RunDir,
		Sets:       in.Sets,
		Server:     srv,
		CheckDone:  srv != nil && srv.Kind != "external" && !in.AllowIncomplete,
	}
	return r.execute("merge.sbatch", data)
}

func (r *Renderer) execute(name string, data scriptData) ([]byte, error) {
	var b bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

func serverData(s ServerConfig, section string, sets []string) (*ServerData, error) {
	switch s.Kind {
	case "sglang":
		if s.ModelPath == "" {
			return nil, fmt.Errorf("%s.model_path: must be set for kind = \"sglang\"", section)
		}
	case "sim", "external":
	default:
		return nil, fmt.Errorf("%s.kind: %q is not one of sglang, sim, external", section, s.Kind)
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil, fmt.Errorf("%s.port: %d is not a port (0 derives one from the job id)", section, s.Port)
	}
	s.Python = orDefault(s.Python, "python")
	s.TP = max(s.TP, 1)
	s.DP = max(s.DP, 1)
	s.Nodes = max(s.Nodes, 1)
	if s.DistInitPort == 0 {
		s.DistInitPort = 5000
	}
	if s.StartupTimeout <= 0 {
		s.StartupTimeout = 3600
	}
	return &ServerData{ServerConfig: s, Section: section, Sets: sets}, nil
}

// CPUsPerGPU and MemPerGPUGiB are what an SGLang job asks Slurm for per
// GPU of its server on a node, unless the config says otherwise: SGLang
// runs a process per tensor-parallel rank plus its scheduler, tokenizer
// and detokenizer, and reads the weights through host memory.
const (
	CPUsPerGPU   = 8
	MemPerGPUGiB = 32
)

// ServerGPUsPerNode is how many GPUs the server srv uses on each of the
// job's nodes: tp × dp spread over them.
func ServerGPUsPerNode(srv ServerConfig, nodes int) int {
	nodes = max(nodes, srv.Nodes, 1)
	need := max(srv.TP, 1) * max(srv.DP, 1)
	return (need + nodes - 1) / nodes
}

// ServerResources is the --cpus-per-task and --mem of a job whose server
// is srv on nodes nodes: the configured ones (cpus, mem) when set, else
// for an SGLang server CPUsPerGPU and MemPerGPUGiB per GPU it uses on a
// node, else none (Slurm's defaults).
func ServerResources(srv ServerConfig, nodes, cpus int, mem string) (int, string) {
	if srv.Kind != "sglang" {
		return cpus, mem
	}
	g := ServerGPUsPerNode(srv, nodes)
	if cpus <= 0 {
		cpus = CPUsPerGPU * g
	}
	if mem == "" {
		mem = fmt.Sprintf("%dG", MemPerGPUGiB*g)
	}
	return cpus, mem
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// directives collects #SBATCH lines; the first invalid value is kept in err.
type directives struct {
	lines []string
	err   error
}

func (d *directives) common(partition, account, qos, tm, constraint string, exclusive bool) {
	if partition != "" {
		d.add("partition", "--partition", partition)
	}
	if account != "" {
		d.add("account", "--account", account)
	}
	if qos != "" {
		d.add("qos", "--qos", qos)
	}
	if tm != "" {
		d.add("time", "--time", tm)
	}
	if constraint != "" {
		d.add("constraint", "--constraint", constraint)
	}
	if exclusive {
		d.flag("--exclusive")
	}
}

func (d *directives) flag(opt string) { d.lines = append(d.lines, opt) }

func (d *directives) add(key, opt, value string) {
	q, err := QuoteDirective(value)
	if err != nil && d.err == nil {
		if key == "" {
			key = opt
		} else if !strings.Contains(key, ".") {
			key = "slurm." + key
		}
		d.err = fmt.Errorf("%s: %w", key, err)
	}
	d.lines = append(d.lines, opt+"="+q)
}

func (d *directives) extra(key string, lines []string) {
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.TrimSpace(strings.TrimPrefix(l, "#SBATCH"))
		if strings.ContainsAny(l, "\n\r\x00") {
			if d.err == nil {
				d.err = fmt.Errorf("slurm.%s[%d]: one directive per entry, without line breaks", key, i)
			}
			continue
		}
		if l != "" {
			d.lines = append(d.lines, l)
		}
	}
}

var plainDirective = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// QuoteDirective quotes a value for an #SBATCH line. sbatch reads those
// lines itself (not the shell): it removes single and double quotes and
// treats a backslash as an escape everywhere, so values are single-quoted
// and may not hold backslashes or line breaks.
func QuoteDirective(v string) (string, error) {
	if v != "" && plainDirective.MatchString(v) {
		return v, nil
	}
	for _, r := range v {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%q cannot go into an #SBATCH line (no backslashes or control characters)", v)
		}
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'", nil
}
