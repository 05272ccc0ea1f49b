package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newPlanCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("plan: not built yet")
		},
	}
}
