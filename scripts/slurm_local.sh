#!/usr/bin/env bash
# slurm_local.sh — a real single-node SLURM on loopback for the job-script tests
# (tests/slurm, docs/slurm.md): munged, slurmctld and slurmd from Debian's packages,
# started by hand (there is no systemd on the CI machines).
#
#   scripts/slurm_local.sh start         start whatever is not running; wait until the node is idle
#   scripts/slurm_local.sh stop [--purge] cancel the jobs, stop the daemons (--purge: remove the state)
#   scripts/slurm_local.sh status        one line; exit 0 when the cluster is up
#   scripts/slurm_local.sh conf          print the slurm.conf path, for `export SLURM_CONF=...`
#
# State (keys, configuration, spool, logs, the jobcomp file) lives in SF_SLURM_DIR
# (default /tmp/sf-slurm-UID), at most 60 characters long: slurmstepd listens on the Unix
# socket SlurmdSpoolDir/localhost_JOBID.4294967291, and a socket path has at most 107
# characters (longer: every job fails to launch and stays pending).  The controller
# listens on SF_SLURM_PORT (default 6817, or the next free pair of ports), slurmd on the
# port after it, both on 127.0.0.1, so the cluster never clashes with a system SLURM or
# munge (its own munge socket, named in slurm.conf) or with another developer's cluster
# in another SF_SLURM_DIR.  Every wait is bounded; a failure is one line naming the log.
set -euo pipefail

D=${SF_SLURM_DIR:-/tmp/sf-slurm-$(id -u)}
CONF=$D/etc/slurm.conf
SOCK=$D/munge/munge.socket.2
export SLURM_CONF=$CONF
NODE=localhost

die() { echo "slurm_local: $*" >&2; exit 1; }

# A pid from a pid file that is running and not a zombie (PID 1 here reaps orphans late,
# and kill -0 succeeds on a zombie).
alive_pid() {
  local f=$D/run/$1.pid pid state
  # the daemon removes its pid file as it exits, so the file may vanish between the test
  # and the read; bash aborts the script on a failed $(<file), a failed read just returns 1
  [[ -s $f ]] || return 1
  { read -r pid <"$f"; } 2>/dev/null || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]] || return 1
  echo "$pid"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 || true; }

# until CMD succeeds, at most $1 seconds; 0 on success
wait_for() {
  local limit=$1 t0=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - t0 < limit)) || return 1
    sleep 0.1
  done
}

munge_ok() { munge -S "$SOCK" -n 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1; }
ctld_ok() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_idle() { [[ $(node_state) == idle ]]; }

all_up() { alive_pid munged >/dev/null && alive_pid slurmctld >/dev/null && alive_pid slurmd >/dev/null && munge_ok && ctld_ok; }

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# The first pair of free ports from SF_SLURM_PORT (a bounded search).
choose_ports() {
  local p=${SF_SLURM_PORT:-6817}
  [[ $p =~ ^[0-9]+$ ]] || die "SF_SLURM_PORT=$p is not a port number"
  for _ in $(seq 20); do
    if ! port_busy "$p" && ! port_busy $((p + 1)); then
      CTLD_PORT=$p SLURMD_PORT=$((p + 1))
      return
    fi
    p=$((p + 2))
  done
  die "no free pair of ports in ${SF_SLURM_PORT:-6817}..$((p - 1)); set SF_SLURM_PORT"
}

