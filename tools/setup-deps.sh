#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages Understudy needs and fetch the guests' ones (arm64, and amd64's
# kernel) into the build tree.
# Usage: tools/setup-deps.sh BUILD_DIR
set -eu
build=${1:-build}
mkdir -p "$build/deps"

sudo_cmd=""
if [ "$(id -u)" != 0 ]; then
    sudo_cmd=sudo
fi

# Host packages: compilers, emulators (aarch64, and x86_64 for the port), device-tree and FIT
# tooling, U-Boot for QEMU, and clang with libFuzzer's runtime (libclang-rt-dev) for the fuzz
# targets (tests/fuzz), gcovr for the kernel's coverage report (tools/coverage.sh), and GRUB for
# SeaBIOS with xorriso for the x86_64 image's vendor boot (tools/mkgrubiso.py).
pkgs="cmake make gcc python3 qemu-system-arm qemu-system-x86 gcc-aarch64-linux-gnu \
binutils-aarch64-linux-gnu libfdt-dev device-tree-compiler u-boot-tools u-boot-qemu dpkg-dev clang-format clang \
libclang-rt-dev gcovr grub-pc-bin grub-common xorriso"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "setup-deps: enabling the arm64 architecture for apt (for libfdt-dev:arm64 and guests)"
    $sudo_cmd dpkg --add-architecture arm64
    need_update=1
fi
if [ -n "$missing" ]; then
    need_update=1
fi
if [ "$need_update" = 1 ]; then
    $sudo_cmd apt-get update -qq
fi
if [ -n "$missing" ]; then
    echo "setup-deps: installing$missing"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

# arm64 packages are unpacked into the build tree rather than installed: libfdt-dev and
# libfdt-dev:arm64 cannot be co-installed (they conflict in Debian 12). The guests' amd64
# packages are unpacked the same way.
fetch_arm64() { # fetch_arm64 DIR PACKAGE...
    dir=$1
    shift
    if [ -f "$dir/.done" ]; then
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir/debs"
    (cd "$dir/debs" && apt-get download -o APT::Sandbox::User=root "$@") || {
        $sudo_cmd apt-get update -qq
        (cd "$dir/debs" && apt-get download -o APT::Sandbox::User=root "$@")
    }
    for deb in "$dir"/debs/*.deb; do
        dpkg-deb -x "$deb" "$dir"
    done
    touch "$dir/.done"
}
fetch_arm64 "$build/deps/fdt-arm64" libfdt-dev:arm64

# kernel_pkg ARCH: the kernel package Debian's linux-image-ARCH metapackage names now (the
# package lists refreshed once if they do not know it).
kernel_pkg() {
    pkg=$(apt-cache depends "linux-image-$1:$1" 2>/dev/null |
          sed -n "s/^ *Depends: \(linux-image-[0-9].*-$1\).*/\1/p" | head -n 1)
    if [ -z "$pkg" ]; then
        $sudo_cmd apt-get update -qq >&2
        pkg=$(apt-cache depends "linux-image-$1:$1" |
              sed -n "s/^ *Depends: \(linux-image-[0-9].*-$1\).*/\1/p" | head -n 1)
    fi
    echo "$pkg"
}

# Debian's own arm64 Linux kernel, as a raw Image: the U-Boot test boots it from a FIT laid
# out like ours, and real Linux guests use it. The metapackage names the current ABI package.
linux_dir="$build/deps/linux-arm64"
if [ ! -f "$linux_dir/Image" ]; then
    pkg=$(kernel_pkg arm64)
    echo "setup-deps: fetching Debian's arm64 kernel ($pkg)"
    fetch_arm64 "$linux_dir" "$pkg:arm64"
    # /boot/vmlinuz-* is a raw Image in Debian 12; older releases gzip it.
    vmlinuz=$(ls "$linux_dir"/boot/vmlinuz-* | head -n 1)
    if gzip -t "$vmlinuz" 2>/dev/null; then
        gzip -dc "$vmlinuz" > "$linux_dir/Image.tmp"
    else
        cp "$vmlinuz" "$linux_dir/Image.tmp"
    fi
    mv "$linux_dir/Image.tmp" "$linux_dir/Image"
