// Package templates embeds the default sbatch templates (generate.sbatch,
// merge.sbatch, and server.tmpl with the parts they share). A [slurm]
// templates_dir overrides them file by file. Package slurm fills them in;
// this package only finds and parses them.
package templates
