// Package slurm renders sbatch array scripts from templates, submits them,
// and reads Slurm's own view of them (sbatch --parsable, squeue, sacct,
// scontrol show config) to report status and resume what is missing.
//
// Slurm is the scheduler: this package never schedules work itself.
package slurm
