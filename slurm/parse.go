package slurm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Job is one job or array task as Slurm reports it (squeue or sacct).
type Job struct {
	// JobID is the job's own id; an array task has one of its own too.
	JobID string `json:"job_id"`
	// ArrayJobID is the id of the array the task belongs to ("" when the
	// job is not an array task).
	ArrayJobID string `json:"array_job_id,omitempty"`
	// ArrayTaskID is the task's index, -1 when the job is not an array task
	// or stands for the array's tasks that are not expanded yet (see Tasks).
	ArrayTaskID int `json:"array_task_id"`
	// Tasks lists the indices of a not yet expanded pending array record
	// (sacct's 123_[4-9%2]).
	Tasks []int `json:"tasks,omitempty"`
	// TasksCut says that Slurm printed Tasks cut short ("1,3,5,...").
	TasksCut bool `json:"tasks_cut,omitempty"`
	// State is Slurm's base state, upper case: PENDING, RUNNING, COMPLETED,
	// CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, ...
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	ExitCode string `json:"exit_code,omitempty"`
	Nodes    string `json:"nodes,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Active reports whether Slurm may still run the job: it is pending,
// running, suspended, requeued or held.
func (j Job) Active() bool { return j.Pending() || j.Running() }

// Running reports whether the job holds nodes now.
func (j Job) Running() bool {
	switch j.State {
	case "RUNNING", "COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT", "RESIZING", "SUSPENDED", "STOPPED":
		return true
	}
	return false
}

// Pending reports whether the job waits to start (again).
func (j Job) Pending() bool {
	switch j.State {
	case "PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SPECIAL_EXIT", "RESV_DEL_HOLD":
		return true
	}
	return false
}

// normState reduces "CANCELLED by 1000" or "cancelled+" to "CANCELLED".
func normState(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " +"); i >= 0 {
		s = s[:i]
	}
	return strings.ToUpper(s)
}

// ParseSbatch reads the output of `sbatch --parsable`: "jobid" or
// "jobid;cluster" on the last non-empty line (warnings may come before).
func ParseSbatch(out []byte) (jobID, cluster string, err error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	id, cl, _ := strings.Cut(last, ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil || id == "" {
		return "", "", fmt.Errorf("sbatch --parsable printed %q, not a job id", strings.TrimSpace(string(out)))
	}
	return id, cl, nil
}

// SqueueFormat is the --format distillery asks squeue for: the job (or
// task) id as Slurm prints it, its own id, array id, task index, state,
// reason, nodes, and the name last (it may contain the delimiter).
const SqueueFormat = "%i|%A|%F|%K|%T|%r|%N|%j"

// SqueueArgs are the arguments of the squeue call for the given job ids:
// one line per array task (--array), every state (finished jobs stay
// visible for MinJobAge).
func SqueueArgs(ids []string) []string {
	return []string{"--noheader", "--array", "--states=all", "--format=" + SqueueFormat, "--jobs=" + strings.Join(ids, ",")}
}

// ParseSqueue reads squeue output in SqueueFormat.
func ParseSqueue(out []byte) ([]Job, error) {
	var jobs []Job
	for n, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.SplitN(line, "|", 8)
		if len(f) < 7 {
			return nil, fmt.Errorf("squeue line %d: want %d fields (%s), got %q", n+1, 8, SqueueFormat, line)
		}
		j := Job{JobID: strings.TrimSpace(f[1]), ArrayTaskID: -1, State: normState(f[4]), Reason: f[5], Nodes: f[6]}
		if len(f) == 8 {
			j.Name = f[7]
		}
		task := strings.TrimSpace(f[3])
		if task != "" && task != "N/A" {
			j.ArrayJobID = strings.TrimSpace(f[2])
			if t, err := strconv.Atoi(task); err == nil {
				j.ArrayTaskID = t
			} else {
				j.setTasks(task)
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// maxTasks bounds the tasks one array record expands to (Slurm's own
// MaxArraySize limit is 4000001; runs use far fewer), so that a garbled
// "0-999999999" cannot eat the memory.
const maxTasks = 1 << 20

// setTasks reads the task list of a not yet expanded array record, as
// squeue and sacct print it: "[4-9%2]", "1,3,5-7", "0-15:4" (a step), and
// "1,3,5,7,..." when the list was longer than SLURM_BITSTR_LEN (64 by
// default) and the client cut it: then TasksCut is set, since the tasks
// past the last one listed are unknown.
func (j *Job) setTasks(s string) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	j.Tasks = nil
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if strings.Contains(part, "...") {
			j.TasksCut = true
			continue
		}
		rng, stepS, hasStep := strings.Cut(part, ":")
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			continue
		}
		b, step := a, 1
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if hasStep {
			if step, err = strconv.Atoi(stepS); err != nil || step < 1 {
				continue
			}
		}
		for i := a; i <= b && len(j.Tasks) < maxTasks; i += step {
			j.Tasks = append(j.Tasks, i)
		}
	}
}

// flexInt reads a number in any of Slurm's JSON shapes: 7, null, or
// {"set": true, "infinite": false, "number": 7}.
type flexInt struct {
	Set   bool
	Value int64
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = flexInt{}
		return nil
	}
	if len(b) > 0 && b[0] == '{' {
		var w struct {
			Set      bool  `json:"set"`
			Infinite bool  `json:"infinite"`
			Number   int64 `json:"number"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		*f = flexInt{Set: w.Set && !w.Infinite, Value: w.Number}
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexInt{Set: true, Value: n}
	return nil
}

