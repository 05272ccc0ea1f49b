#!/bin/bash
# up.sh starts a one-node Slurm (munged, slurmctld, slurmd) for distillery's
# integration tests, with its config in a directory of its own, and prints
# the line that points Slurm's commands at it:
#
#   eval "$(slurm/testcluster/up.sh)"    # exports SLURM_CONF
#
# It must run as root on a machine with Debian's slurm-wlm and munge
# (apt-get install -y slurm-wlm munge). It is idempotent: when the cluster in
# the directory already answers, it only prints the export line.
#
# Environment:
#   DISTILLERY_SLURM_DIR   state directory (default /tmp/distillery-slurm)
#   MAX_ARRAY_SIZE         the cluster's MaxArraySize (default 5)
#   SLURM_UP_TIMEOUT       seconds to wait for the node to be idle (default 60)
set -euo pipefail

dir=${DISTILLERY_SLURM_DIR:-/tmp/distillery-slurm}
max_array=${MAX_ARRAY_SIZE:-5}
timeout=${SLURM_UP_TIMEOUT:-60}
conf=$dir/slurm.conf

log() { printf 'testcluster: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for b in munged slurmctld slurmd sinfo; do
	command -v "$b" >/dev/null || die "$b not found: apt-get install -y slurm-wlm munge"
done
[[ $(id -u) -eq 0 ]] || die "must run as root (slurmd needs it)"

export SLURM_CONF=$conf

# Test packages run in parallel and may each start the cluster: one at a
# time.
mkdir -p "$dir"
exec 9>"$dir/.up.lock"
flock 9

if [[ -f $conf ]] && timeout 5 scontrol ping >/dev/null 2>&1 &&
	timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
	log "already running ($conf)"
	printf 'export SLURM_CONF=%q\n' "$conf"
	exit 0
fi

# munge: the key comes with the package.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	install -d -o munge -g munge -m 0755 /run/munge
	install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
	# The daemons must not inherit the lock (fd 9): a daemon holding it
	# would block every later up.sh for good.
	su -s /bin/sh munge -c /usr/sbin/munged 9>&-
	for _ in $(seq 50); do
		munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
		sleep 0.1
	done
	munge -n | unmunge >/dev/null || die "munged does not answer"
fi

mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cpus=$(nproc)
mem_mib=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
cat >"$conf" <<CONF
# Written by distillery's slurm/testcluster/up.sh: a one-node test cluster.
ClusterName=distillery-test
SlurmctldHost=localhost
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MaxArraySize=$max_array
# Finished jobs stay visible to squeue/scontrol for 5 minutes.
MinJobAge=300
# Fast turnarounds for tests: 5 s between SIGTERM and SIGKILL, a quick
# scheduler.
KillWait=5
SchedulerParameters=sched_interval=2,bf_interval=2
InactiveLimit=0
Waittime=0
NodeName=localhost CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF

# Stop daemons of an earlier start from this directory.
for p in slurmd slurmctld; do
	if [[ -f $dir/$p.pid ]] && kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null; then
		kill "$(cat "$dir/$p.pid")" || true
		sleep 1
	fi
done

slurmctld -i -f "$conf" 9>&-
slurmd -N localhost -f "$conf" 9>&-

for _ in $(seq "$timeout"); do
	if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
		log "up: $(sinfo -h -o '%P %D %T %c CPUs')"
		printf 'export SLURM_CONF=%q\n' "$conf"
		exit 0
	fi
	sleep 1
done
log "the node did not come up within ${timeout}s; logs in $dir/log"
tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
