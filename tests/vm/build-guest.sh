#!/usr/bin/env bash
# build-guest.sh - prepare the cached pieces of the tsend test guest.
#
# Installs the host packages the guest needs (only those missing), fetches
# the Debian bookworm kernel package behind `linux-image-amd64` with
# `apt-get download`, and extracts vmlinuz plus the modules the guest loads
# (uio, uio_pci_generic, e1000e and their dependencies) into
# <repo>/build/vm/guest/.  Downloads nothing else.  Idempotent: a complete
# cache is reused as is.
#
# Usage: build-guest.sh [--refresh] [--quiet]
#   --refresh  re-resolve linux-image-amd64 and rebuild the cache if the
#              candidate kernel differs from the cached one
#   --quiet    only print errors
#
# Environment:
#   TSEND_VM_KERNEL_PKG  use this linux-image-6.1.0-*-amd64 package instead
#                        of the one linux-image-amd64 depends on
set -euo pipefail

prog=build-guest
die() { echo "$prog: error: $*" >&2; exit 1; }
quiet=0
say() { [[ $quiet == 1 ]] || echo "$prog: $*"; }

refresh=0
while (($#)); do
    case $1 in
        --refresh) refresh=1 ;;
        --quiet) quiet=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
    shift
done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
cache=$repo_root/build/vm
guest=$cache/guest
# Top-level modules, in the order the guest loads them.  Dependencies are
# resolved with modinfo and placed before their users.
top_modules=(uio uio_pci_generic e1000e)

# ---------------------------------------------------------------- packages
apt_updated=0
apt_update_once() {
    if [[ $apt_updated == 0 ]]; then
        say "running apt-get update"
        apt-get update -qq || die "apt-get update failed"
        apt_updated=1
    fi
}

pkg_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        say "host packages present: $*"
        return 0
    fi
    [[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root; install them with apt-get"
    say "installing missing host packages: ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
        apt_update_once
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            || die "apt-get install ${missing[*]} failed"
    fi
}

# qemu-system-x86: the emulator; busybox-static: guest userland;
# cpio: initramfs.  (xz-utils/zstd are installed later only if the kernel
# package ships compressed modules; Debian 6.1 ships them uncompressed.)
ensure_packages qemu-system-x86 busybox-static cpio

# Serialise concurrent builds (e.g. parallel run-guest.sh on a cold cache).
mkdir -p "$cache" || die "cannot create $cache"
exec 9>"$cache/.build.lock"
flock 9 || die "cannot lock $cache/.build.lock"

# ---------------------------------------------------------------- cache hit?
stamp=$guest/kernel.env
if [[ -f $stamp && $refresh == 0 ]]; then
    # shellcheck source=/dev/null
    . "$stamp"
    ok=1
    [[ -f $guest/vmlinuz && -f $guest/modules.order ]] || ok=0
    if [[ $ok == 1 ]]; then
        while read -r m; do
            [[ -f $guest/modules/$m.ko ]] || ok=0
        done <"$guest/modules.order"
    fi
    if [[ $ok == 1 ]]; then
        say "cache ok: $guest"
        say "kernel: ${KERNEL_PKG:?} ${KERNEL_VERSION:?} (release ${KERNEL_RELEASE:?})"
        say "modules: $(tr '\n' ' ' <"$guest/modules.order")"
        exit 0
    fi
    say "cache at $guest is incomplete; rebuilding"
fi

# ---------------------------------------------------------------- resolve
resolve_kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
candidate_version() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n1
}

kpkg=${TSEND_VM_KERNEL_PKG:-}
if [[ -z $kpkg ]]; then
    kpkg=$(resolve_kernel_pkg)
    if [[ -z $kpkg ]]; then
        apt_update_once
        kpkg=$(resolve_kernel_pkg)
    fi
    [[ -n $kpkg ]] || die "cannot resolve the package behind linux-image-amd64 (apt-cache depends linux-image-amd64)"
fi
[[ $kpkg =~ ^linux-image-6\.1\.0-[0-9]+-amd64$ ]] \
    || die "resolved kernel package '$kpkg' is not linux-image-6.1.0-*-amd64 (is this bookworm?)"
kver=$(candidate_version "$kpkg")
if [[ -z $kver || $kver == "(none)" ]]; then
    apt_update_once
    kver=$(candidate_version "$kpkg")
fi
[[ -n $kver && $kver != "(none)" ]] || die "no candidate version for $kpkg (apt-cache policy $kpkg)"
say "kernel package: $kpkg version $kver"

if [[ -f $stamp ]]; then
    # shellcheck source=/dev/null
    (. "$stamp"; [[ ${KERNEL_PKG:-} == "$kpkg" && ${KERNEL_VERSION:-} == "$kver" ]]) \
        && [[ -f $guest/vmlinuz ]] && { say "cache already holds $kpkg $kver"; exit 0; }
