// Package simserver is an SGLang-compatible simulator for dry runs and
// tests. It is not a model: it answers from the problem set with a
// configurable share of right, wrong, rewritten and unboxed answers, on a
// compressed time scale, and can inject faults.
package simserver
