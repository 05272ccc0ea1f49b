package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newStatusCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("status: not built yet")
		},
	}
}
