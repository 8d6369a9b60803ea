#!/usr/bin/env bash
# Installs the interop peers from Debian packages (npm run setup:interop), idempotently, and makes sure
# the system FRR and BIRD services are not running: the suite starts its own daemons inside network
# namespaces, and a system bird or ripd on the host would only confuse whoever reads `ip route`.
#
# Only the system instances are stopped: those started by systemd/init (their command line has no
# FRR pathspace "-N" and no BIRD "-s SOCKET" of a lab) and running in the host's network namespace.
# Daemons of labs (this suite's, interop/capture-fixtures.sh's, anybody's) are left alone.
set -euo pipefail

# dnsmasq-base: DHCPv4 + RA on the taps; linux-image-cloud-amd64 + busybox-static: the real guest (src/vm);
# libvirt: the libvirt test starts its own libvirtd; lintian: the Debian package's test checks the .deb
# (npm run package:deb builds it with dpkg-deb, which dpkg always has). Installing libvirt-daemon-system
# where systemd is not running (containers, CI images) works as is (checked with 9.0.0-4+deb12u2): its postinst starts
# services only through deb-systemd-invoke behind a /run/systemd/system test, each call `|| true`, and
# invoke-rc.d blocks by itself when there is no init system and no policy-rc.d.
PACKAGES=(
	frr bird2 tcpdump iproute2 qemu-system-x86
	dnsmasq-base linux-image-cloud-amd64 busybox-static
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon-system
	lintian
)

log() { printf 'setup:interop: %s\n' "$*"; }

as_root() {
	if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

install_packages() {
	local -a missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		log "already installed: ${PACKAGES[*]}"
		return
	fi
	log "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"
}

# true when PID runs in our own (the host's) network namespace, not in a lab's
HOST_NETNS=$(readlink /proc/self/ns/net)
in_host_netns() {
	[[ $(as_root readlink "/proc/$1/ns/net" 2>/dev/null) == "$HOST_NETNS" ]]
}

# System daemons: in the host namespace, and without the per-lab options (-N NAME / -s SOCKET).
system_daemon_pids() {
	local pid args
	while read -r pid args; do
		[[ -n $pid ]] || continue
		in_host_netns "$pid" || continue
		case " $args " in
		*" -N "* | *" --pathspace"* | *" -s "* | *" --socket"*) continue ;;
		esac
		echo "$pid"
	done < <(
		# one name at a time: pgrep matches nothing (and warns) for a pattern over 15 characters
		for name in zebra staticd ripd ripngd watchfrr mgmtd bgpd ospfd ospf6d isisd bird bird6; do
			pgrep -a -x "$name" || true
		done
	)
}

stop_system_services() {
	if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		as_root systemctl stop frr.service bird.service 2>/dev/null || true
	elif command -v service >/dev/null; then
		as_root service frr stop >/dev/null 2>&1 || true
		as_root service bird stop >/dev/null 2>&1 || true
	fi
	local pid i left
	for pid in $(system_daemon_pids); do
		log "stopping system daemon $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
		as_root kill -TERM "$pid" 2>/dev/null || true
	done
	for i in $(seq 1 50); do
		left=$(system_daemon_pids)
		[[ -z $left ]] && break
		sleep 0.1
	done
	for pid in $left; do as_root kill -KILL "$pid" 2>/dev/null || true; done
}

check() {
	local f ok=1
	for f in /usr/lib/frr/zebra /usr/lib/frr/staticd /usr/lib/frr/ripd /usr/lib/frr/ripngd; do
		[[ -x $f ]] || { log "missing $f"; ok=0; }
	done
	for f in vtysh bird birdc tcpdump ip qemu-system-x86_64 lintian dpkg-deb; do
		command -v "$f" >/dev/null || { log "missing $f"; ok=0; }
	done
	# sbin paths spelled out: a non-root PATH may not have /usr/sbin
	for f in /usr/sbin/dnsmasq /usr/bin/virsh /usr/sbin/libvirtd /bin/busybox; do
		[[ -x $f ]] || { log "missing $f"; ok=0; }
	done
	# the guest has no libc: busybox must be busybox-static's, not the dynamic busybox package's
	if [[ -x /bin/busybox ]] && ! dpkg-query -S /bin/busybox 2>/dev/null | grep -q '^busybox-static:'; then
		log "/bin/busybox is not from busybox-static; install it with: apt-get install -y busybox-static"
		ok=0
	fi
	local kernels=(/boot/vmlinuz-*-cloud-amd64)
	[[ -e ${kernels[0]} ]] || { log "missing /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)"; ok=0; }
	((ok == 1)) || exit 1
	log "ready: $(/usr/lib/frr/ripd --version 2>/dev/null | head -1), $(bird --version 2>&1 | head -1), guest kernel ${kernels[-1]##*/vmlinuz-}, $(/usr/sbin/libvirtd --version)"
}

install_packages
stop_system_services
check
