package report

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseUsage(t *testing.T) {
	out := "41_0|COMPLETED|3600|billing=64,cpu=64,gres/gpu=8,mem=512G,node=1|gpu01\n" +
		"41_1|CANCELLED by 0|120|cpu=8,gres/gpu:h100=4,node=1|gpu02\n" +
		"41_1|COMPLETED|600|cpu=8,gres/gpu:h100=4,node=1|gpu03\n" +
		"41_[2-9]|PENDING|0||None assigned\n" +
		"41_0.batch|COMPLETED|3600|cpu=64|gpu01\n"
	got, err := ParseUsage([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []TaskUsage{
		{Task: "41_0", State: "COMPLETED", Elapsed: time.Hour, GPUs: 8, Nodes: "gpu01"},
		{Task: "41_1", State: "COMPLETED", Elapsed: 12 * time.Minute, GPUs: 4, Nodes: "gpu02"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseUsage:\n got %+v\nwant %+v", got, want)
	}
	if _, err := ParseUsage([]byte("41_0|COMPLETED|soon|x|n\n")); err == nil {
		t.Error("a non-numeric ElapsedRaw is not an error")
	}
}

func TestScriptGPUs(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"#SBATCH --nodes=2\n#SBATCH --gpus-per-node=8\n", 16},
		{"#SBATCH -N 1\n#SBATCH --gres=gpu:h100:4\n", 4},
		{"#SBATCH --gpus=h100:6\n#SBATCH --nodes=3\n", 6},
		{"#SBATCH --ntasks=1\n", 0},
	} {
		path := filepath.Join(t.TempDir(), "gen.sbatch")
		os.WriteFile(path, []byte("#!/bin/bash\n"+tc.script), 0o644)
		if got, err := scriptGPUs(path); err != nil || got != tc.want {
			t.Errorf("%q: %d, %v; want %d", tc.script, got, err, tc.want)
		}
	}
}
