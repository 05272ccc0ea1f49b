package slurm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
)

// TestParseArrayForms: the forms squeue and sacct print array records in.
func TestParseArrayForms(t *testing.T) {
	cases := []struct {
		line  string // squeue, SqueueFormat
		task  int
		tasks []int
		cut   bool
		state string
	}{
		{"123_[4-7%2]|123|123|4-7%2|PENDING|JobArrayTaskLimit||d", -1, []int{4, 5, 6, 7}, false, "PENDING"},
		{"123_[1,3,5-9]|123|123|1,3,5-9|PENDING|Priority||d", -1, []int{1, 3, 5, 6, 7, 8, 9}, false, "PENDING"},
		{"123_[0-12:4]|123|123|0-12:4|PENDING|Priority||d", -1, []int{0, 4, 8, 12}, false, "PENDING"},
		{"123_[1,3,5,7,...]|123|123|1,3,5,7,...|PENDING|Priority||d", -1, []int{1, 3, 5, 7}, true, "PENDING"},
		{"123_2|130|123|2|REQUEUE_HOLD|JobHeldAdmin||d", 2, nil, false, "REQUEUE_HOLD"},
		{"123_3|131|123|3|REQUEUED|BeginTime||d", 3, nil, false, "REQUEUED"},
		{"123_4|132|123|4|PENDING|launch failed requeued held||d", 4, nil, false, "PENDING"},
		{"200+0|200|200|N/A|RUNNING|None|n1|het", -1, nil, false, "RUNNING"},
		{"201|201|201|N/A|PENDING|ReqNodeNotAvail, UnavailableNodes:n[1-3]||a|b|c", -1, nil, false, "PENDING"},
	}
	for _, tc := range cases {
		jobs, err := ParseSqueue([]byte(tc.line + "\n"))
		if err != nil || len(jobs) != 1 {
			t.Fatalf("%q: %v, %v", tc.line, jobs, err)
		}
		j := jobs[0]
		if j.ArrayTaskID != tc.task || !reflect.DeepEqual(j.Tasks, tc.tasks) || j.TasksCut != tc.cut || j.State != tc.state || !j.Active() {
			t.Errorf("%q: got task %d tasks %v cut %v state %s active %v", tc.line, j.ArrayTaskID, j.Tasks, j.TasksCut, j.State, j.Active())
		}
	}
}

