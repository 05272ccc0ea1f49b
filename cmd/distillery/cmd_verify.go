package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newVerifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("verify: not built yet")
		},
	}
}