fi

# The same kernel's headers and Debian's (host) kbuild tools, to cross-build the project's
# own guest kernel module (guests/linux/ushostile) against it, as Debian builds modules.
headers_dir="$build/deps/linux-headers"
if [ ! -f "$headers_dir/.done" ]; then
    image_deb=$(ls "$linux_dir"/debs/linux-image-*.deb | head -n 1)
    abi=$(dpkg-deb -f "$image_deb" Package | sed 's/^linux-image-\(.*\)-arm64$/\1/')
    version=$(dpkg-deb -f "$image_deb" Version)
    kbuild=linux-kbuild-$(echo "$abi" | cut -d. -f1,2)
    echo "setup-deps: fetching the headers of Debian's arm64 kernel $abi ($version)"
    if ! apt-cache show "linux-headers-$abi-arm64:arm64=$version" >/dev/null 2>&1; then
        $sudo_cmd apt-get update -qq
        apt-cache show "linux-headers-$abi-arm64:arm64=$version" >/dev/null 2>&1 || {
            echo "setup-deps: the archive no longer has headers for $abi $version;" \
                 "remove $linux_dir to fetch the current kernel with its headers" >&2
            exit 1
        }
    fi
    fetch_arm64 "$headers_dir" "linux-headers-$abi-arm64:arm64=$version" \
        "linux-headers-$abi-common=$version" "$kbuild=$version"
    # The arm64 tree's Makefile includes the common tree by its installed path.
    sed -i "s|/usr/src/|$(cd "$headers_dir" && pwd)/usr/src/|" \
        "$headers_dir/usr/src/linux-headers-$abi-arm64/Makefile"
    ln -sfn "usr/src/linux-headers-$abi-arm64" "$headers_dir/kernel"
fi

# Debian's own amd64 Linux kernel, a bzImage: the x86_64 port's Linux guest (docs/x86_64.md),
# loaded by the vmm through Linux's boot protocol (vmm_image_pc.c).
linux_x86_dir="$build/deps/linux-amd64"
if [ ! -f "$linux_x86_dir/bzImage" ] || [ ! -d "$linux_x86_dir/lib/modules" ]; then
    rm -f "$linux_x86_dir/.done" # a tree from before its modules were kept
    pkg=$(kernel_pkg amd64)
    echo "setup-deps: fetching Debian's amd64 kernel ($pkg)"
    fetch_arm64 "$linux_x86_dir" "$pkg:amd64"
    cp "$(ls "$linux_x86_dir"/boot/vmlinuz-* | head -n 1)" "$linux_x86_dir/bzImage.tmp"
    mv "$linux_x86_dir/bzImage.tmp" "$linux_x86_dir/bzImage"
    rm -rf "$linux_x86_dir/debs" # its modules stay: the guest's initramfs takes the virtio ones
fi

# Debian's static busybox for arm64: the shell and tools of the guests' initramfs; and for
# amd64, the x86_64 port's Linux guest's.
fetch_arm64 "$build/deps/busybox-arm64" busybox-static:arm64
fetch_arm64 "$build/deps/busybox-amd64" busybox-static:amd64

# Debian's criu (checkpoint/restore in userspace) for the guests' initramfs (docs/criu.md), with
# the shared libraries its binary loads, the glibc loader and libc included (busybox, kvd and
# the agent are static; criu is not). The list is criu's NEEDED closure in Debian 12;
# guests/linux/CMakeLists.txt checks it against the binary's NEEDED entries at configure time.
fetch_arm64 "$build/deps/criu-arm64" criu:arm64 libc6:arm64 libbsd0:arm64 libmd0:arm64 \
    libgnutls30:arm64 libgmp10:arm64 libhogweed6:arm64 libnettle8:arm64 libidn2-0:arm64 \
    libunistring2:arm64 libp11-kit0:arm64 libffi8:arm64 libtasn1-6:arm64 libnftables1:arm64 \
    libnftnl11:arm64 libmnl0:arm64 libjansson4:arm64 libxtables12:arm64 libprotobuf-c1:arm64 \
    libnl-3-200:arm64 libnet1:arm64
