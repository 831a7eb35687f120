#!/usr/bin/env bash
# Synthesizes every stage and runs cfn-lint on every template. Fails on cfn-lint errors; warnings from
# constructs we do not own (CDK's own custom-resource providers) are printed but do not fail.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CDK_DISABLE_CLI_TELEMETRY=true
status=0
for stage in dev prod; do
  out="cdk.out.$stage"
  if ! log=$(npx cdk synth --quiet --no-notices -c "stage=$stage" -o "$out" 2>&1); then
    echo "$log" >&2; echo "cfn-lint: synth of stage $stage failed" >&2; exit 1
  fi
  bash scripts/python-tools.sh cfn-lint --format parseable "$out"/*.template.json
  rc=$?
  # cfn-lint's exit code is a bit mask: 1 fatal, 2 error, 4 warning, 8 informational.
  if (( rc & 3 )); then echo "cfn-lint: errors in stage $stage templates" >&2; status=1; fi
  echo "cfn-lint: stage $stage: $(ls "$out"/*.template.json | wc -l) templates, exit code $rc (0 = clean, 4 = warnings only)"
done
exit $status
