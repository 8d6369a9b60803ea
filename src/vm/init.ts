/**
 * What runs inside the guest: /init (PID 1, busybox sh) and the udhcpc event script, plus the kernel
 * command line that tells /init its hostname and addressing. The guest talks to the host only through
 * its serial console, in lines the host parses (console.ts):
 *   RIPLET-GUEST <event> <json>      booted, lease (also on renew), slaac, ready, error
 *   RIPLET-EXEC <id> begin|end <rc>  framing of a command's output, which is base64 in between
 * and reads commands as `RIPLET-RUN <id> <base64 of a sh script>` lines.
 */

/** Modules for virtio-net, in load order (each needs the ones before it; busybox insmod has no deps). */
export const VIRTIO_NET_MODULES = [
  "virtio_ring",
  "virtio",
  "virtio_pci_modern_dev",
  "virtio_pci_legacy_dev",
  "virtio_pci",
  "failover",
  "net_failover",
  "virtio_net",
] as const;

/** Called by udhcpc on every state change; prints a lease event on bound and on renew. */
export const UDHCPC_SCRIPT = `#!/bin/sh
# $1 = deconfig | bound | renew | leasefail | nak; the lease comes in $ip $mask $router $lease
event() { printf 'RIPLET-GUEST %s %s\\n' "$1" "$2" >/dev/console; }
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	;;
bound | renew)
	set -- $router
	gw=$1
	# a renew with the same address keeps it (and the guest's connections)
	old=$(ip -4 -o addr show dev "$interface" | awk '{print $4}')
	if [ "$old" != "$ip/$mask" ]; then
		ip -4 addr flush dev "$interface"
		ip addr add "$ip/$mask" dev "$interface"
	fi
	[ -n "$gw" ] && ip route replace default via "$gw" dev "$interface"
	event lease "{\\"cidr\\":\\"$ip/$mask\\",\\"router\\":\\"$gw\\",\\"leaseSeconds\\":\\"$lease\\",\\"source\\":\\"dhcp\\"}"
	;;
leasefail | nak)
	event error "{\\"what\\":\\"dhcp $1\\"}"
	;;
esac
exit 0
`;

/** PID 1. Background jobs never read the console: it carries the host's commands. */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
exec </dev/console >/dev/console 2>&1
dmesg -n 1
stty -echo -onlcr 2>/dev/null

event() { printf 'RIPLET-GUEST %s %s\\n' "$1" "$2"; }
arg() {
	for w in $(cat /proc/cmdline); do
		case "$w" in "$1="*) echo "\${w#*=}"; return ;; esac
	done
	echo "$2"
}
NAME=$(arg riplet.hostname riplet-guest)
IPCONF=$(arg riplet.ip dhcp)
hostname "$NAME"

for m in $(cat /mods/order); do insmod "/mods/$m.ko" || event error "{\\"what\\":\\"insmod $m\\"}"; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
echo 1 >/proc/sys/net/ipv6/conf/eth0/accept_ra
echo 1 >/proc/sys/net/ipv6/conf/eth0/autoconf
ip link set lo up
ip link set eth0 up
event booted "{\\"hostname\\":\\"$NAME\\",\\"uptime\\":\\"$(cut -d' ' -f1 /proc/uptime)\\"}"

mkdir -p /www
echo "riplet-guest $NAME" >/www/index.html
httpd -p 80 -h /www </dev/null

if [ "$IPCONF" = dhcp ]; then
	udhcpc -f -i eth0 -s /etc/udhcpc.script -x "hostname:$NAME" -t 5 -T 2 -A 3 </dev/null >/dev/null 2>&1 &
else
	cidr=\${IPCONF%%,*}
	gw=\${IPCONF#*,}
	ip addr add "$cidr" dev eth0
	ip route replace default via "$gw" dev eth0
	event lease "{\\"cidr\\":\\"$cidr\\",\\"router\\":\\"$gw\\",\\"source\\":\\"static\\"}"
fi

# SLAAC happens in the kernel; report the first global address once DAD is done (or give up after 20 s)
(
	i=0
	while [ $i -lt 200 ]; do
		a=$(ip -6 -o addr show dev eth0 scope global | grep -v tentative | awk '{print $4}' | head -n 1)
		if [ -n "$a" ]; then event slaac "{\\"address\\":\\"$a\\"}"; exit 0; fi
		usleep 100000
		i=$((i + 1))
	done
	event error '{"what":"no SLAAC address after 20 s"}'
) </dev/null &

event ready "{\\"hostname\\":\\"$NAME\\"}"
while IFS= read -r line; do
	set -- $line
	[ "$1" = RIPLET-RUN ] && [ $# -eq 3 ] || continue
	echo "$3" | base64 -d >/tmp/cmd
	sh /tmp/cmd </dev/null >/tmp/out 2>&1
	rc=$?
	echo "RIPLET-EXEC $2 begin"
	base64 /tmp/out
	echo "RIPLET-EXEC $2 end $rc"
done
poweroff -f
`;

export type GuestAddressing = "dhcp" | { cidr: string; gateway: string };

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4_CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

/** The kernel command line for the guest; throws on a hostname or address /init could not use. */
export function kernelCommandLine(hostname: string, addressing: GuestAddressing): string {
  if (!HOSTNAME.test(hostname))
    throw new Error(`guest hostname ${JSON.stringify(hostname)} is not a DNS label (letters, digits, -)`);
  let ip = "dhcp";
  if (addressing !== "dhcp") {
    if (!IPV4_CIDR.test(addressing.cidr) || !IPV4.test(addressing.gateway))
      throw new Error(
        `guest address ${addressing.cidr} via ${addressing.gateway} is not IPv4 CIDR + gateway, e.g. 198.51.100.5/24 via 198.51.100.1`,
      );
    ip = `${addressing.cidr},${addressing.gateway}`;
  }
  // quiet: the console carries the guest's event lines, not the kernel's boot log
  return `console=ttyS0 quiet panic=-1 riplet.hostname=${hostname} riplet.ip=${ip}`;
}
