# shellcheck shell=sh
# dom0scope early-boot enforcement: shared by the initramfs-tools script
# (scripts/init-top/dom0scope) and the dracut hook (90dom0scope/dom0scope-enforce.sh).
# Sourced, not run: POSIX sh, busybox-compatible. Installed into the initramfs as
# /usr/lib/dom0scope/early.sh.
#
# dom0scope_early MODE [ROOT]
#   In a Xen dom0 only: loads xen-privcmd (and xenfs, to tell dom0 on kernels without
#   /sys/hypervisor/start_flags), runs `dom0scope enforce` on the plan baked into the
#   initramfs, and logs to the kernel log. Returns 0 when there is nothing to do or the plan
#   was enforced, 1 when enforcement failed and the failure policy says to stop booting; the
#   caller then carries out the policy its initramfs offers (DOM0SCOPE_ON_FAILURE: continue,
#   panic or halt). MODE names the caller in the log. ROOT (tests only: packaging/test-hooks.sh)
#   prefixes every path read or run.
#
# Nothing here is taken from the environment: the kernel passes unknown name=value
# parameters of its command line to init as environment variables.

# Policies from mildest to strictest.
dom0scope_policy_rank() {
	case "$1" in
	continue) echo 0 ;;
	panic) echo 1 ;;
	halt) echo 2 ;;
	*) echo -1 ;;
	esac
}

# dom0scope_kmsg LEVEL MESSAGE: one record in the kernel log (levels as in syslog: 2 crit,
# 4 warning, 6 info), and on the console.
dom0scope_kmsg() {
	_lvl=$1
	shift
	if [ -w "$_r/dev/kmsg" ]; then
		printf '<%s>dom0scope: %s\n' "$_lvl" "$*" >>"$_r/dev/kmsg" 2>/dev/null || :
	fi
	# Warnings and worse also on the console, in case the kernel's loglevel hides them.
	if [ "$_lvl" -le 4 ]; then
		printf 'dom0scope: %s\n' "$*" >&2
	fi
}

# The failure policy: ON_FAILURE in the config file in the image (default continue); then
# `dom0scope.on_failure=` on the kernel command line, which can only make it stricter.
dom0scope_policy() {
	DOM0SCOPE_ON_FAILURE='continue'
	_conf=
	if [ -r "$_r$DOM0SCOPE_CONF_IN_IMAGE" ]; then
		# Written by the administrator and copied in by the hook: plain VAR=value lines. Read
		# in a subshell, so that only ON_FAILURE is taken from it.
		# shellcheck disable=SC1090  # the administrator's config: its path is only known at run time
		_conf=$(
			ON_FAILURE=
			. "$_r$DOM0SCOPE_CONF_IN_IMAGE" >/dev/null 2>&1
			echo "$ON_FAILURE"
		)
	fi
	if [ -n "$_conf" ]; then
		if [ "$(dom0scope_policy_rank "$_conf")" -ge 0 ]; then
			DOM0SCOPE_ON_FAILURE=$_conf
		else
			dom0scope_kmsg 4 "unknown ON_FAILURE '$_conf' in $DOM0SCOPE_CONF_IN_IMAGE (continue, panic or halt): using panic"
			DOM0SCOPE_ON_FAILURE=panic
		fi
	fi
	_cmdline=
	read -r _cmdline <"$_r/proc/cmdline" 2>/dev/null
	for _arg in $_cmdline; do
		case "$_arg" in
		dom0scope.on_failure=*)
			_want=${_arg#dom0scope.on_failure=}
			_rank=$(dom0scope_policy_rank "$_want")
			if [ "$_rank" -lt 0 ]; then
				dom0scope_kmsg 4 "unknown dom0scope.on_failure='$_want' on the kernel command line (continue, panic or halt): ignored"
			elif [ "$_rank" -gt "$(dom0scope_policy_rank "$DOM0SCOPE_ON_FAILURE")" ]; then
				DOM0SCOPE_ON_FAILURE=$_want
			elif [ "$_want" != "$DOM0SCOPE_ON_FAILURE" ]; then
				dom0scope_kmsg 4 "dom0scope.on_failure=$_want on the kernel command line is milder than the configured '$DOM0SCOPE_ON_FAILURE': ignored"
			fi
			;;
		esac
	done
}

# dom0scope_modprobe MODULE: load it unless the kernel already has it (built in or loaded).
dom0scope_modprobe() {
	_m=$(echo "$1" | tr - _)
	[ -d "$_r/sys/module/$_m" ] && return 0
	modprobe "$1" >/dev/null 2>&1
}

