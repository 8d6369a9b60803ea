# shellcheck shell=bash
# Lab plumbing for capture-fixtures.sh: processes we start, namespaces, veth links, tcpdump.
# Sourced, not run. Every process and namespace made here is recorded so teardown() can undo it.

PIDS=() CAPTURE_PIDS=() NAMESPACES=() FRR_RUNDIRS=() SLEEP_PID=""

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

stop_pid() { # stop one process we started, politely then firmly, and reap it if it is our child
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Stop every process we started, delete our namespaces and FRR run dirs. Routers go first; the
# tcpdumps a second later and all at once, so side-by-side captures end with the same packet.
teardown() {
	local i ns pid
	if [[ -n $SLEEP_PID ]]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
	if ((${#CAPTURE_PIDS[@]} > 0)); then
		sleep 1
		kill -TERM "${CAPTURE_PIDS[@]}" 2>/dev/null || true
		for pid in "${CAPTURE_PIDS[@]}"; do stop_pid "$pid"; done
	fi
	for ns in "${NAMESPACES[@]}"; do # whatever still runs inside one of our namespaces is ours
		for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid"; done
		ip netns del "$ns" 2>/dev/null || true
	done
	for i in "${FRR_RUNDIRS[@]}"; do rm -rf "$i"; done
	PIDS=() CAPTURE_PIDS=() NAMESPACES=() FRR_RUNDIRS=() SLEEP_PID=""
	return 0
}

pause() { # sleep that a TERM/INT trap can interrupt at once
	sleep "$1" &
	SLEEP_PID=$!
	wait "$SLEEP_PID"
	SLEEP_PID=""
}

# Start a background process in a namespace; `ip netns exec` execs, so $! is the process itself.
spawn() { # spawn NS LOGFILE CMD... ; sets SPAWNED
	local ns=$1 logf=$2
	shift 2
	ip netns exec "$ns" "$@" >"$logf" 2>&1 &
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

wait_for() { # wait_for SECONDS DESCRIPTION CMD...: poll CMD every WAIT_INTERVAL (0.1) s until it succeeds
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || die "timed out waiting for $what"
		sleep "${WAIT_INTERVAL:-0.1}"
	done
}

new_ns() {
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

# veth hands CHECKSUM_PARTIAL packets to its peer, so a capture would show wrong UDP checksums.
# With tx checksumming off the kernel fills them in, as a real NIC would. This is
# `ethtool -K IF tx off`, done with the SIOCETHTOOL/ETHTOOL_STXCSUM ioctl when ethtool is absent.
tx_checksum_off() { # tx_checksum_off NS IF
	if command -v ethtool >/dev/null; then
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
		return
	fi
	ip netns exec "$1" perl -MSocket -e '
		socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
		my $ev = pack("LL", 0x17, 0);                      # struct ethtool_value {STXCSUM, off}
		my $ifr = pack("Z16 P8 x16", $ARGV[0], $ev);       # struct ifreq {name, ifr_data}
		ioctl($s, 0x8946, $ifr) or die "SIOCETHTOOL $ARGV[0]: $!\n";
	' "$2"
}

setup_iface() { # setup_iface NS IF [V4ADDR/LEN]: no DAD (link-local usable at once), tx csum, up
	local ns=$1 ifname=$2 addr=${3:-}
	ip netns exec "$ns" sh -c "echo 0 > /proc/sys/net/ipv6/conf/$ifname/accept_dad"
	tx_checksum_off "$ns" "$ifname"
	[[ -n $addr ]] && ip -n "$ns" addr add "$addr" dev "$ifname"
	ip -n "$ns" link set "$ifname" up
}

link_local_of() { # link_local_of NS IF
	ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ { sub(/\/.*/, "", $2); print $2; exit }'
}

CAPTURE_FILTER='udp port 520 or udp port 521'
# Immediate mode and -U: each packet reaches the file at once, for the progress checks and so
# that nothing is left in the capture buffer when tcpdump is stopped.
start_tcpdump() { # start_tcpdump NS IF FILE [LINKTYPE]: returns once tcpdump is listening
	local ns=$1 ifname=$2 file=$3 lt=${4:-}
	local args=(-i "$ifname" -w "$file" -U --immediate-mode -n -Z root)
	[[ -n $lt ]] && args+=(-y "$lt")
	ip netns exec "$ns" tcpdump "${args[@]}" "$CAPTURE_FILTER" >"$file.log" 2>&1 &
	CAPTURE_PIDS+=("$!")
	wait_for 10 "tcpdump on $ns/$ifname" grep -q 'listening on' "$file.log"
}
