package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/distillery-hpc/distillery/runner"
	"github.com/distillery-hpc/distillery/shard"
)

// configSettings are the generation settings of the config: what a plan
// made from it records.
func configSettings(g runner.GenerateConfig) shard.Settings {
	return shard.Settings{
		Model:          g.Model,
		SystemPrompt:   g.SystemPrompt,
		PromptTemplate: g.PromptTemplate,
		NumGenerations: g.NumGenerations,
		Temperature:    g.Temperature,
		TopP:           g.TopP,
		MaxTokens:      g.MaxTokens,
	}
}

// withSettings returns g generating with s.
func withSettings(g runner.GenerateConfig, s shard.Settings) runner.GenerateConfig {
	g.Model = s.Model
	g.SystemPrompt = s.SystemPrompt
	g.PromptTemplate = s.PromptTemplate
	g.NumGenerations = s.NumGenerations
	g.Temperature = s.Temperature
	g.TopP = s.TopP
	g.MaxTokens = s.MaxTokens
	return g
}

// settingsDrift is the one-line error for a config whose generation
// settings differ from those the run dir's plan recorded, or nil.
func settingsDrift(l shard.Layout, have, planned shard.Settings) error {
	diffs := have.Diff(planned)
	if len(diffs) == 0 {
		return nil
	}
	parts := make([]string, len(diffs))
	for i, d := range diffs {
		parts[i] = fmt.Sprintf("generate.%s is %s here but %s in the plan", d.Key, d.Have, d.Want)
	}
	return fmt.Errorf("%s: %s; the plan fixes what shapes every trace of this run dir: set it back to the plan's value, or start a new run dir for the new settings (--set run.dir=NEW_DIR, or [run] dir in the config, then `distillery plan`)",
		l.PlanFile(), strings.Join(parts, "; "))
}

// applyPlanSettings makes cfg generate with the settings of plan: it
// refuses a config (file, environment or flag) that differs from them. A
// version 1 plan recorded only num_generations: the rest comes from the
// config, with a warning.
func applyPlanSettings(cfg *Config, plan *shard.Plan, log *slog.Logger) error {
	l := shard.Layout{Dir: cfg.Run.Dir}
	have := configSettings(cfg.Generate)
	planned := plan.Settings
	if !plan.HasSettings() {
		log.Warn("plan.json is of format version 1 and records no generation settings but num_generations: the model, prompts and sampling come from the config, and the dataset card repeats them; plan a new run dir to record them",
			"plan", l.PlanFile(), "version", plan.Version)
		planned = have
		if plan.NumGenerations > 0 {
			planned.NumGenerations = plan.NumGenerations
		}
	}
	if err := settingsDrift(l, have, planned); err != nil {
		return err
	}
	cfg.Generate = withSettings(cfg.Generate, planned)
	return nil
}

// readRunPlan reads the run dir's plan and applies its settings to cfg
// (applyPlanSettings): what run, merge and the Slurm commands do before
// anything else.
func readRunPlan(cfg *Config, log *slog.Logger) (*shard.Plan, error) {
	plan, err := shard.ReadPlan(shard.Layout{Dir: cfg.Run.Dir})
	if err != nil {
		return nil, err
	}
	if err := applyPlanSettings(cfg, plan, log); err != nil {
		return nil, err
	}
	return plan, nil
}
