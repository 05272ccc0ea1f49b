package shard

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeStrict is the decoding decodeFast stands in for: encoding/json
// into the plain struct, from a record without an index.
func decodeStrict(b []byte, g *Generation) error {
	type plain Generation
	g.Index = noIndex
	return json.Unmarshal(b, (*plain)(g))
}

var decodeFastSeeds = []string{
	`{"uuid":"a","index":2,"text":"<think>x</think> \\boxed{\\frac{1}{2}}","finish_reason":"stop","prompt_tokens":10,"completion_tokens":20,"latency_ms":1234,"model":"m","started_at":"2026-01-02T03:04:05.123456789Z","finished_at":"2026-01-02T03:04:06Z","host":"n1","attempts":1,"job_id":"77_3"}`,
	`{"uuid":"a","text":"\u003cthink\u003e caf\u00e9 \ud83d\ude00 \"q\" \/ \b\f\n\r\t"}`,
	` { "uuid" : "b" , "index" : 0 , "text" : null } `,
	`{"uuid":"a","uuid":"b","text":"é ü 数学"}`,
	`{}`,
	`{"uuid":"a","index":-0}`,
	// the fast path declines these; the strict one rules
	`{"UUID":"a"}`,
	`{"uuid":"a","index":2.0}`,
	`{"uuid":"a","index":1e2}`,
	`{"uuid":"a","index":"3"}`,
	`{"uuid":"a","index":01}`,
	`{"uuid":"a","text":"\ud800"}`,
	`{"uuid":"a","text":"\ud800\u0041"}`,
	"{\"uuid\":\"a\",\"text\":\"\xff\"}",
	"{\"uuid\":\"a\",\"text\":\"\\u00e9\xc3\"}",
	`{"uuid":"a","extra":1}`,
	`{"uuid":"a",}`,
	`{"uuid":"a"} x`,
	`{"uuid":"a","started_at":"yesterday"}`,
	`{"uuid":"a","latency_ms":99999999999999999999}`,
	`[1]`,
	`null`,
}

// decodeFast gives what the strict decoding gives, or declines.
func TestDecodeFastAgreesWithEncodingJSON(t *testing.T) {
	fast := 0
	for _, s := range decodeFastSeeds {
		if checkDecodeFast(t, []byte(s)) {
			fast++
		}
	}
	if fast < 6 {
		t.Errorf("the fast path took %d of the seeds, want the first 6", fast)
	}
	// The runner's own records take the fast path.
	b, _ := json.Marshal(gen("u", 3))
	var g Generation
	if !g.decodeFast(b) {
		t.Errorf("the fast path declined a record the runner writes: %s", b)
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, s := range decodeFastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeFast(t, b) })
}

func checkDecodeFast(t *testing.T, b []byte) bool {
	t.Helper()
	prior := Generation{Host: "kept", StartedAt: time.Unix(5, 0).UTC()}
	fast := prior
	if !fast.decodeFast(b) {
		return false
	}
	strict := prior
	if err := decodeStrict(b, &strict); err != nil {
		t.Fatalf("%q: the fast path took a record encoding/json refuses (%v): %+v", b, err, fast)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("%q:\nfast   %+v\nstrict %+v", b, fast, strict)
	}
	return true
}
