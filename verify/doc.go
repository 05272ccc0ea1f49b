// Package verify decides whether a model's final answer matches a gold
// answer: it extracts the final \boxed{} answer from a generation, parses
// LaTeX and plain answers into typed values and compares them exactly where
// it can. Its verdict is equal, different or unsure; unsure goes to the LLM
// judge in merge.
//
// It does not call any model.
package verify
