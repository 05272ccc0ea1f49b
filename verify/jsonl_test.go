package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestRunJSONLOrderAndBadLines(t *testing.T) {
	var in strings.Builder
	want := []Verdict{}
	for i := 0; i < 300; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&in, `{"id":%d,"gold":"%d","pred":"so \\boxed{%d}"}`+"\n", i, i, i)
			want = append(want, Equal)
		case 1:
			fmt.Fprintf(&in, `{"id":"s%d","gold":"%d","pred":"%d"}`+"\n", i, i, i+1)
			want = append(want, Different)
		case 2:
			in.WriteString("{not json\n\n")
			want = append(want, Unsure)
		}
	}
	var out bytes.Buffer
	st, err := RunJSONL(context.Background(), strings.NewReader(in.String()), &out, JSONLOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) || st.Pairs != len(want) || st.BadLines != 100 {
		t.Fatalf("got %d lines, stats %+v; want %d lines, 100 bad", len(lines), st, len(want))
	}
	for i, l := range lines {
		var r struct {
			ID         json.RawMessage `json:"id"`
			Verdict    Verdict         `json:"verdict"`
			Reason     string          `json:"reason"`
			GoldParsed *string         `json:"gold_parsed"`
			PredParsed *string         `json:"pred_parsed"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Verdict != want[i] || r.GoldParsed == nil || r.PredParsed == nil || r.Reason == "" {
			t.Errorf("line %d: %s", i+1, l)
		}
		switch i % 3 {
		case 0:
			if string(r.ID) != fmt.Sprint(i) {
				t.Errorf("line %d: id %s, want %d (order lost)", i+1, r.ID, i)
			}
		case 1:
			if string(r.ID) != fmt.Sprintf(`"s%d"`, i) {
				t.Errorf("line %d: id %s (order lost)", i+1, r.ID)
			}
		}
	}
}

func TestRunJSONLCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := strings.Repeat(`{"id":1,"gold":"1","pred":"1"}`+"\n", 1000)
	_, err := RunJSONL(ctx, strings.NewReader(in), &bytes.Buffer{}, JSONLOptions{Workers: 2})
	if err == nil {
		t.Fatal("canceled run reported no error")
	}
}