// TestParseSacctStates: every end state, steps and het job components.
func TestParseSacctStates(t *testing.T) {
	out := strings.Join([]string{
		"100_0|101|CANCELLED by 1000|0:15|n1|d",
		"100_0.batch|101.batch|CANCELLED|0:15|n1|batch",
		"100_0.extern|101.extern|COMPLETED|0:0|n1|extern",
		"100_0.0|101.0|CANCELLED|0:15|n1|distillery",
		"100_1|102|TIMEOUT|0:0|n1|d",
		"100_2|103|NODE_FAIL|0:0|n2|d",
		"100_3|104|PREEMPTED|0:0|n2|d",
		"100_4|105|OUT_OF_MEMORY|0:125|n2|d",
		"100_5|106|BOOT_FAIL|0:0|n3|d",
		"100_6|107|DEADLINE|0:0|None assigned|d",
		"100_7|108|REQUEUED|0:0|n1|d",
		"100_8|109|FAILED|1:0|n1|d",
		"100_[9-11%2]|100|PENDING|0:0|None assigned|d",
		"300+0|300|COMPLETED|0:0|n1|het",
		"300+1|301|COMPLETED|0:0|n2|het",
		"300+0.batch|300.batch|COMPLETED|0:0|n1|batch",
	}, "\n") + "\n"
	jobs, err := ParseSacct([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%s/%s_%d:%s:%v", j.JobID, j.ArrayJobID, j.ArrayTaskID, j.State, j.Active()))
	}
	want := []string{
		"101/100_0:CANCELLED:false", "102/100_1:TIMEOUT:false", "103/100_2:NODE_FAIL:false",
		"104/100_3:PREEMPTED:false", "105/100_4:OUT_OF_MEMORY:false", "106/100_5:BOOT_FAIL:false",
		"107/100_6:DEADLINE:false", "108/100_7:REQUEUED:true", "109/100_8:FAILED:false",
		"100/100_-1:PENDING:true", "300/_-1:COMPLETED:false", "301/_-1:COMPLETED:false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if j := jobs[9]; !reflect.DeepEqual(j.Tasks, []int{9, 10, 11}) {
		t.Errorf("pending record tasks %v", j.Tasks)
	}
}

// TestCollectCutTaskList: a pending array record whose task list Slurm cut
// short ("0,2,...") covers the tasks past the last one listed, so resume
// does not submit their shards again.
func TestCollectCutTaskList(t *testing.T) {
	l := shard.Layout{Dir: t.TempDir()}
	m := map[int][]int{}
	for i := 0; i < 6; i++ {
		m[i] = []int{i}
	}
	AppendSubmission(SubmissionsFile(l), Submission{Kind: "generate", JobID: "10", Map: m})
	exec := func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		switch name {
		case "squeue":
			return []byte("10_1|11|10|1|COMPLETED|None|n1|d\n10_3|12|10|3|FAILED|NonZeroExitCode|n1|d\n10_[0,2,...]|10|10|0,2,...|PENDING|Priority||d\n"), nil, nil
		case "sacct":
			return nil, []byte("Slurm accounting storage is disabled\n"), errors.New("exit status 1")
		}
		return nil, nil, fmt.Errorf("unexpected %s", name)
	}
	st, err := Collect(context.Background(), Client{Exec: exec}, StatusRequest{Layout: l, Plan: planOf(6), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.NeedsResume(); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("NeedsResume %v, want [1] (3 may be pending again in the cut list, 4 and 5 are)", got)
	}
}

// TestParseScontrolConfigForms: MaxArraySize absent, other spacing, and
// every config the live cluster and the fixtures hold.
func TestParseScontrolConfigForms(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		have bool
	}{
		{"MaxArraySize            = 1001\n", 1001, true},
		{"MaxArraySize=40001\n", 40001, true},
		{"  MaxArraySize \t=\t7 \r\n", 7, true},
		{"Configuration data as of 2026-11-26T18:00:00\nMaxJobCount = 10000\n", 0, false},
		{"MaxArraySize = (null)\n", 0, false},
		{"SchedulerParameters     = bf_interval=2,max_array_tasks=10\nMaxArraySize = 5\n", 5, true},
		{"", 0, false},
	}
	for _, tc := range cases {
		n, ok := MaxArraySizeOf([]byte(tc.in))
		if n != tc.n || ok != tc.have {
			t.Errorf("%q: %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.have)
		}
	}
	m := ParseScontrolConfig([]byte("SchedulerParameters     = bf_interval=2,max_array_tasks=10\n"))
	if m["SchedulerParameters"] != "bf_interval=2,max_array_tasks=10" {
		t.Errorf("a value with = in it: %q", m["SchedulerParameters"])
	}
}

// TestParseEveryFixture runs the parser meant for each real capture over
// it: no error, and every job has an id and a state.
func TestParseEveryFixture(t *testing.T) {
	dir := testenv.NeedData(t, "slurm-fixtures")
	var files []string
	for _, pat := range []string{"*/*.json", "*/*/*/*.json"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no JSON captures in %s", dir)
	}
	jobsSeen := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, dir+"/")
		parse := ParseSqueueJSON
		switch {
		case strings.Contains(name, "slurmdb-") || strings.HasPrefix(name, "sarc-"):
			parse = ParseSacctJSON
		case strings.Contains(name, "squeue") || strings.Contains(name, "slurm-job") || strings.Contains(name, "JobInfo"):
		default:
			continue // sinfo, sdiag, licences, pings
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := parse(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.Contains(name, "unfound") != (len(jobs) == 0) {
			t.Errorf("%s: %d jobs", name, len(jobs))
		}
		for _, j := range jobs {
			jobsSeen++
			if j.JobID == "" || j.JobID == "0" || j.State == "" || strings.ContainsAny(j.State, " +") {
				t.Errorf("%s: incomplete job %+v", name, j)
			}
		}
	}
	t.Logf("%d files, %d jobs", len(files), jobsSeen)
}

func TestHeldNote(t *testing.T) {
	cases := []struct {
		jobs []Job
		want string
	}{
		{[]Job{{ArrayJobID: "5", ArrayTaskID: 1, State: "PENDING", Reason: "launch failed requeued held"}}, "scontrol release 5_1"},
		{[]Job{{ArrayJobID: "5", ArrayTaskID: 1, State: "PENDING", Reason: "JobHeldAdmin"}}, "scontrol release 5_1"},
		{[]Job{{ArrayJobID: "5", ArrayTaskID: 2, State: "REQUEUE_HOLD", Reason: "None"}}, "scontrol release 5_2"},
		{[]Job{{ArrayJobID: "5", ArrayTaskID: 1, State: "PENDING", Reason: "Priority"}}, ""},
		{[]Job{{ArrayJobID: "5", ArrayTaskID: 1, State: "PENDING", Reason: "JobHeldUser"}, {ArrayJobID: "6", ArrayTaskID: 0, State: "PENDING", Reason: "Resources"}}, ""},
	}
	for _, tc := range cases {
		got := heldNote(tc.jobs)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.jobs, got, tc.want)
		}
	}
}
