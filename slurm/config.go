package slurm

// Config is the [slurm] section. Every key is optional: on a cluster with a
// default partition a config with no [slurm] section submits.
type Config struct {
	JobName         string   `toml:"job_name"`
	Partition       string   `toml:"partition"`
	Account         string   `toml:"account"`
	QOS             string   `toml:"qos"`
	Time            string   `toml:"time"`
	NodesPerTask    int      `toml:"nodes_per_task"`
	GPUsPerNode     int      `toml:"gpus_per_node"`
	CPUsPerTask     int      `toml:"cpus_per_task"`
	Mem             string   `toml:"mem"`
	Exclusive       bool     `toml:"exclusive"`
	Constraint      string   `toml:"constraint"`
	Throttle        int      `toml:"throttle"` // the array's %N
	ExtraDirectives []string `toml:"extra_directives"`
	Setup           []string `toml:"setup"`
	ShardsPerTask   int      `toml:"shards_per_task"`
	MaxArraySize    int      `toml:"max_array_size"` // used when scontrol cannot tell
	SignalGrace     int      `toml:"signal_grace"`   // seconds before the time limit for USR1
	TemplatesDir    string   `toml:"templates_dir"`
	// Binary is the distillery binary as the nodes see it; "" (the
	// default) is the absolute path of the running executable, which on a
	// cluster's shared file system the nodes see too.
	Binary string `toml:"binary"`
	// RequeueOnSignal makes an array task that drained after Slurm's USR1
	// warning (time limit) requeue itself with `scontrol requeue`, so the
	// rest of its shards runs without a `resume`. A scancel is never undone.
	RequeueOnSignal bool `toml:"requeue_on_signal"`
	// Merge job resources.
	MergeTime            string   `toml:"merge_time"`
	MergePartition       string   `toml:"merge_partition"`
	MergeGPUsPerNode     int      `toml:"merge_gpus_per_node"`
	MergeCPUsPerTask     int      `toml:"merge_cpus_per_task"`
	MergeMem             string   `toml:"merge_mem"`
	MergeNodes           int      `toml:"merge_nodes"`
	MergeExtraDirectives []string `toml:"merge_extra_directives"`
}

// ServerConfig is the [server] section (and [judge.server]): the inference
// server an array task (or the merge job) starts.
type ServerConfig struct {
	// Kind is "sglang", "sim" or "external".
	Kind      string `toml:"kind"`
	ModelPath string `toml:"model_path"`
	Python    string `toml:"python"`
	// Port is the server's HTTP port. 0, the default, gives each task a
	// port of its own: derived from its job id (20000 + id % 20000) and
	// moved on past any port something on the node listens on, so that
	// tasks sharing a node do not collide; the script hands it to the
	// runner as generate.endpoint.
	Port               int      `toml:"port"`
	TP                 int      `toml:"tp"`
	DP                 int      `toml:"dp"`
	Nodes              int      `toml:"nodes"`
	DistInitPort       int      `toml:"dist_init_port"`
	MemFractionStatic  float64  `toml:"mem_fraction_static"`
	MaxRunningRequests int      `toml:"max_running_requests"`
	ContextLength      int      `toml:"context_length"`
	ExtraArgs          []string `toml:"extra_args"`
	Endpoint           string   `toml:"endpoint"` // for kind = "external"
	// StartupTimeout is how many seconds the script waits for the server's
	// /health_generate to answer 200 before it gives up.
	StartupTimeout int `toml:"startup_timeout"`
}

// DefaultConfig returns the [slurm] defaults.
func DefaultConfig() Config {
	return Config{
		JobName:         "distillery",
		NodesPerTask:    1,
		ShardsPerTask:   1,
		MaxArraySize:    1001,
		SignalGrace:     300,
		RequeueOnSignal: true,
	}
}

// DefaultServerConfig returns the [server] defaults: DeepSeek-R1 on SGLang,
// as OpenR1 ran it.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		Kind:               "sglang",
		ModelPath:          "deepseek-ai/DeepSeek-R1",
		Python:             "python",
		TP:                 8,
		DP:                 1,
		Nodes:              1,
		DistInitPort:       5000,
		MemFractionStatic:  0.9,
		MaxRunningRequests: 56,
		ContextLength:      32768,
		StartupTimeout:     3600,
	}
}
