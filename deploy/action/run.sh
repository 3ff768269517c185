#!/usr/bin/env bash
# Runs hamsasim for the GitHub Action (action.yml at the repository root):
# simulate, features and load as INPUT_COMMANDS asks, every one of them even
# when an earlier one failed, reports under INPUT_REPORTS. Exits with the
# worst exit code of the commands (0 passed, 1 findings or thresholds failed,
# 2 bad input, 130 interrupted), so the verdict fails the job.
#
# Inputs come as INPUT_* variables (action.yml maps each input to one), the
# binary as ACTION_BIN (default: hamsasim on PATH). An empty input passes no
# flag: hamsasim.yaml, a HAMSASIM_* variable or hamsasim's default decides.
# The report paths are always the action's. The secret comes as
# INPUT_SECRET and is handed to hamsasim in the environment variable it reads
# (INPUT_SECRET_ENV, else hamsasim's default); it is never on a command line
# and never printed. Neither is the target: its query may hold a token.
set -uo pipefail

fail() { echo "hamsasim action: $1" >&2; exit 2; }

hamsasim=${ACTION_BIN:-hamsasim}
reports=${INPUT_REPORTS:-hamsasim-reports}

# list splits an input on newlines and commas, dropping blanks and the
# spaces around each item, one item a line.
list() { printf '%s\n' "$1" | tr ',' '\n' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }
# lines splits an input on newlines only (a threshold may hold a comma).
lines() { printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }

flag() { # flag NAME VALUE: the value of a true/false input
  case "$2" in
    true | false) ;;
    *) fail "$1: \"$2\" is not true or false" ;;
  esac
}
strict=${INPUT_STRICT:-false}
yes=${INPUT_YES:-false}
flag strict "$strict"
flag yes "$yes"

commands=()
while IFS= read -r c; do
  case "$c" in
    simulate | features | load) commands+=("$c") ;;
    *) fail "commands: \"$c\" is not a command the action runs (simulate, features, load)" ;;
  esac
done < <(list "${INPUT_COMMANDS:-simulate,features,load}")
[ ${#commands[@]} -gt 0 ] || fail "commands: name at least one of simulate, features, load"

# The secret goes to the variable hamsasim reads, and nowhere else.
secret_env=${INPUT_SECRET_ENV:-}
if [ -n "$secret_env" ]; then
  case "$secret_env" in
    [0-9]* | *[!A-Za-z0-9_]*) fail "secret-env: \"$secret_env\" is not an environment variable's name (letters, digits, _)" ;;
  esac
fi
if [ -n "${INPUT_SECRET:-}" ]; then
  name=$secret_env
  if [ -z "$name" ]; then
    name=WEBHOOK_SECRET
    if [ "${INPUT_AUTH:-}" = hmac ]; then name=WEBHOOK_SIGNING_SECRET; fi
  fi
  export "$name=$INPUT_SECRET"
fi
unset INPUT_SECRET

# Flags every command shares.
common=()
if [ -n "${INPUT_TARGET:-}" ]; then common+=(--target "$INPUT_TARGET"); fi
if [ -n "${INPUT_PROBE_URL:-}" ]; then common+=(--probe-url "$INPUT_PROBE_URL"); fi
# On the command line, not in HAMSASIM_EFFECTS_DB: a DSN's password never goes
# in a HAMSASIM_* variable (hamsasim shows the DSN with it redacted).
if [ -n "${INPUT_EFFECTS_DB:-}" ]; then common+=(--effects-db "$INPUT_EFFECTS_DB"); fi
if [ -n "${INPUT_EFFECTS_QUERY:-}" ]; then common+=(--effects-query "$INPUT_EFFECTS_QUERY"); fi
if [ -n "${INPUT_AUTH:-}" ]; then common+=(--auth "$INPUT_AUTH"); fi
if [ -n "$secret_env" ]; then common+=(--secret-env "$secret_env"); fi
fixtures=()
while IFS= read -r f; do fixtures+=(--fixtures "$f"); done < <(list "${INPUT_FIXTURES:-}")

mkdir -p "$reports" || fail "reports: cannot create $reports"

worst=0
summary="| command | exit code | verdict |
| --- | --- | --- |"
for c in "${commands[@]}"; do
  args=("$c" ${common[@]+"${common[@]}"})
  case "$c" in
    simulate)
      args+=(${fixtures[@]+"${fixtures[@]}"} --json "$reports/simulate.json" --junit "$reports/simulate.xml")
      if [ -n "${INPUT_PROBES:-}" ]; then args+=(--probes "$(list "$INPUT_PROBES" | paste -sd, -)"); fi
      if [ "$strict" = true ]; then args+=(--strict); fi
      ;;
    features)
      args+=(${fixtures[@]+"${fixtures[@]}"} --format "progress,junit:$reports/features.xml")
      if [ -n "${INPUT_TAGS:-}" ]; then args+=(--tags "$INPUT_TAGS"); fi
      if [ "$strict" = true ]; then args+=(--strict); fi
      while IFS= read -r p; do args+=("$p"); done < <(list "${INPUT_FEATURES:-}")
      ;;
    load)
      args+=(${fixtures[@]+"${fixtures[@]}"} --report-dir "$reports/load" --junit "$reports/load.xml")
      if [ -n "${INPUT_SCENARIO:-}" ]; then args+=(--scenario "$INPUT_SCENARIO"); fi
      if [ -n "${INPUT_DURATION:-}" ]; then args+=(--duration "$INPUT_DURATION"); fi
      while IFS= read -r th; do args+=(--threshold "$th"); done < <(lines "${INPUT_THRESHOLDS:-}")
      if [ "$yes" = true ]; then args+=(--yes); fi
      ;;
  esac
  echo "::group::hamsasim $c"
  "$hamsasim" "${args[@]}"
  rc=$?
  echo "::endgroup::"
  case $rc in
    0) verdict=passed ;;
    1) verdict="failed: findings or thresholds" ;;
    2) verdict="bad input (see the log)" ;;
    130) verdict=interrupted ;;
    *) verdict="exit code $rc" ;;
  esac
  echo "hamsasim $c: $verdict (exit code $rc)"
  summary+="
| $c | $rc | $verdict |"
  if [ "$rc" -gt "$worst" ]; then worst=$rc; fi
done

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  # shellcheck disable=SC2016 # the backticks are Markdown
  printf '### hamsasim\n\n%s\n\nReports: `%s` (JUnit XML, JSON, the load report as HTML).\n' "$summary" "$reports" >>"$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf 'exit-code=%s\nreports=%s\n' "$worst" "$reports" >>"$GITHUB_OUTPUT"
fi
exit "$worst"