// flexState reads a state as "RUNNING" or ["RUNNING", "COMPLETING"].
type flexState []string

func (f *flexState) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var l []string
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		*f = l
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexState{s}
	return nil
}

func (f flexState) base() string {
	if len(f) == 0 {
		return ""
	}
	return normState(f[0])
}

// flexExit reads an exit code as 0, {"set":..,"number":..} or
// {"status": ..., "return_code": ..., "signal": {"name": ...}}.
type flexExit string

func (f *flexExit) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var n flexInt
	if err := json.Unmarshal(b, &n); err == nil {
		if n.Set {
			*f = flexExit(strconv.FormatInt(n.Value, 10))
		}
		return nil
	}
	var w struct {
		Status     flexState `json:"status"`
		ReturnCode flexInt   `json:"return_code"`
		Signal     struct {
			Name string `json:"name"`
		} `json:"signal"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil // an exit code we cannot read is not worth failing for
	}
	switch {
	case w.Signal.Name != "":
		*f = flexExit("SIG" + w.Signal.Name)
	case w.ReturnCode.Set:
		*f = flexExit(strconv.FormatInt(w.ReturnCode.Value, 10))
	default:
		*f = flexExit(w.Status.base())
	}
	return nil
}

// ParseSqueueJSON reads `squeue --json` (OpenAPI v0.0.37 to v0.0.44, and
// slurmrestd's GET /slurm/v0.0.4x/jobs, which has the same shape).
func ParseSqueueJSON(b []byte) ([]Job, error) {
	var doc struct {
		Jobs []struct {
			JobID       flexInt   `json:"job_id"`
			ArrayJobID  flexInt   `json:"array_job_id"`
			ArrayTaskID flexInt   `json:"array_task_id"`
			ArrayTasks  string    `json:"array_task_string"`
			State       flexState `json:"job_state"`
			Reason      string    `json:"state_reason"`
			Nodes       string    `json:"nodes"`
			Name        string    `json:"name"`
			ExitCode    flexExit  `json:"exit_code"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading squeue --json: %w", err)
	}
	jobs := make([]Job, 0, len(doc.Jobs))
	for _, r := range doc.Jobs {
		j := Job{
			JobID:       strconv.FormatInt(r.JobID.Value, 10),
			ArrayTaskID: -1,
			State:       r.State.base(),
			Reason:      r.Reason,
			Nodes:       r.Nodes,
			Name:        r.Name,
			ExitCode:    string(r.ExitCode),
		}
		if r.ArrayJobID.Set && r.ArrayJobID.Value != 0 {
			j.ArrayJobID = strconv.FormatInt(r.ArrayJobID.Value, 10)
			if r.ArrayTaskID.Set {
				j.ArrayTaskID = int(r.ArrayTaskID.Value)
			} else if r.ArrayTasks != "" {
				j.setTasks(r.ArrayTasks)
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// SacctFields are the fields distillery asks sacct for.
var sacctFields = []string{"JobID", "JobIDRaw", "State", "ExitCode", "NodeList", "JobName"}

// SacctArgs are the arguments of the sacct call for the given job ids:
// allocations only (-X), --parsable2, no header.
func SacctArgs(ids []string) []string {
	return []string{"--noheader", "--parsable2", "--allocations", "--format=" + strings.Join(sacctFields, ","), "--jobs=" + strings.Join(ids, ",")}
}

// ErrNoAccounting says that Slurm's accounting storage is disabled, so
// sacct has nothing to say.
var ErrNoAccounting = errors.New("slurm accounting storage is disabled")

// ParseSacct reads sacct output in SacctArgs' format.
func ParseSacct(out []byte) ([]Job, error) {
	return ParseSacctParsable(out, sacctFields, "|")
}

// ParseSacctParsable reads `sacct --parsable` or `--parsable2` output
// (a trailing delimiter or not) with the given --format fields and
// delimiter. Step rows (123.batch, 123.0) are skipped. The fields it uses
// are JobID, JobIDRaw, State, ExitCode, NodeList and JobName when present.
func ParseSacctParsable(out []byte, fields []string, delim string) ([]Job, error) {
	if strings.Contains(string(out), "accounting storage is disabled") {
		return nil, ErrNoAccounting
	}
	idx := map[string]int{}
	for i, f := range fields {
		idx[strings.ToLower(f)] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := idx[strings.ToLower(name)]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	if _, ok := idx["jobid"]; !ok {
		return nil, errors.New("sacct format needs the JobID field")
	}
	var jobs []Job
	for n, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec := strings.Split(line, delim)
		if len(rec) == len(fields)+1 && rec[len(rec)-1] == "" {
			rec = rec[:len(fields)] // --parsable: trailing delimiter
		}
		if len(rec) != len(fields) {
			return nil, fmt.Errorf("sacct line %d: want %d fields, got %d", n+1, len(fields), len(rec))
		}
		id := get(rec, "JobID")
		if strings.Contains(id, ".") {
			continue // a step
		}
		j := Job{JobID: id, ArrayTaskID: -1, State: normState(get(rec, "State")),
			ExitCode: get(rec, "ExitCode"), Nodes: get(rec, "NodeList"), Name: get(rec, "JobName")}
		if raw := get(rec, "JobIDRaw"); raw != "" {
			j.JobID = raw
		}
		if arr, task, ok := strings.Cut(id, "_"); ok {
			j.ArrayJobID = arr
			if t, err := strconv.Atoi(task); err == nil {
				j.ArrayTaskID = t
			} else {
				j.setTasks(task)
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// ParseSacctJSON reads `sacct --json` (Slurm 21.08 to 25.11, and
// slurmrestd's /slurmdb/v0.0.4x/job(s), which has the same shape).
func ParseSacctJSON(b []byte) ([]Job, error) {
	var doc struct {
		Jobs []struct {
			JobID flexInt `json:"job_id"`
			Array struct {
				JobID  flexInt `json:"job_id"`
				TaskID flexInt `json:"task_id"`
				Task   string  `json:"task"`
			} `json:"array"`
			State struct {
				Current flexState `json:"current"`
				Reason  string    `json:"reason"`
			} `json:"state"`
			ExitCode flexExit `json:"exit_code"`
			Nodes    string   `json:"nodes"`
			Name     string   `json:"name"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading sacct --json: %w", err)
	}
	jobs := make([]Job, 0, len(doc.Jobs))
	for _, r := range doc.Jobs {
		j := Job{
			JobID:       strconv.FormatInt(r.JobID.Value, 10),
			ArrayTaskID: -1,
			State:       r.State.Current.base(),
			Reason:      r.State.Reason,
			ExitCode:    string(r.ExitCode),
			Nodes:       r.Nodes,
			Name:        r.Name,
		}
		if r.Array.JobID.Set && r.Array.JobID.Value != 0 {
			j.ArrayJobID = strconv.FormatInt(r.Array.JobID.Value, 10)
			if r.Array.TaskID.Set {
				j.ArrayTaskID = int(r.Array.TaskID.Value)
			} else if r.Array.Task != "" {
				j.setTasks(r.Array.Task)
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// ParseScontrolConfig reads `scontrol show config`: "Key = value" lines.
func ParseScontrolConfig(out []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// MaxArraySizeOf returns MaxArraySize from `scontrol show config` output.
func MaxArraySizeOf(out []byte) (int, bool) {
	v, ok := ParseScontrolConfig(out)["MaxArraySize"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}