# Is this a Xen dom0? Sets DOM0SCOPE_NOT_DOM0 to the reason when not.
dom0scope_is_dom0() {
	DOM0SCOPE_NOT_DOM0=
	_type=$(cat "$_r/sys/hypervisor/type" 2>/dev/null)
	if [ "$_type" != xen ]; then
		DOM0SCOPE_NOT_DOM0="not running on Xen (/sys/hypervisor/type is '${_type:-absent}')"
		return 1
	fi
	if [ -r "$_r/sys/hypervisor/start_flags/initdomain" ]; then
		[ "$(cat "$_r/sys/hypervisor/start_flags/initdomain")" = 1 ] && return 0
		DOM0SCOPE_NOT_DOM0="a Xen guest, not dom0 (/sys/hypervisor/start_flags/initdomain is not 1)"
		return 1
	fi
	# Older kernels: xenfs's capabilities file says control_d in dom0.
	if [ ! -r "$_r/proc/xen/capabilities" ]; then
		dom0scope_modprobe xenfs
		mkdir -p "$_r/proc/xen" 2>/dev/null
		if mount -t xenfs xenfs "$_r/proc/xen" 2>/dev/null; then
			DOM0SCOPE_MOUNTED_XENFS=1
		fi
	fi
	if grep -qw control_d "$_r/proc/xen/capabilities" 2>/dev/null; then
		return 0
	fi
	DOM0SCOPE_NOT_DOM0="a Xen guest, not dom0 (no control_d in /proc/xen/capabilities)"
	return 1
}

dom0scope_early() {
	_mode=${1:-initramfs}
	_r=${2:-}
	DOM0SCOPE_BIN=/usr/sbin/dom0scope
	DOM0SCOPE_PLAN_IN_IMAGE=/etc/dom0scope/plan.json
	DOM0SCOPE_CONF_IN_IMAGE=/etc/dom0scope/initramfs.conf
	DOM0SCOPE_MOUNTED_XENFS=
	if ! dom0scope_is_dom0; then
		dom0scope_kmsg 6 "$_mode: nothing to enforce: $DOM0SCOPE_NOT_DOM0"
		return 0
	fi
	dom0scope_policy
	_rc=0
	if [ ! -x "$_r$DOM0SCOPE_BIN" ] || [ ! -r "$_r$DOM0SCOPE_PLAN_IN_IMAGE" ]; then
		_why="the initramfs lacks $DOM0SCOPE_BIN or $DOM0SCOPE_PLAN_IN_IMAGE (rebuild it after installing the plan)"
		_rc=2
	else
		dom0scope_modprobe xen-privcmd
		if [ ! -e "$_r/dev/xen/privcmd" ] && [ ! -e "$_r/proc/xen/privcmd" ]; then
			_why="no /dev/xen/privcmd (xen-privcmd did not load)"
			_rc=2
		else
			dom0scope_kmsg 6 "$_mode: enforcing $DOM0SCOPE_PLAN_IN_IMAGE (failure policy: $DOM0SCOPE_ON_FAILURE)"
			# enforce logs every change to the kernel log itself.
			"$_r$DOM0SCOPE_BIN" enforce "$_r$DOM0SCOPE_PLAN_IN_IMAGE" >&2
			_rc=$?
			case $_rc in
			0) _why= ;;
			2) _why="enforce refused the plan before changing anything (exit 2): another host or Xen, a bad plan, or not dom0; see the lines above" ;;
			*) _why="enforce failed (exit $_rc): some planned ranges may still be reachable; see the lines above" ;;
			esac
		fi
	fi
	if [ -n "$DOM0SCOPE_MOUNTED_XENFS" ]; then
		umount "$_r/proc/xen" 2>/dev/null
	fi
	if [ "$_rc" -eq 0 ]; then
		dom0scope_kmsg 6 "$_mode: plan enforced: every planned range is gone from Xen's rangesets"
		return 0
	fi
	dom0scope_kmsg 2 "**************************************************************"
	dom0scope_kmsg 2 "$_mode: PLAN NOT ENFORCED: $_why"
	dom0scope_kmsg 2 "dom0 keeps its full reach into the ranges the plan protects."
	if [ "$DOM0SCOPE_ON_FAILURE" = continue ]; then
		dom0scope_kmsg 2 "failure policy 'continue': booting on UNPROTECTED (set ON_FAILURE=panic or halt in /etc/dom0scope/initramfs.conf to stop instead)"
		dom0scope_kmsg 2 "**************************************************************"
		return 0
	fi
	dom0scope_kmsg 2 "failure policy '$DOM0SCOPE_ON_FAILURE': not booting on"
	dom0scope_kmsg 2 "**************************************************************"
	return 1
}

# dom0scope_halt: power the machine off (policy 'halt'); never returns.
dom0scope_halt() {
	dom0scope_kmsg 2 "powering off in 10 seconds (failure policy 'halt')"
	sleep 10
	sync
	poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger 2>/dev/null
	while :; do sleep 3600; done
}
