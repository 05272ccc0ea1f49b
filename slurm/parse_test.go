package slurm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
)

// readFixture reads rel from the real Slurm captures kept beside the
// repository (slurm-fixtures in the real data set). It skips loudly when
// they are not there, and fails instead when DISTILLERY_REQUIRE_DATA=1.
func readFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.NeedData(t, filepath.Join("slurm-fixtures", rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countStates(jobs []Job) map[string]int {
	m := map[string]int{}
	for _, j := range jobs {
		m[j.State]++
	}
	return m
}

func TestParseSbatch(t *testing.T) {
	live, err := os.ReadFile("testdata/live-22.05.8/sbatch-parsable.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in, id, cluster string
		bad             bool
	}{
		{string(live), "7", "", false},
		{"12345\n", "12345", "", false},
		{"12345;cluster-a\n", "12345", "cluster-a", false},
		{"sbatch: warning: something\n678\n", "678", "", false},
		{"Submitted batch job 5\n", "", "", true},
		{"", "", "", true},
	}
	for _, tc := range cases {
		id, cl, err := ParseSbatch([]byte(tc.in))
		if (err != nil) != tc.bad || id != tc.id || cl != tc.cluster {
			t.Errorf("ParseSbatch(%q) = %q, %q, %v; want %q, %q, bad=%v", tc.in, id, cl, err, tc.id, tc.cluster, tc.bad)
		}
	}
}

func TestParseSqueueLive(t *testing.T) {
	b, err := os.ReadFile("testdata/live-22.05.8/squeue.txt")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := ParseSqueue(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 11 {
		t.Fatalf("got %d jobs, want 11", len(jobs))
	}
	want := map[string]int{"COMPLETED": 5, "FAILED": 1, "PENDING": 3, "RUNNING": 2}
	for s, n := range want {
		if countStates(jobs)[s] != n {
			t.Errorf("%s: got %d, want %d (%v)", s, countStates(jobs)[s], n, countStates(jobs))
		}
	}
	plain := jobs[5]
	if plain.JobID != "8" || plain.ArrayJobID != "" || plain.ArrayTaskID != -1 || plain.Reason != "NonZeroExitCode" {
		t.Errorf("plain job: %+v", plain)
	}
	pend := jobs[6]
	if pend.ArrayJobID != "7" || pend.ArrayTaskID != 2 || !pend.Pending() || pend.Active() != true {
		t.Errorf("pending task: %+v", pend)
	}
	if _, err := ParseSqueue([]byte("garbage\n")); err == nil {
		t.Error("a line without fields parsed")
	}
}

func TestParseSqueueJSON(t *testing.T) {
	cases := []struct {
		file   string
		live   bool
		n      int
		states map[string]int
	}{
		{"testdata/live-22.05.8/squeue.json", true, 9, map[string]int{"COMPLETED": 5, "PENDING": 1, "RUNNING": 2}},
		{"rivosinc-prometheus-slurm-exporter/squeue_out.json", false, 2, map[string]int{"RUNNING": 1, "PENDING": 1}},
		{"slurm-web-slurmrestd/24.05/0.0.41/slurm-jobs.json", false, 14, nil},
		{"slurm-web-slurmrestd/25.11/0.0.44/slurm-jobs.json", false, 15, map[string]int{"TIMEOUT": 1}},
		{"lcrownover-slurmrestd/V0040OpenapiJobInfoResp.json", false, 2, map[string]int{"RUNNING": 1, "PENDING": 1}},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(filepath.Dir(tc.file))+"/"+filepath.Base(tc.file), func(t *testing.T) {
			var b []byte
			if tc.live {
				var err error
				if b, err = os.ReadFile(tc.file); err != nil {
					t.Fatal(err)
				}
			} else {
				b = readFixture(t, tc.file)
			}
			jobs, err := ParseSqueueJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != tc.n {
				t.Fatalf("got %d jobs, want %d", len(jobs), tc.n)
			}
			got := countStates(jobs)
			for s, n := range tc.states {
				if got[s] != n {
					t.Errorf("%s: got %d, want %d (%v)", s, got[s], n, got)
				}
			}
			for _, j := range jobs {
				if j.State == "" || j.JobID == "" || j.JobID == "0" {
					t.Errorf("incomplete job %+v", j)
				}
			}
		})
	}
	// squeue --json does not expand pending array tasks: 7_[2-4%2].
	live, _ := os.ReadFile("testdata/live-22.05.8/squeue.json")
	jobs, _ := ParseSqueueJSON(live)
	if j := jobs[8]; j.ArrayJobID != "7" || j.ArrayTaskID != -1 || len(j.Tasks) != 3 || j.Tasks[2] != 4 {
		t.Errorf("pending array record: %+v", j)
	}
	// An array task in the v0.0.40 shape.
	b := readFixture(t, "lcrownover-slurmrestd/V0040OpenapiJobInfoResp.json")
	jobs, _ = ParseSqueueJSON(b)
	if j := jobs[0]; j.JobID != "7745162" || j.ArrayJobID != "7725337" || j.ArrayTaskID != 411 || !j.Running() {
		t.Errorf("array task: %+v", j)
	}
}

// hbFields is the --format of rug-cit-hpc/hb-jobinfo's sacct capture.
const hbFields = "JobID,JobName,User,Partition,NodeList,NNodes,NCPUs,NTasks,State,Submit,Start,End,Timelimit,Elapsed,TotalCPU,CPUTime,UserCPU,SystemCPU,ReqMem,MaxRSS,MaxVMSize,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot,TRESUsageOutTot,MaxDiskRead,MaxDiskWrite,MaxRSSNode,MaxRSSTask,MaxVMSizeNode,MaxVMSizeTask,MaxDiskReadNode,MaxDiskReadTask,MaxDiskWriteNode,MaxDiskWriteTask,Comment"

func TestParseSacctParsableFixture(t *testing.T) {
	b := readFixture(t, "hb-jobinfo/sacct.txt")
	jobs, err := ParseSacctParsable(b, strings.Split(hbFields, ","), "☃")
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 100 {
		t.Fatalf("got %d job rows, want 100 (steps skipped)", len(jobs))
	}
	st := countStates(jobs)
	for _, s := range []string{"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "PENDING", "RUNNING"} {
		if st[s] == 0 {
			t.Errorf("no %s job parsed: %v", s, st)
		}
	}
	for s := range st {
		if strings.Contains(s, " ") {
			t.Errorf("state %q not normalised", s)
		}
	}
	arrays := 0
	for _, j := range jobs {
		if j.ArrayJobID != "" {
			arrays++
			if j.ArrayTaskID < 0 && len(j.Tasks) == 0 {
				t.Errorf("array row without task: %+v", j)
			}
		}
	}
	t.Logf("%d job rows, %d array tasks, states %v", len(jobs), arrays, st)
}

func TestParseSacctParsable2(t *testing.T) {
	out := "100_0|101|COMPLETED|0:0|node1|distillery\n" +
		"100_1|102|TIMEOUT|0:15|node2|distillery\n" +
		"100_[2-4%2]|100|PENDING|0:0|None assigned|distillery\n" +
		"103|103|CANCELLED by 0|0:15|node1|distillery-merge\n"
	jobs, err := ParseSacct([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 4 {
		t.Fatalf("got %d jobs", len(jobs))
	}
	if j := jobs[1]; j.JobID != "102" || j.ArrayJobID != "100" || j.ArrayTaskID != 1 || j.State != "TIMEOUT" {
		t.Errorf("%+v", j)
	}
	if j := jobs[2]; j.ArrayTaskID != -1 || len(j.Tasks) != 3 || j.Tasks[0] != 2 || !j.Pending() {
		t.Errorf("%+v", j)
	}
	if j := jobs[3]; j.State != "CANCELLED" || j.ArrayJobID != "" {
		t.Errorf("%+v", j)
	}
	live, err := os.ReadFile("testdata/live-22.05.8/sacct-disabled.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSacct(live); err != ErrNoAccounting {
		t.Errorf("disabled accounting: got %v", err)
	}
}

func TestParseSacctJSON(t *testing.T) {
	cases := []struct {
		file, id, state, array string
		task                   int
	}{
		{"sarc-sacct-json/slurm_21_8_8.json", "55978384", "REQUEUED", "", -1},
		{"sarc-sacct-json/slurm_22_5_9.json", "20247445", "FAILED", "20247445", 100},
		{"sarc-sacct-json/slurm_23_2_6.json", "4", "RUNNING", "", -1},
		{"sarc-sacct-json/slurm_23_11_5.json", "4", "RUNNING", "", -1},
		{"slurm-web-slurmrestd/24.05/0.0.41/slurmdb-job-timeout.json", "649717", "TIMEOUT", "", -1},
		{"slurm-web-slurmrestd/25.11/0.0.44/slurmdb-job-failed.json", "", "FAILED", "", -1},
		{"slurm-web-slurmrestd/25.11/0.0.44/slurmdb-job-pending.json", "", "PENDING", "", -1},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			jobs, err := ParseSacctJSON(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 1 {
				t.Fatalf("got %d jobs, want 1", len(jobs))
			}
			j := jobs[0]
			if (tc.id != "" && j.JobID != tc.id) || j.State != tc.state || j.ArrayJobID != tc.array || j.ArrayTaskID != tc.task {
				t.Errorf("got %+v", j)
			}
		})
	}
}

func TestParseScontrolConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/live-22.05.8/scontrol-show-config.txt")
	if err != nil {
		t.Fatal(err)
	}
	n, ok := MaxArraySizeOf(b)
	if !ok || n != 5 {
		t.Errorf("MaxArraySize = %d, %v; want 5", n, ok)
	}
	m := ParseScontrolConfig(b)
	if m["SLURM_VERSION"] != "22.05.8" || m["AccountingStorageType"] != "accounting_storage/none" {
		t.Errorf("SLURM_VERSION %q, AccountingStorageType %q", m["SLURM_VERSION"], m["AccountingStorageType"])
	}
	if _, ok := MaxArraySizeOf([]byte("Configuration data as of now\nMaxJobCount = 10000\n")); ok {
		t.Error("MaxArraySize found where there is none")
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte("1_0|1|1|0|RUNNING|None|n1|x\n"))
	f.Add([]byte(`{"jobs":[{"job_id":{"set":true,"number":3},"job_state":["RUNNING"]}]}`))
	f.Add([]byte("MaxArraySize = 1001\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseSqueue(b)
		ParseSqueueJSON(b)
		ParseSacct(b)
		ParseSacctJSON(b)
		ParseSbatch(b)
		MaxArraySizeOf(b)
	})
}
