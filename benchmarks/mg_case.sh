# mg_case.sh — sourced by scf_vs_abinit.sh and relax_vs_abinit.sh: the paper's strained
# 4-atom Mg cell, the ABINIT input lines both benchmarks share, and the timed launcher.
# The caller sets: py, mpiexec, here, psp, ecut, ngkpt, ngfft, mode, and (for the input)
# nband tsmear toldfe nstep; bench_name names the caller in messages.

# Reference cell and strain D = (la, lb, lc, tha, thb, thc) of the paper.
acell=$("$py" -c '
a = (6.0646, 10.5042, 9.8477); l = (0.9696, 0.9237, 0.9906)
print(" ".join(repr(x * y) for x, y in zip(a, l)))')
angdeg="92.1598 85.6196 87.3824"
xred="0 0 0  0.5 0.5 0  0 0.6666666666666666 0.5  0.5 0.16666666666666666 0.5"
csv() { echo "$*" | tr -s ' ' ','; }

# The strainfield options of the case (the subcommand and its own options follow).
mg_sf_opts() {
  echo -acell "$(csv $acell)" -angdeg "$(csv $angdeg)" -natom 4 -ntypat 1 -znucl 12 \
    -typat 1,1,1,1 -xred "$(csv $xred)" -pseudos "$psp" -ecut $ecut -ecutsm 0.5 \
    -ngkpt "$(csv $ngkpt)" -shiftk 0.5,0.5,0.5 -nband $nband -occopt 4 -tsmear $tsmear \
    -ngfft "$(csv $ngfft)" -ixc 7 -toldfe $toldfe -nstep $nstep
}

# The ABINIT input of the case; extra lines come on stdin of the caller's heredoc.
mg_abinit_input() {
  cat <<EOI
# strainfield benchmark: strained Mg cell (benchmarks/$bench_name, $mode)
acell $acell
angdeg $angdeg
natom 4
ntypat 1
znucl 12
typat 1 1 1 1
xred
   0 0 0
   0.5 0.5 0
   0 0.6666666666666666 0.5
   0.5 0.16666666666666666 0.5
pseudos "$psp"
ecut $ecut
ecutsm 0.5
ngfft $ngfft
chkprim 0
kptopt 1
ngkpt $ngkpt
nshiftk 1
shiftk 0.5 0.5 0.5
nband $nband
occopt 4
tsmear $tsmear
ixc 7
toldfe $toldfe
nstep $nstep
prtwf 0
prtden 0
prteig 0
prtebands 0
EOI
}

# run TAG NP DIR PROGRAM ARGS... : timed launch in DIR, log in DIR/log
run() {
  local tag=$1 np=$2 dir=$3; shift 3
  mkdir -p "$dir"
  rm -f "$dir"/rank.rank* "$dir"/outer.time "$dir"/log "$dir"/run.abo "$dir"/runo_* "$dir"/summary.json
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg.before"
  echo "== $tag, $np rank(s): load average $(cat "$dir/loadavg.before")" >&2
  local rc=0
  (cd "$dir" && /usr/bin/time -f "%e %M" -o outer.time \
     "$mpiexec" -np "$np" --allow-run-as-root --oversubscribe \
     -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS \
     "$here/rank_time.sh" "$dir/rank" "$@" > log 2>&1) || rc=$?
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg.after"
  if [ $rc -ne 0 ]; then
    echo "$bench_name: $tag on $np rank(s) failed (rc=$rc); tail of $dir/log:" >&2
    tail -n 30 "$dir/log" >&2
    exit 1
  fi
  echo "   elapsed $(cut -d' ' -f1 "$dir/outer.time") s" >&2
}
