package main

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
)

//go:embed distillery.example.toml
var exampleConfig string

func newInitCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a fully commented example config (default ./distillery.toml)",
		ArgsUsage: "[PATH] (or -c PATH)",
		Flags:     append(configFlags(), &cli.BoolFlag{Name: "force", Usage: "overwrite an existing file"}),
		Action: func(cctx *cli.Context) error {
			if cctx.NArg() > 1 {
				return withCode(exitUsage, errors.New("init takes at most one PATH"))
			}
			// Every command takes -c; for init it names the file to write,
			// so `init -c my.toml` does not quietly write distillery.toml.
			path := cctx.Args().First()
			if c := cctx.String("config"); c != "" {
				if path != "" && path != c {
					return withCode(exitUsage, fmt.Errorf("init: PATH %s and -c %s differ: give one of them", path, c))
				}
				path = c
			}
			if path == "" {
				path = "distillery.toml"
			}
			if _, err := os.Stat(path); err == nil && !cctx.Bool("force") {
				return fmt.Errorf("%s exists: pass --force to overwrite it", path)
			}
			err := shard.WriteAtomic(path, func(w *bufio.Writer) error {
				_, err := w.WriteString(exampleConfig)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s: edit [input] paths and [run] dir, then `distillery plan -c %s`\n", path, path)
			return nil
		},
	}
}
