package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newSubmitCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "submit",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("submit: not built yet")
		},
	}
}
