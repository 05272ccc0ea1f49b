package merge

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// rowFrom builds a row from fuzz input: n generations, flags spelling out
// the booleans and which judge entries are null.
func rowFrom(text string, n uint8, flags uint32) Row {
	n = n%5 + 1
	r := Row{Problem: text, Solution: strings.ToUpper(text), Answer: text[:len(text)/2], ProblemType: "Algebra",
		QuestionType: "MCQ", Source: "olympiads", UUID: "u-" + text}
	judged := flags&1 != 0
	if judged {
		r.CorrectnessLlama = make([]*bool, n)
	}
	for i := 0; i < int(n); i++ {
		bit := func(k int) bool { return flags>>(1+i*4+k)&1 != 0 }
		r.Generations = append(r.Generations, strings.Repeat(text, i))
		r.IsReasoningComplete = append(r.IsReasoningComplete, bit(0))
		r.CorrectnessMathVerify = append(r.CorrectnessMathVerify, bit(1))
		r.FinishReasons = append(r.FinishReasons, []string{"stop", "length"}[i%2])
		if judged && bit(2) {
			v := bit(3)
			r.CorrectnessLlama[i] = &v
		}
	}
	r.CorrectnessCount = int64(flags >> 24)
	r.Messages = []Message{{Content: text, Role: "user"}, {Content: r.Generations[0], Role: "assistant"}}
	return r
}

func FuzzRowRoundTrip(f *testing.F) {
	f.Add("x", uint8(3), uint32(0))
	f.Add("", uint8(0), uint32(0xffffffff))
	f.Add("ü \x00 \\boxed{½}", uint8(4), uint32(0x5a5a5a5b))
	f.Fuzz(func(t *testing.T, text string, n uint8, flags uint32) {
		rows := []Row{rowFrom(text, n, flags), rowFrom(text+"2", n+1, ^flags)}
		dir := t.TempDir()
		c := DefaultConfig()
		c.RowsPerFile = 1
		w := newSplitWriter("default", dir, c, testWriterConfig(t))
		for i := range rows {
			if err := w.write(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		files, err := w.finish()
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 {
			t.Fatalf("files = %v", files)
		}
		var got []Row
		for _, f := range files {
			rs, err := parquet.ReadFile[Row](f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rs...)
		}
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("round trip:\n got %s\nwant %s", jsonText(got), jsonText(rows))
		}
	})
}

func testWriterConfig(t testing.TB) writerConfig {
	t.Helper()
	m, err := newMerger(Options{Config: DefaultConfig(), Version: "v0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	wc, err := m.writerConfig()
	if err != nil {
		t.Fatal(err)
	}
	return wc
}

func FuzzParseVerdict(f *testing.F) {
	for _, s := range []string{"Verdict: EQUIVALENT", "**Verdict:** different", "verdict：ambiguous", "Verdict: EQUIVALENTLY", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		v, found := ParseVerdict(reply)
		switch v {
		case JudgeEquivalent, JudgeDifferent, JudgeAmbiguous:
		default:
			t.Fatalf("ParseVerdict(%q) = %q", reply, v)
		}
		if !found && v != JudgeAmbiguous {
			t.Fatalf("no verdict found but %s", v)
		}
		// Appending a verdict line always decides.
		if v2, _ := ParseVerdict(reply + "\nVerdict: DIFFERENT"); v2 != JudgeDifferent {
			t.Fatalf("ParseVerdict(%q + DIFFERENT line) = %s", reply, v2)
		}
	})
}
