#!/usr/bin/env bash
# A throwaway single-node Slurm on 127.0.0.1 for tests, CI and trying `--executor slurm` locally.
# Debian 12 (slurm-wlm 22.05), run as root, no systemd. Everything it writes lives under one
# directory ($HEBB_SLURM_DIR, default /tmp/hebb-slurm): config, state, logs, pid files, and a
# private munged with its own key and socket, so it touches nothing in /etc or /run.
#
#   scripts/slurm-local.sh start    install the packages if missing, configure, start munged,
#                                   slurmctld and slurmd, wait until the node is idle
#   scripts/slurm-local.sh stop     cancel its jobs, stop the daemons it started, by PID
#   scripts/slurm-local.sh status   which daemons run; sinfo
#   scripts/slurm-local.sh env      prints `export SLURM_CONF=...` (for eval) so sbatch/squeue find it
#
# Idempotent: start on a running cluster only checks it; stop on a stopped one does nothing.
# Ports: $HEBB_SLURM_CTLD_PORT (6817) and $HEBB_SLURM_SLURMD_PORT (6818).
set -euo pipefail

DIR=${HEBB_SLURM_DIR:-/tmp/hebb-slurm}
CONF=$DIR/etc/slurm.conf
CTLD_PORT=${HEBB_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${HEBB_SLURM_SLURMD_PORT:-6818}
MUNGE_SOCKET=$DIR/munge/munge.socket
MUNGE_PID=$DIR/run/munged.pid
CTLD_PID=$DIR/run/slurmctld.pid
SLURMD_PID=$DIR/run/slurmd.pid
NODE=localhost
export SLURM_CONF=$CONF

say() { echo "[slurm-local] $*" >&2; }

die() { # die MESSAGE [LOGFILE]: explain, show the log's tail, fail
  say "error: $1"
  [[ -n ${2:-} && -f $2 ]] && { say "--- tail of $2"; tail -n 25 "$2" >&2; }
  exit 1
}

running() { # running PIDFILE: the pid in the file is a live process
  [[ -s $1 ]] || return 1
  local pid
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

stop_daemon() { # stop_daemon PIDFILE NAME: TERM, wait up to 10 s, then KILL
  running "$1" || { rm -f "$1"; return 0; }
  local pid i
  pid=$(<"$1")
  say "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "$2 ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$1"
}

install_if_missing() {
  local missing=0 c
  for c in slurmctld slurmd sbatch squeue scontrol scancel sinfo munged munge; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c ]] || missing=1
  done
  ((missing)) || return 0
  [[ $(id -u) == 0 ]] || die "Slurm is not installed and installing it needs root"
  say "installing slurmctld slurmd slurm-client munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null ||
    die "apt-get install failed"
}

write_config() {
  mkdir -p "$DIR"/{etc,state,spool,log,run,munge}
  # The node's real CPUs and memory, as slurmd detects them: declaring more memory than it
  # finds drains the node ("Low RealMemory").
  local hw
  hw=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ UpTime=.*//')
  [[ $hw == *CPUs=* ]] || die "could not read the node's resources from 'slurmd -C' (got: $hw)"
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: a single-node cluster for tests.
ClusterName=hebb
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
MpiDefault=none
# No cgroup tree to manage in a container: track processes by parent PID, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
MailProg=/bin/true
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# No accounting daemon: the executor watches squeue/scontrol, as on clusters without sacct.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Keep finished jobs visible to squeue/scontrol for 10 minutes.
MinJobAge=600
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
  # slurmd 22.05 loads a cgroup plugin even with proctrack/linuxproc and task/none; the default
  # (autodetect) fails without a usable cgroup tree, cgroup/v2 wants systemd. v1's init is inert.
  echo "CgroupPlugin=cgroup/v1" >"$DIR/etc/cgroup.conf"
  chmod 644 "$CONF" "$DIR/etc/cgroup.conf"
}

hostname_resolves() {
  # slurmd spends ~10 s retrying when the machine's own hostname does not resolve.
  local h
  h=$(hostname)
  getent hosts "$h" >/dev/null 2>&1 && return 0
  [[ -w /etc/hosts ]] || return 0
  say "adding $h to /etc/hosts"
  echo "127.0.0.1 $h" >>/etc/hosts
}

munge_works() { munge -S "$MUNGE_SOCKET" -n </dev/null 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; }

start_munge() {
  if running "$MUNGE_PID" && munge_works; then return 0; fi
  stop_daemon "$MUNGE_PID" munged
  local key=$DIR/munge/munge.key
  [[ -s $key ]] || { dd if=/dev/urandom of="$key" bs=1024 count=1 status=none; chmod 0400 "$key"; }
  chmod 0700 "$DIR/munge"
  say "starting munged"
  # --force: accept running as root and a key under /tmp; this is a throwaway test cluster.
  munged --force --key-file="$key" --socket="$MUNGE_SOCKET" --pid-file="$MUNGE_PID" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" || die "munged failed to start" "$DIR/log/munged.log"
  local i
  for i in $(seq 25); do munge_works && return 0; sleep 0.2; done
  die "munged does not answer on $MUNGE_SOCKET" "$DIR/log/munged.log"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null || true; }

start() {
  install_if_missing
  [[ $(id -u) == 0 ]] || die "this script runs the daemons as root (SlurmUser=root)"
  write_config
  hostname_resolves
  start_munge
  if ! running "$CTLD_PID"; then
    say "starting slurmctld"
    slurmctld -f "$CONF" -c -i || die "slurmctld failed to start" "$DIR/log/slurmctld.log" # -c: forget old jobs
  fi
  if ! running "$SLURMD_PID"; then
    say "starting slurmd"
    slurmd -f "$CONF" -N "$NODE" || die "slurmd failed to start" "$DIR/log/slurmd.log"
  fi
  local i st=
  for i in $(seq 150); do
    st=$(node_state)
    # "idle*" (trailing star) means not responding yet.
    case $st in idle | mixed | allocated) say "node $NODE is $st; export SLURM_CONF=$CONF"; return 0 ;; esac
    sleep 0.2
  done
  tail -n 15 "$DIR/log/slurmctld.log" >&2 || true
  die "node $NODE did not become idle (state '$st')" "$DIR/log/slurmd.log"
}

stop() {
  if running "$CTLD_PID"; then
    # Job steps (slurmstepd) outlive slurmd: cancel jobs and let them drain first.
    local ids i
    ids=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [[ -n ${ids// /} ]]; then
      say "cancelling jobs: $ids"
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      for i in $(seq 50); do [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break; sleep 0.2; done
    fi
  fi
  stop_daemon "$SLURMD_PID" slurmd
  stop_daemon "$CTLD_PID" slurmctld
  stop_daemon "$MUNGE_PID" munged
}

status() {
  local f rc=0
  for f in "$MUNGE_PID" "$CTLD_PID" "$SLURMD_PID"; do
    if running "$f"; then echo "$(basename "$f" .pid): running (pid $(<"$f"))"; else echo "$(basename "$f" .pid): stopped"; rc=3; fi
  done
  running "$CTLD_PID" && sinfo
  return $rc
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
