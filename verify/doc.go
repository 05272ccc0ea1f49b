// Package verify decides whether a model's final answer matches a gold
// answer. It extracts the final answer of a generation (the last \boxed{},
// the text after </think>, "final answer is" forms), normalises and parses
// LaTeX and plain answers into typed values (exact rationals, expressions,
// equations and inequalities, sets, tuples, intervals, matrices, choices,
// text), and compares them: exact rational arithmetic wherever possible,
// high-precision evaluation at sample points otherwise, with documented
// tolerances and rounding rules. Its verdict is equal, different or unsure,
// with a reason; unsure goes to the LLM judge in merge, because a wrong
// answer accepted is worse than a right one sent to the judge.
//
// Every input is bounded (length, tokens, nesting, exact number size,
// evaluation steps) and the context is honoured, so no pair can hang or
// exhaust memory. Check is safe for concurrent use. RunJSONL checks a JSONL
// stream in parallel and keeps the input order (distillery verify --jsonl).
//
// It does not call any model and does no symbolic algebra.
package verify
