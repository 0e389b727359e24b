# The loop of stryker/per-file.sh and stryker/apps.sh (sourced, not run): one Stryker run per line of RUNS
# ("name|files|tests", paths under E), each with its own incremental report in .stryker-tmp-runs/ started from
# REPORT, then all merged into REPORT by stryker/merge.mjs, which prints the table. Arguments: run names to
# make (default all). CONFIG: the Stryker config (what the sandbox copies), REPORT: the committed report.
CONFIG=${CONFIG:-stryker.config.mjs}
REPORT=${REPORT:-stryker/incremental.json}
prefix() { local IFS=,; local out=(); for f in $1; do out+=("${E:+$E/}$f"); done; echo "${out[*]}"; }
mkdir -p .stryker-tmp-runs
merged=()
for line in "${RUNS[@]}"; do
  IFS='|' read -r name files tests <<<"$line"
  report=.stryker-tmp-runs/$name.json
  merged+=("$report=$(prefix "$files")")
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  [ -f "$report" ] || cp "$REPORT" "$report"
  echo "== $name: $files"
  STRYKER_TESTS=$(prefix "$tests") timeout 3600 nice -n 19 npx stryker run "$CONFIG" --incremental ${FORCE:+--force} \
    --incrementalFile "$report" --tempDirName ".stryker-tmp-$name" --concurrency 1 --timeoutMS 10000 \
    --mutate "$(prefix "$files")" --reporters progress-append-only >".stryker-tmp-runs/$name.log" 2>&1 ||
    { echo "$name: Stryker failed, see .stryker-tmp-runs/$name.log"; exit 1; }
done
# a run not made here keeps its files' results from the committed report
existing=()
for m in "${merged[@]}"; do [ -f "${m%%=*}" ] && existing+=("$m"); done
node stryker/merge.mjs "$REPORT" "$REPORT" "${existing[@]}"
