package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newMergeCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "merge",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("merge: not built yet")
		},
	}
}