fi

# ---------------------------------------------------------------- download
dl=$cache/download
mkdir -p "$dl"
deb=$dl/${kpkg}_${kver//:/%3a}_amd64.deb
if [[ -s $deb ]] && dpkg-deb --info "$deb" >/dev/null 2>&1; then
    say "using cached $deb"
else
    rm -f "$dl"/linux-image-*.deb
    say "apt-get download $kpkg=$kver"
    # apt drops privileges to _apt for downloads; let it write here.
    if id _apt >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then chown _apt "$dl"; fi
    (cd "$dl" && apt-get download -q "$kpkg=$kver") || {
        apt_update_once
        (cd "$dl" && apt-get download -q "$kpkg=$kver")
    } || die "apt-get download $kpkg=$kver failed"
    deb=$(find "$dl" -maxdepth 1 -name "${kpkg}_*_amd64.deb" | head -n1)
    [[ -n $deb && -s $deb ]] || die "apt-get download produced no .deb for $kpkg in $dl"
    say "downloaded $(basename "$deb") ($(du -h "$deb" | cut -f1))"
fi

# ---------------------------------------------------------------- extract
work=$(mktemp -d "$cache/extract.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "dpkg -x $(basename "$deb")"
dpkg -x "$deb" "$work/root" || die "dpkg -x $deb failed"

vmlinuz=$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[[ -n $vmlinuz ]] || die "no boot/vmlinuz-* in $deb"
krel=${vmlinuz##*/vmlinuz-}
moddir=$work/root/lib/modules/$krel
[[ -d $moddir ]] || die "no lib/modules/$krel in $deb"

# find_module NAME -> path of NAME.ko[.xz|.zst|.gz] (treating - and _ alike)
find_module() {
    local n=$1 alt
    alt=${n//_/-}
    find "$moddir" \( -name "$n.ko" -o -name "$n.ko.xz" -o -name "$n.ko.zst" -o -name "$n.ko.gz" \
        -o -name "$alt.ko" -o -name "$alt.ko.xz" -o -name "$alt.ko.zst" -o -name "$alt.ko.gz" \) \
        -print -quit
}

# module_depends FILE.ko -> comma-separated dependency list.  Uses kmod's
# modinfo when the host has it, else reads the NUL-separated .modinfo strings.
module_depends() {
    if command -v modinfo >/dev/null 2>&1; then
        modinfo -F depends "$1"
    else
        { tr '\0' '\n' <"$1" | grep -a -m1 '^depends=' || true; } | sed 's/^depends=//'
    fi
}

stage=$work/guest
mkdir -p "$stage/modules"
order=()
declare -A seen=()
# add_module NAME: depth-first, dependencies first.
add_module() {
    local n=${1//-/_} src deps d
    [[ -n ${seen[$n]:-} ]] && return 0
    seen[$n]=1
    src=$(find_module "$n")
    [[ -n $src ]] || die "module $n not found under lib/modules/$krel"
    case $src in
        *.ko.xz) command -v xz >/dev/null || ensure_packages xz-utils
                 xz -dc "$src" >"$stage/modules/$n.ko" ;;
        *.ko.zst) command -v zstd >/dev/null || ensure_packages zstd
                  zstd -qdc "$src" >"$stage/modules/$n.ko" ;;
        *.ko.gz) gzip -dc "$src" >"$stage/modules/$n.ko" ;;
        *) cp "$src" "$stage/modules/$n.ko" ;;
    esac
    deps=$(module_depends "$stage/modules/$n.ko") || die "cannot read the dependencies of $n.ko"
    for d in ${deps//,/ }; do
        add_module "$d"
    done
    order+=("$n")
    say "module $n <- ${src#"$moddir"/}${deps:+ (depends: $deps)}"
}
for m in "${top_modules[@]}"; do add_module "$m"; done

cp "$vmlinuz" "$stage/vmlinuz"
[[ -f $work/root/boot/config-$krel ]] && cp "$work/root/boot/config-$krel" "$stage/config"
printf '%s\n' "${order[@]}" >"$stage/modules.order"
{
    printf 'KERNEL_PKG=%q\n' "$kpkg"
    printf 'KERNEL_VERSION=%q\n' "$kver"
    printf 'KERNEL_RELEASE=%q\n' "$krel"
} >"$stage/kernel.env"

rm -rf "$guest.old"
[[ -e $guest ]] && mv "$guest" "$guest.old"
mv "$stage" "$guest"
rm -rf "$guest.old"
say "cache ready: $guest"
say "kernel: $kpkg $kver (release $krel), vmlinuz $(du -h "$guest/vmlinuz" | cut -f1)"
say "module load order: ${order[*]}"
