package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newLocalCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "local",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("local: not built yet")
		},
	}
}
