#!/bin/bash
# down.sh stops the test cluster that up.sh started in DISTILLERY_SLURM_DIR
# (default /tmp/distillery-slurm): cancels its jobs, then stops slurmd and
# slurmctld. munged is left running (other tools may share it). Every
# checkout on the machine shares the cluster: do not stop it while tests
# run.
set -euo pipefail

dir=${DISTILLERY_SLURM_DIR:-/tmp/distillery-slurm}
export SLURM_CONF=$dir/slurm.conf
if [[ ! -f $SLURM_CONF ]]; then
	printf 'testcluster: nothing to stop in %s\n' "$dir" >&2
	exit 0
fi
timeout 10 scancel --full --quiet --partition=debug 2>/dev/null || true
for p in slurmd slurmctld; do
	pidfile=$dir/$p.pid
	if [[ -f $pidfile ]]; then
		pid=$(cat "$pidfile")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		rm -f "$pidfile"
	fi
done
printf 'testcluster: stopped (%s)\n' "$dir" >&2
