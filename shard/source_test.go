package shard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSourceJSONLKeepsNumbersAsWritten(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"big integer", `{"problem":"p","answer":12345678901234567891}`, "12345678901234567891"},
		{"decimal", `{"problem":"p","answer":0.1}`, "0.1"},
		{"exponent", `{"problem":"p","answer":1e3}`, "1e3"},
		{"text", `{"problem":"p","answer":"\\frac{1}{2}"}`, `\frac{1}{2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.jsonl")
			if err := os.WriteFile(path, []byte(tc.line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []Row
			if _, err := ReadSource(path, nil, func(r Row) error { got = append(got, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0]["answer"] != tc.want {
				t.Fatalf("answer = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadSourceJSONLRejectsTrailingGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte(`{"problem":"p","answer":"1"} {"x":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSource(path, nil, func(Row) error { return nil })
	if err == nil {
		t.Fatal("two objects on one line were accepted")
	}
}

func TestReadSourceJSONLErrorNamesTheEditorLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.jsonl")
	content := `{"problem":"p","answer":"1"}` + "\n\n   \n" + `{"problem":` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSource(path, nil, func(Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 4:") {
		t.Fatalf("err = %v, want one naming line 4", err)
	}
}
