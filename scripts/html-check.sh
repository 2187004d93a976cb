#!/usr/bin/env bash
# The HTML report in a real browser: renders the bundled example with
# `dom0scope audit --format html`, loads it in headless Chromium (Debian's `chromium`), and
# checks the DOM Chromium built: both pictures exist, the trampoline is its own segment
# linked to DOM0_LOWMEM_TRAMPOLINE, every finding id of `audit --format json` has its
# section, and no request left the file (Chromium's net log holds no request the document
# initiated; the document links nowhere outside itself). It also takes a screenshot.
#
# Before trusting a pass it proves the check can fail: the same checks must reject the
# report with the memory picture removed, with a finding's section removed, and with an
# external image added and the CSP removed (which the net log must show).
#
#   scripts/html-check.sh                      # the check (scripts/test-all.sh runs it)
#   scripts/html-check.sh --screenshot FILE    # also save the screenshot (docs/report-example.png)
#
# Needs chromium and jq (.ci/run installs them; as root this script installs them if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

shot_out=
if [ "${1:-}" = --screenshot ]; then
    shot_out=${2:?--screenshot needs a FILE}
fi

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
    else
        echo "html-check: needs ${need[*]} (apt-get install ${need[*]})" >&2
        exit 1
    fi
fi

cargo build -q -p dom0scope
bin=target/debug/dom0scope
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Exit 1 (FAIL) and 3 (INCOMPLETE) are answers about the example, not errors.
audit() {
    local rc=0
    "$bin" audit "$@" 2>/dev/null || rc=$?
    if [ "$rc" = 2 ]; then
        echo "html-check: dom0scope audit $* failed" >&2
        exit 1
    fi
}
audit --format html -o "$work/report.html"
audit -o "$work/audit.json"
mapfile -t findings < <(jq -r '.verdict.findings[].id' "$work/audit.json")
if [ ${#findings[@]} = 0 ]; then
    echo "html-check: the bundled example has no findings; the check would prove nothing" >&2
    exit 1
fi

chrome() {
    # A fresh profile each time; every host name resolves to nothing, so even a request the
    # CSP let through could not reach a network.
    chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$work/profile" \
        "$@" 2>>"$work/chromium.log"
}

# check FILE: 0 when the rendered DOM of FILE passes, else 1 with the reasons on stderr.
check() {
    local file=$1 dom="$work/dom.html" netlog="$work/netlog.json" bad=0
    rm -rf "$work/profile" "$netlog"
    if ! chrome --log-net-log="$netlog" --dump-dom "file://$file" >"$dom"; then
        echo "  chromium failed on $file (see its log below)" >&2
        tail -5 "$work/chromium.log" >&2
        return 1
    fi
    grep -q '<svg id="memory-picture"' "$dom" || { echo "  no memory picture in the DOM" >&2; bad=1; }
    grep -q '<svg id="ports-picture"' "$dom" || { echo "  no port picture in the DOM" >&2; bad=1; }
    grep -Eq '<rect [^>]*data-owner="xen_trampoline"[^>]*data-finding="DOM0_LOWMEM_TRAMPOLINE"' "$dom" \
        || { echo "  no trampoline segment linked to DOM0_LOWMEM_TRAMPOLINE" >&2; bad=1; }
    for id in "${findings[@]}"; do
        grep -q "id=\"finding-$id\"" "$dom" || { echo "  finding $id missing" >&2; bad=1; }
    done
    # Links and sources stay inside the document.
    if grep -Eo '(href|src)="[^#"][^"]*"|url\([^#)]' "$file" | head -3 | grep . >&2; then
        echo "  the document refers outside itself (above)" >&2
        bad=1
    fi
    # The net log records every request: the browser's own (update checks and the like,
    # "initiator":"not an origin") and the document's, whose initiator is the file's origin.
    if [ ! -s "$netlog" ]; then
        echo "  chromium wrote no net log" >&2
        bad=1
    else
        local n
        n=$(grep -o '"initiator":"[^"]*"' "$netlog" | grep -vc '"not an origin"' || true)
        if [ "$n" != 0 ]; then
            echo "  $n request(s) initiated by the document; URLs in the net log:" >&2
            grep -o '"url":"[^"]*"' "$netlog" | sort -u | head -8 >&2
            bad=1
        fi
    fi
    return "$bad"
}

echo "html-check: the bundled example's report ($(wc -c <"$work/report.html") bytes, ${#findings[@]} findings)"
if ! check "$work/report.html"; then
    echo "html-check: FAIL" >&2
    exit 1
fi

# The check must fail on broken documents, or its pass means nothing.
sed 's/<svg id="memory-picture"/<svg id="gone"/' "$work/report.html" >"$work/no-picture.html"
sed "s/id=\"finding-${findings[0]}\"/id=\"gone\"/" "$work/report.html" >"$work/no-finding.html"
# Without the CSP, so the browser really requests it and the net log must show it.
sed -e 's|<body>|<body><img src="http://example.invalid/x.png">|' \
    -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' "$work/report.html" >"$work/fetch.html"
for broken in no-picture no-finding fetch; do
    if check "$work/$broken.html" 2>"$work/$broken.why"; then
        echo "html-check: FAIL: the check passed a broken report ($broken)" >&2
        exit 1
    fi
    echo "html-check: rejects a broken report ($broken): $(head -1 "$work/$broken.why" | sed 's/^ *//')"
done
if ! grep -q 'initiated by the document' "$work/fetch.why"; then
    echo "html-check: FAIL: the net log did not show the external image's request" >&2
    exit 1
fi

# The fleet page of the committed snapshots: a row linking to a section for every host that
# the JSON Lines of the same fleet hold, in Chromium's DOM.
audit testdata/snapshots/* --format html -o "$work/fleet.html"
audit testdata/snapshots/* --format json -o "$work/fleet.jsonl"
hosts=$(grep -c '"schema":"dom0scope-audit/1"' "$work/fleet.jsonl" || true)
rm -rf "$work/profile"
chrome --dump-dom "file://$work/fleet.html" >"$work/fleet-dom.html"
rows=$(grep -o '<a href="#host-[0-9]*">' "$work/fleet-dom.html" | sort -u | wc -l)
sections=$(grep -o '<section class="host-section" id="host-[0-9]*">' "$work/fleet-dom.html" | wc -l)
if [ "$hosts" -lt 2 ] || [ "$rows" != "$hosts" ] || [ "$sections" != "$hosts" ]; then
    echo "html-check: FAIL: fleet page: $hosts hosts audited, $rows rows, $sections sections" >&2
    exit 1
fi
if grep -Eo '(href|src)="[^#"][^"]*"|url\([^#)]' "$work/fleet.html" | head -3 | grep . >&2; then
    echo "html-check: FAIL: the fleet page refers outside itself (above)" >&2
    exit 1
fi
echo "html-check: the fleet page of testdata/snapshots: $hosts hosts, a row and a section each ($(wc -c <"$work/fleet.html") bytes)"

rm -rf "$work/profile"
chrome --hide-scrollbars --window-size=1280,1200 --screenshot="$work/shot.png" "file://$work/report.html" >/dev/null
if [ "$(head -c 8 "$work/shot.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
    echo "html-check: FAIL: no PNG screenshot" >&2
    exit 1
fi
if [ -n "$shot_out" ]; then
    cp "$work/shot.png" "$shot_out"
    echo "html-check: screenshot saved to $shot_out"
fi
echo "html-check: PASS (rendered in $(chromium --version 2>/dev/null | head -1))"
