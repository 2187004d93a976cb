#!/bin/bash
# dracut module for dom0scope: in a Xen dom0, `dom0scope enforce` gives up the plan's ranges
# in the pre-udev hook, before anything from the root filesystem runs.
#
# Settings: /etc/dom0scope/initramfs.conf (shell VAR=value lines; DOM0SCOPE_INITRAMFS_CONF
# in the environment changes the path), the same file the initramfs-tools hook reads:
#   DOM0SCOPE_BIN=/usr/sbin/dom0scope  PLAN=/etc/dom0scope/plan.json  ON_FAILURE=continue|panic|halt

dom0scope_conf() {
    DOM0SCOPE_CONF=${DOM0SCOPE_INITRAMFS_CONF:-/etc/dom0scope/initramfs.conf}
    DOM0SCOPE_BIN=
    PLAN=/etc/dom0scope/plan.json
    if [[ -r $DOM0SCOPE_CONF ]]; then
        # shellcheck disable=SC1090  # the administrator's config: its path is only known at run time
        . "$DOM0SCOPE_CONF"
    fi
    [[ -n $DOM0SCOPE_BIN ]] || DOM0SCOPE_BIN=$(command -v dom0scope || echo /usr/sbin/dom0scope)
    DOM0SCOPE_HELPERS=${DOM0SCOPE_HELPERS:-/usr/share/dom0scope/early.sh}
}

# Included whenever the binary, its helpers and a plan are installed; else only on request,
# and then it says what is missing.
check() {
    dom0scope_conf
    [[ -x $DOM0SCOPE_BIN && -r $DOM0SCOPE_HELPERS && -r $PLAN ]] && return 0
    return 255
}

depends() {
    return 0
}

installkernel() {
    hostonly='' instmods xen-privcmd xenfs
}

install() {
    dom0scope_conf
    if [[ ! -x $DOM0SCOPE_BIN || ! -r $DOM0SCOPE_HELPERS ]]; then
        dwarn "dom0scope: $DOM0SCOPE_BIN or $DOM0SCOPE_HELPERS is missing: the initramfs will not enforce a plan"
        return 0
    fi
    inst_binary "$DOM0SCOPE_BIN" /usr/sbin/dom0scope
    inst_simple "$DOM0SCOPE_HELPERS" /usr/lib/dom0scope/early.sh
    [[ -r $DOM0SCOPE_CONF ]] && inst_simple "$DOM0SCOPE_CONF" /etc/dom0scope/initramfs.conf
    inst_multiple -o modprobe mount umount grep tr cat sleep sync poweroff
    # shellcheck disable=SC2154 # moddir: set by dracut for the module being installed
    inst_hook pre-udev 10 "$moddir/dom0scope-enforce.sh"
    if [[ ! -r $PLAN ]]; then
        dwarn "dom0scope: no plan at $PLAN (write one with 'dom0scope harden SNAPSHOT -o $PLAN'): the initramfs will not enforce a plan"
        return 0
    fi
    # Refused at boot anyway; say so now, while someone is watching (no hypercall).
    local _err
    if ! _err=$("$DOM0SCOPE_BIN" enforce --dry-run "$PLAN" 2>&1 >/dev/null); then
        dwarn "dom0scope: 'dom0scope enforce --dry-run $PLAN' refuses the plan on this host; enforce will refuse it at boot too: $_err"
    fi
    inst_simple "$PLAN" /etc/dom0scope/plan.json
}
