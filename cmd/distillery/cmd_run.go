package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newRunCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("run: not built yet")
		},
	}
}
