#!/bin/sh
# dracut pre-udev hook for dom0scope: in a Xen dom0, give up the plan's ranges through
# `dom0scope enforce` before anything from the root filesystem runs (mappings made before a
# revocation survive it). /proc, /sys and /dev are mounted; udev has not started.
#
# Failure policy (ON_FAILURE in /etc/dom0scope/initramfs.conf, or dom0scope.on_failure= on
# the kernel command line): continue (default: log loudly and boot on), panic (dracut's die:
# the emergency shell with rd.shell, else a halt), halt (power off).

# shellcheck source=/dev/null
type die >/dev/null 2>&1 || . /lib/dracut-lib.sh
# shellcheck source=../../common/dom0scope-early.sh
. /usr/lib/dom0scope/early.sh || return 0

if ! dom0scope_early dracut-pre-udev; then
    case "$DOM0SCOPE_ON_FAILURE" in
        halt) dom0scope_halt ;;
        *) die "dom0scope: the self-revocation plan was not enforced (failure policy: panic)" ;;
    esac
fi
