#!/bin/bash
# Runs shellcheck (every severity, following what each script sources) on every shell script
# of the test suite and the tools: harness/, scripts/, packaging/, .ci/. A script is a
# *.sh file or a file whose first line is a sh/bash #! line; each file's shell comes from that
# line or its `# shellcheck shell=` directive. A warning is fixed, or disabled at the narrowest
# scope with a `# shellcheck disable=SCxxxx  # reason` directive.
# scripts/test-all.sh runs it; .ci/run installs shellcheck, so a missing one is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck > /dev/null \
  || { echo "shellcheck.sh: shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }
files=()
# harness/work and harness/out hold downloaded packages and snapshots, not our scripts.
while IFS= read -r -d '' f; do
  case "$f" in
    *.sh) files+=("$f") ;;
    *) if head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba)?sh( |$)'; then files+=("$f"); fi ;;
  esac
done < <(find harness scripts packaging .ci \( -path harness/work -o -path harness/out \) -prune \
           -o -type f -print0 | sort -z)
[ ${#files[@]} -gt 0 ] || { echo "shellcheck.sh: no scripts found" >&2; exit 1; }
# -x -P SCRIPTDIR: follow `. "$(dirname "$0")/lib.sh"` and `# shellcheck source=` relative to
# the script, so a sourced library is checked with its callers.
shellcheck -x -P SCRIPTDIR "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
