package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newSimServerCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "sim-server",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("sim-server: not built yet")
		},
	}
}
