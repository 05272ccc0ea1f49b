//go:build !unix

package shard

func pidNamespace() string     { return "" }
func processGone(pid int) bool { return false }
