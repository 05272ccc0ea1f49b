package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func newResumeCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "resume",
		Usage: "(not built yet)",
		Flags: configFlags(),
		Action: func(cctx *cli.Context) error {
			return errors.New("resume: not built yet")
		},
	}
}
