#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package the build and the tests need, on a fresh
# Debian 12 machine.  Idempotent: packages already present are left alone.
set -euo pipefail

pkgs=(
	build-essential pkg-config kmod cpio xz-utils zstd
	libmnl-dev libjson-c-dev check clang libclang-rt-14-dev xxd
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	qemu-system-x86 busybox-static
	iproute2 nftables conntrack iputils-ping tcpdump procps jq
	python3 python3-scapy
	sparse
	libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libxml2-dev
	libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libsystemd-dev
	etcd-server etcd-client openssl valgrind systemd
	gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
