package merge

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// featureKinds are the dataset's features in column order, as datasets
// names them: a Value dtype, a Sequence of one, or (messages) a list of a
// struct.
var featureKinds = []struct{ name, kind, dtype string }{
	{"problem", "value", "string"},
	{"solution", "value", "string"},
	{"answer", "value", "string"},
	{"problem_type", "value", "string"},
	{"question_type", "value", "string"},
	{"source", "value", "string"},
	{"uuid", "value", "string"},
	{"is_reasoning_complete", "sequence", "bool"},
	{"generations", "sequence", "string"},
	{"correctness_math_verify", "sequence", "bool"},
	{"correctness_llama", "sequence", "bool"},
	{"finish_reasons", "sequence", "string"},
	{"correctness_count", "value", "int64"},
	{"messages", "messages", ""},
}

// huggingfaceMetadata returns the value of the `huggingface` key-value
// metadata that datasets writes into every parquet file
// (ArrowWriter._build_metadata: {"info": {"features": Features.to_dict()}})
// and reads back in Features.from_arrow_schema. Features.to_dict is
// dataclasses.asdict without default fields: Value is {"dtype", "_type"},
// a sequence {"feature", "_type": "Sequence"} (which datasets 4 reads as
// List, and datasets 2 and 3 as Sequence), a list of structs a JSON list of
// one dict. Keys keep column order, as Features does.
func huggingfaceMetadata() string {
	value := func(dtype string) string { return `{"dtype": "` + dtype + `", "_type": "Value"}` }
	var b strings.Builder
	b.WriteString(`{"info": {"features": {`)
	for i, f := range featureKinds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + f.name + `": `)
		switch f.kind {
		case "value":
			b.WriteString(value(f.dtype))
		case "sequence":
			b.WriteString(`{"feature": ` + value(f.dtype) + `, "_type": "Sequence"}`)
		case "messages":
			b.WriteString(`[{"content": ` + value("string") + `, "role": ` + value("string") + `}]`)
		}
	}
	b.WriteString(`}}}`)
	return b.String()
}

// buildVersion is set by the Makefile's build (-ldflags -X) to `git
// describe --always --dirty`; it is never written at run time.
var buildVersion string

// Version is distillery's version as the binary knows it: what `make build`
// stamped, else the module version of a tagged build, else "devel" with
// the VCS revision the go command stamped (and "-dirty" for a modified
// tree), else "devel".
func Version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel+" + rev[:min(12, len(rev))] + dirty
}

// createdBy is the parquet footer's created_by, in the form the parquet
// spec gives: "<application> version <version> (build <build hash>)".
func createdBy(version string) string {
	build := "unknown"
	if m := revisionRE.FindStringSubmatch(version); m != nil {
		build = m[1]
	}
	return "distillery version " + version + " (build " + build + ")"
}

// revisionRE finds the commit in a version: devel+<rev>, git describe's
// <tag>-<n>-g<rev> or a bare <rev>, each with an optional -dirty.
var revisionRE = regexp.MustCompile(`(?:^|\+|-g)([0-9a-f]{7,40})(?:-dirty)?$`)
