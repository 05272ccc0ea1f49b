// Package templates embeds the default sbatch templates (generate.sbatch,
// merge.sbatch). A [slurm] templates_dir overrides them file by file.
package templates
