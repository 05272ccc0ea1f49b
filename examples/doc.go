// Package examples holds the quickstart config and a small problem set
// written for distillery, in NuminaMath-1.5 columns.
package examples
