#!/bin/sh
# /usr/libexec/dom0scope/check: what dom0scope-check.service runs after boot in a Xen dom0.
#   1. dom0scope collect into /var/lib/dom0scope/<UTC time>/snapshot (the last KEEP runs kept);
#   2. dom0scope verify --plan PLAN (when the administrator installed a plan): exactly the
#      plan's ranges must be gone from Xen's rangesets;
#   3. dom0scope audit (with the site policy when present).
# Each report is kept beside the snapshot and printed, so the journal holds the result; lines
# carry syslog priority prefixes (<3> error, <4> warning, <6> info) that systemd reads.
# Exit status: 0 checked, and the plan (if any) holds; 1 dom0 can reach what the plan revoked,
# or Xen's rangesets differ from what the plan leaves (verify --plan exit 1), or with
# AUDIT_FAILS=yes the audit failed; 2 nothing could be checked (collect failed or lacked
# Xen's rangesets, the plan does not fit this host). Not in a Xen dom0: says so, exit 0.
# Env (tests): DOM0SCOPE (the binary), DOM0SCOPE_DEFAULTS (settings file), DOM0SCOPE_STATE
# (state directory), DOM0SCOPE_CAPABILITIES (the file with control_d).
set -u
DOM0SCOPE=${DOM0SCOPE:-dom0scope}
STATE=${DOM0SCOPE_STATE:-/var/lib/dom0scope}
KEEP=5 PLAN=/etc/dom0scope/plan.json POLICY=/etc/dom0scope/policy.toml FAIL_ON=high AUDIT_FAILS=no
DEFAULTS=${DOM0SCOPE_DEFAULTS:-/etc/default/dom0scope}
if [ -r "$DEFAULTS" ]; then
	# shellcheck disable=SC1090  # the administrator's settings
	. "$DEFAULTS"
fi

say() { echo "<$1>dom0scope-check: $2"; }

caps=${DOM0SCOPE_CAPABILITIES:-/proc/xen/capabilities}
if ! grep -q control_d "$caps" 2>/dev/null; then
	say 6 "not a Xen dom0 (no control_d in $caps; is xenfs mounted on /proc/xen?): nothing to check"
	exit 0
fi
case "$KEEP" in '' | *[!0-9]* | 0) say 4 "KEEP='$KEEP' is not a positive number: keeping 5"; KEEP=5 ;; esac

umask 077
mkdir -p "$STATE" || { say 3 "cannot create $STATE"; exit 2; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$STATE/$stamp
n=1
while [ -e "$RUN" ]; do RUN=$STATE/$stamp-$n; n=$((n + 1)); done
mkdir "$RUN" || { say 3 "cannot create $RUN"; exit 2; }

# 1. collect
"$DOM0SCOPE" collect -o "$RUN/snapshot" > "$RUN/collect.txt" 2>&1
rc=$?
sed 's/^/<6>dom0scope-check: collect: /' "$RUN/collect.txt"
case $rc in
0) say 6 "collected $RUN/snapshot" ;;
1)
	say 3 "collect wrote $RUN/snapshot without Xen's rangeset dump: dom0's reach cannot be checked"
	echo "UNCHECKED collect_rc=$rc" > "$RUN/result"
	exit 2
	;;
*)
	say 3 "collect failed (exit $rc): nothing checked"
	echo "UNCHECKED collect_rc=$rc" > "$RUN/result"
	exit 2
	;;
esac
ln -sfn "$(basename "$RUN")" "$STATE/latest"

# Only runs this script made (a result or snapshot inside), oldest first, beyond the last KEEP.
for old in $(find "$STATE" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T*Z*' | sort | awk -v k="$KEEP" '
	{ d[NR] = $0 } END { for (i = 1; i <= NR - k; i++) print d[i] }'); do
	if [ -e "$old/result" ] || [ -d "$old/snapshot" ]; then rm -rf "$old"; fi
done

status=0 verdict=
# 2. verify --plan
if [ -r "$PLAN" ]; then
	"$DOM0SCOPE" verify "$RUN/snapshot" --plan "$PLAN" > "$RUN/verify.txt" 2>&1
	rc=$?
	sed 's/^/<6>dom0scope-check: verify: /' "$RUN/verify.txt"
	case $rc in
	0)
		say 6 "plan holds: exactly the planned ranges of $PLAN are gone from Xen's rangesets"
		verdict="PLAN-HOLDS" ;;
	3)
		say 4 "verify: differs only where assumptions decided; the plan is not contradicted"
		verdict="PLAN-HOLDS-ASSUMED" ;;
	1)
		if grep -q 'STILL GRANTED' "$RUN/verify.txt"; then
			say 3 "dom0 can reach again what the plan revoked:"
			grep 'STILL GRANTED' "$RUN/verify.txt" | sed 's/^/<3>dom0scope-check:   /'
			verdict="PLAN-REGAINED"
		else
			say 3 "Xen's rangesets differ from what the plan leaves dom0 (see $RUN/verify.txt)"
			verdict="PLAN-DIFFERS"
		fi
		status=1 ;;
	*)
		say 3 "verify --plan $PLAN could not check (exit $rc): a plan for another host or Xen? (see dom0scope-harden(1): regenerate it)"
		verdict="PLAN-UNCHECKED"
		status=2 ;;
	esac
else
	say 4 "no plan at $PLAN: nothing verified (collect and audit only; see dom0scope-harden(1))"
	verdict="NO-PLAN"
fi

# 3. audit
set -- "$RUN/snapshot" --fail-on "$FAIL_ON"
if [ -r "$POLICY" ]; then set -- "$@" --policy "$POLICY"; fi
"$DOM0SCOPE" audit "$@" > "$RUN/audit.txt" 2>&1
rc=$?
sed 's/^/<6>dom0scope-check: audit: /' "$RUN/audit.txt"
case $rc in
0) say 6 "audit: PASS at --fail-on $FAIL_ON" ;;
1) say 4 "audit: FAIL at --fail-on $FAIL_ON (findings above; dom0scope-audit(1))"
	if [ "$AUDIT_FAILS" = yes ] && [ "$status" = 0 ]; then status=1; fi ;;
3) say 4 "audit: INCOMPLETE at --fail-on $FAIL_ON" ;;
*) say 3 "audit could not run (exit $rc)"
	if [ "$status" = 0 ]; then status=2; fi ;;
esac
echo "$verdict audit_rc=$rc status=$status" > "$RUN/result"
say 6 "result: $verdict, audit exit $rc; exit $status; reports in $RUN"
exit "$status"
