package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newInitCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("init: not built yet")
		},
	}
}