write_conf() {
  local cpus mem user
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  user=$(id -un)
  cat >"$CONF.tmp" <<EOF
# written by scripts/slurm_local.sh: a single node on loopback, no cgroups, no accounting
ClusterName=sflocal
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
# a requeued job waits cred_expire + 1 s before it may start again (default 120 s);
# 10 s is ample for a job step to start on loopback
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$D/spool/slurmctld
SlurmdSpoolDir=$D/spool/slurmd
TmpFS=$D/tmp
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# finished jobs, one line each (there is no slurmdbd, so no sacct): the tests read it
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
# start a job as soon as it is submitted (the default waits 3 s per batch)
SchedulerParameters=batch_sched_delay=0,sched_interval=1
# a request larger than the node fails at once instead of pending forever
EnforcePartLimits=ALL
SlurmdParameters=config_overrides
ReturnToService=2
# finished jobs stay visible to scontrol show job for an hour
MinJobAge=3600
MailProg=/bin/true
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

stop_daemon() {
  local name=$1 pid t0
  pid=$(alive_pid "$name") || { rm -f "$D/run/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  t0=$SECONDS
  while alive_pid "$name" >/dev/null; do
    if ((SECONDS - t0 >= 15)); then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  rm -f "$D/run/$name.pid"
}

cmd_stop() {
  local purge=0 t0
  [[ ${1:-} == --purge ]] && purge=1
  [[ -d $D ]] || return 0
  # Cancel the jobs first, so that no job step (and no rank of ours) outlives slurmd:
  # scancel sends SIGTERM (strainfield stops cleanly), SIGKILL after KillWait (30 s).
  if alive_pid slurmctld >/dev/null && ctld_ok; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ' || true)
    if [[ -n ${jobs// /} ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      t0=$SECONDS
      while [[ -n $(squeue -h -o %i 2>/dev/null) ]] && ((SECONDS - t0 < 45)); do sleep 0.2; done
    fi
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  if ((purge)); then
    rm -rf "$D"
    echo "slurm_local: stopped, $D removed"
  else
    echo "slurm_local: stopped (state kept in $D)"
  fi
}

cmd_start() {
  for c in munged mungekey munge unmunge slurmctld slurmd sinfo scontrol squeue ss; do
    command -v "$c" >/dev/null 2>&1 ||
      die "$c not found: run scripts/bootstrap.sh (Debian packages slurmctld slurmd slurm-client munge)"
  done
  [[ $D == /* ]] || die "SF_SLURM_DIR=$D must be an absolute path (the daemons chdir away)"
  ((${#D} <= 60)) || die "SF_SLURM_DIR=$D is ${#D} characters; at most 60 (Unix socket paths of job steps)"
  if all_up && node_idle_or_busy; then
    echo "slurm_local: already running (SLURM_CONF=$CONF)"
    return 0
  fi
  # a half-started cluster (one daemon died): start again from nothing running
  cmd_stop >/dev/null
  mkdir -p "$D"/{etc,munge,run,log,tmp,spool/slurmctld,spool/slurmd}
  # munged wants its socket's folder executable by all (--force covers a private ancestor)
  chmod 755 "$D" "$D/munge"
  if [[ ! -s $D/munge/munge.key ]]; then
    mungekey -c -k "$D/munge/munge.key" || die "mungekey could not create $D/munge/munge.key"
  fi
  chmod 600 "$D/munge/munge.key"
  choose_ports
  write_conf
  munged --force --socket="$SOCK" --key-file="$D/munge/munge.key" --pid-file="$D/run/munged.pid" \
    --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" ||
    die "munged did not start (see $D/log/munged.log)"
  wait_for 10 munge_ok || die "munged does not answer on $SOCK within 10 s (see $D/log/munged.log)"
  slurmctld -i -f "$CONF" || die "slurmctld did not start (see $D/log/slurmctld.log)"
  wait_for 30 ctld_ok || die "slurmctld not up within 30 s (see $D/log/slurmctld.log)"
  slurmd -N "$NODE" -f "$CONF" || die "slurmd did not start (see $D/log/slurmd.log)"
  wait_for 30 node_idle || die "node $NODE not idle within 30 s (state '$(node_state)'; see $D/log/slurmd.log)"
  echo "slurm_local: up on 127.0.0.1:$CTLD_PORT, node $NODE with $(nproc) CPUs (SLURM_CONF=$CONF)"
}

# up means the node serves jobs, whether it is running some or not
node_idle_or_busy() { [[ $(node_state) =~ ^(idle|mixed|allocated|completing)$ ]]; }

cmd_status() {
  if all_up && node_idle_or_busy; then
    echo "slurm_local: up, node $NODE $(node_state), slurmctld $(alive_pid slurmctld), slurmd $(alive_pid slurmd)," \
      "munged $(alive_pid munged) (SLURM_CONF=$CONF)"
    return 0
  fi
  local s=""
  for n in munged slurmctld slurmd; do alive_pid "$n" >/dev/null && s+=" $n"; done
  echo "slurm_local: down in $D (running:${s:- none})"
  return 1
}

case ${1:-} in
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  conf) echo "$CONF" ;;
  *) echo "usage: $0 start | stop [--purge] | status | conf" >&2; exit 2 ;;
esac
