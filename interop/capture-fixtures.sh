#!/usr/bin/env bash
# Capture real RIPv1/RIPv2/RIPng traffic from FRRouting (ripd, ripngd) and BIRD 2 as test
# fixtures: test/fixtures/<peer>-<scenario>.pcap, described by test/fixtures/captures.json.
#
# Usage: sudo interop/capture-fixtures.sh [-j JOBS] [SCENARIO...]   (JOBS: parallel labs, default 8)
#        interop/capture-fixtures.sh --verify          check the pcaps in place, rewrite the manifest
#        interop/capture-fixtures.sh --list            scenario names
#        sudo interop/capture-fixtures.sh --clean      remove rcap-* namespaces left by a killed run
# Without SCENARIO every scenario is captured. The manifest is always rewritten in full: it is
# derived from this script's lab configuration, plus packet counts read from the pcaps.
# Environment: RCAP_OUT_DIR (default <repo>/test/fixtures), RCAP_KEEP_TMP=1 keeps configs and
# daemon logs, RCAP_TIMEOUT (default 40) caps the seconds spent waiting for announcements.
#
# A scenario: fresh namespaces rcap-<scenario>-peer (router) and rcap-<scenario>-tap (tcpdump)
# joined by a veth pair; tcpdump starts first, then the router; once every prefix has been
# announced MIN_UPDATES times (start-up + 2 periodic updates) the routes are withdrawn, and once
# every prefix has gone out with metric 16 everything is stopped and torn down (also on failure).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CAPTURE_LIB=$ROOT/interop/capture
OUT_DIR=${RCAP_OUT_DIR:-$ROOT/test/fixtures}
MANIFEST=$OUT_DIR/captures.json
TIMEOUT=${RCAP_TIMEOUT:-40}
MIN_UPDATES=3

# --- the lab: documentation/benchmark addresses only --------------------------------------------
PEER_IF=vpeer              # router side; BIRD symbols allow no "-" in "via ADDR%IFACE"
TAP_IF=vtap                # capture side
PEER_MAC=02:00:00:00:00:01 # fixed MACs give fixed EUI-64 link-local addresses
TAP_MAC=02:00:00:00:00:02
THIRD_MAC=02:00:00:00:00:03
PEER_V4=192.0.2.1
TAP_V4=192.0.2.2
THIRD_V4=192.0.2.3 # a silent third router used as next hop; BIRD's address in the exchanges
PEER_LL=fe80::ff:fe00:1
THIRD_LL=fe80::ff:fe00:3
UPDATE_SECONDS=5

TAG=4660 # 0x1234
METRIC=5
V4_TAGGED=198.18.7.0/24
V4_METRIC=198.18.8.0/24
V4_NEXTHOP=198.18.9.0/24 # via THIRD_V4
V6_TAGGED=2001:db8:0:7::/64
V6_METRIC=2001:db8:0:8::/64
V6_NEXTHOP=2001:db8:0:9::/64 # via THIRD_LL
BIRD_MD5_AUTH_LEN=20         # BIRD 2.0.12 fills Auth Data Len with 20 for keyed MD5 (checked)

# shellcheck source=capture/scenarios.sh
source "$CAPTURE_LIB/scenarios.sh"
# shellcheck source=capture/lab.sh
source "$CAPTURE_LIB/lab.sh"
# shellcheck source=capture/frr.sh
source "$CAPTURE_LIB/frr.sh"
# shellcheck source=capture/bird.sh
source "$CAPTURE_LIB/bird.sh"
# shellcheck source=capture/manifest.sh
source "$CAPTURE_LIB/manifest.sh"

# --- capture and check ----------------------------------------------------------------------------
records() { tcpdump -nn -vv -r "$1" 2>/dev/null | awk -f "$CAPTURE_LIB/rip-records.awk"; }

# check_args SCENARIO DIR: awk -v arguments for check.awk, prefix lists written into DIR
check_args() {
	local s=$1 dir=$2 src=$PEER_V4 tagged=$V4_TAGGED metric=$V4_METRIC nh="$V4_NEXTHOP|$THIRD_V4"
	local eauth=none speakers
	[[ $FAMILY == ipv6 ]] && src=$PEER_LL tagged=$V6_TAGGED metric=$V6_METRIC nh="$V6_NEXTHOP|$THIRD_LL"
	[[ $AUTH == simple ]] && eauth=simple
	[[ $AUTH == md5 || $AUTH == hmac-* ]] && eauth=crypto
	scenario_prefixes "$s" >"$dir/prefixes.txt"
	speakers="$src|$dir/prefixes.txt|$eauth|${KEY_ID:--}|$(digest_len "$AUTH")|${SECRET:--}"
	if [[ $s == *-exchange ]]; then
		scenario_prefixes "$s/bird" >"$dir/prefixes-bird.txt"
		local alen=-
		[[ $AUTH == md5 ]] && alen=$BIRD_MD5_AUTH_LEN
		speakers+=";$THIRD_V4|$dir/prefixes-bird.txt|$eauth|${KEY_ID:--}|$alen|${SECRET:--}"
	fi
	[[ $VERSION == 1 && $FAMILY == ipv4 ]] && tagged="" nh=""
	printf '%s\n' -v "speakers=$speakers" -v "version=$VERSION" -v "tagged=${tagged:+$tagged|$TAG}" \
		-v "metricp=$metric|$METRIC" -v "nexthopp=$nh" -v "min_updates=$MIN_UPDATES"
	# unicast Responses = answered Requests: both ways without auth, none with md5 (see notes)
	case $s in
	frr-bird-none-exchange) printf '%s\n' -v answers_min=2 ;;
	frr-bird-md5-exchange) printf '%s\n' -v answers_max=0 ;;
	esac
}

progress() { # progress FILE DIR: "A W" (see check.awk)
	local -a args
	mapfile -t args <"$2/check-args"
	records "$1" | awk "${args[@]}" -v progress=1 -f "$CAPTURE_LIB/check.awk"
}
announced_enough() { local a w; read -r a w < <(progress "$1" "$2"); ((a >= MIN_UPDATES)); }
all_withdrawn() { local a w; read -r a w < <(progress "$1" "$2"); ((w == 1)); }

verify_pcap() { # verify_pcap SCENARIO FILE: print a summary line, fail on any mismatch
	local s=$1 file=$2 dir
	local -a args
	scenario_vars "$s"
	dir=$(mktemp -d)
	mapfile -t args < <(check_args "$s" "$dir")
	if records "$file" | awk "${args[@]}" -f "$CAPTURE_LIB/check.awk" >"$dir/out"; then
		printf '%-28s %s\n' "$(basename "$file")" "$(cat "$dir/out")"
		rm -rf "$dir"
	else
		printf '%-28s FAILED\n%s\n' "$(basename "$file")" "$(cat "$dir/out")"
		rm -rf "$dir"
		return 1
	fi
}

# Run the router until every prefix was announced MIN_UPDATES times, withdraw, wait for metric 16.
run_until_withdrawn() { # run_until_withdrawn SCENARIO DIR PCAP WITHDRAW_CMD...
	local s=$1 dir=$2 pcap=$3
	shift 3
	check_args "$s" "$dir" >"$dir/check-args"
	WAIT_INTERVAL=0.5 wait_for "$TIMEOUT" "$s: $MIN_UPDATES announcements of every prefix" \
		announced_enough "$pcap" "$dir"
	"$@"
	log "$s: announced $MIN_UPDATES times, routes withdrawn"
	WAIT_INTERVAL=0.5 wait_for 20 "$s: every prefix withdrawn" all_withdrawn "$pcap" "$dir"
	pause 1
}

capture_single() { # one router (FRR or BIRD) and one capture namespace
	local s=$1 dir=$TMP/$1 peer_ns="rcap-$1-peer" tap_ns="rcap-$1-tap" f lt
	scenario_vars "$s"
	mkdir -p "$dir" && chmod 755 "$dir"
	new_ns "$peer_ns"
	new_ns "$tap_ns"
	ip link add "$PEER_IF" address "$PEER_MAC" netns "$peer_ns" type veth \
		peer name "$TAP_IF" address "$TAP_MAC" netns "$tap_ns"
	setup_iface "$peer_ns" "$PEER_IF" "$PEER_V4/24"
	setup_iface "$tap_ns" "$TAP_IF" "$TAP_V4/24"
	[[ $(link_local_of "$peer_ns" "$PEER_IF") == "$PEER_LL" ]] || die "$s: unexpected link-local address"

	start_tcpdump "$tap_ns" "$TAP_IF" "$dir/$s.pcap"
	for f in $EXTRA_FILES; do
		lt=LINUX_SLL
		[[ $f == *-sll2 ]] && lt=LINUX_SLL2
		start_tcpdump "$tap_ns" any "$dir/$f.pcap" "$lt"
	done
	log "$s: capturing, starting $PEER"
	if [[ $PEER == frr ]]; then
		start_frr "$peer_ns" "rcap-$s" "$dir" "$s"
		run_until_withdrawn "$s" "$dir" "$dir/$s.pcap" frr_withdraw
	else
		start_bird "$peer_ns" "$dir" "$s" "$PEER_V4"
		run_until_withdrawn "$s" "$dir" "$dir/$s.pcap" bird_withdraw "$dir"
	fi
	teardown
	for f in "$s" $EXTRA_FILES; do install -m 644 "$dir/$f.pcap" "$OUT_DIR/$f.pcap"; done
}

# FRR (192.0.2.1) and BIRD (192.0.2.3) with the same auth and key on one segment, a bridge in the
# tap namespace; tcpdump on the (promiscuous) bridge sees the unicast answers too. BIRD starts
# first, FRR 2 s later (BIRD may answer FRR's start-up Request), and BIRD's RIP is restarted 3 s
# after that (FRR may answer BIRD's new Request).
capture_exchange() {
	local s=$1 dir=$TMP/$1 frr_ns="rcap-$1-frr" bird_ns="rcap-$1-bird" tap_ns="rcap-$1-tap"
	local bdir=$TMP/$1/bird
	scenario_vars "$s"
	mkdir -p "$bdir" && chmod 755 "$dir" "$bdir"
	new_ns "$frr_ns"
	new_ns "$bird_ns"
	new_ns "$tap_ns"
	ip -n "$tap_ns" link add br0 type bridge mcast_snooping 0
	ip link add "$PEER_IF" address "$PEER_MAC" netns "$frr_ns" type veth peer name pfrr netns "$tap_ns"
	ip link add "$PEER_IF" address "$THIRD_MAC" netns "$bird_ns" type veth peer name pbird netns "$tap_ns"
	setup_iface "$frr_ns" "$PEER_IF" "$PEER_V4/24"
	setup_iface "$bird_ns" "$PEER_IF" "$THIRD_V4/24"
	ip -n "$tap_ns" link set pfrr master br0 up
	ip -n "$tap_ns" link set pbird master br0 up
	setup_iface "$tap_ns" br0

	start_tcpdump "$tap_ns" br0 "$dir/$s.pcap"
	log "$s: capturing, starting BIRD, FRR 2 s later, restarting BIRD's RIP 3 s after that"
	start_bird "$bird_ns" "$bdir" "$s/bird" "$THIRD_V4"
	pause 2
	start_frr "$frr_ns" "rcap-$s" "$dir" "$s"
	pause 3
	birdc -s "$bdir/bird.ctl" restart rcap_rip >/dev/null
	run_until_withdrawn "$s" "$dir" "$dir/$s.pcap" exchange_withdraw "$s" "$dir" "$bdir"
	teardown
	install -m 644 "$dir/$s.pcap" "$OUT_DIR/$s.pcap"
}

exchange_withdraw() { # record what each learned from the other, then withdraw on both
	local s=$1 dir=$2 bdir=$3
	frr_show "rcap-$s" "show ip rip" >"$dir/frr-rip.txt"
	birdc -s "$bdir/bird.ctl" show route protocol rcap_rip >"$dir/bird-rip.txt" 2>&1 || true
	local from_bird from_frr
	from_bird=$(grep -c '^R(n)' "$dir/frr-rip.txt" || true)
	from_frr=$(grep -c 'rcap_rip' "$dir/bird-rip.txt" || true)
	log "$s: FRR learned $from_bird routes from BIRD, BIRD learned $from_frr from FRR"
	(( from_bird == $(scenario_prefixes "$s/bird" | wc -l) )) || die "$s: FRR did not learn BIRD's routes"
	(( from_frr == $(scenario_prefixes "$s" | wc -l) )) || die "$s: BIRD did not learn FRR's routes"
	frr_withdraw
	bird_withdraw "$bdir"
}

# capture SCENARIO: run as a background job (`capture S &`), i.e. in its own subshell, whose
# traps tear its lab down whatever happens. No inner ( ... ): $! must be the process that traps.
capture() {
	trap teardown EXIT
	trap 'exit 130' INT TERM
	if [[ $1 == *-exchange ]]; then capture_exchange "$1"; else capture_single "$1"; fi
}

# --- main -----------------------------------------------------------------------------------------
TMP="" JOB_PIDS=()
cleanup() {
	local rc=$? pid i
	set +e
	for pid in "${JOB_PIDS[@]}"; do # each job tears its own lab down on TERM; give it time
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		wait "$pid" 2>/dev/null
	done
	if [[ -n $TMP && -d $TMP ]]; then
		if [[ ${RCAP_KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	fi
	return $rc
}

stale_namespaces() { ip netns list | awk '$1 ~ /^rcap-/ { print $1 }'; }

clean_stale() { # remove what a killed run left behind: rcap-* namespaces and their processes
	local ns pid
	for ns in $(stale_namespaces); do
		for pid in $(ip netns pids "$ns"); do stop_pid "$pid"; done
		ip netns del "$ns"
		log "removed namespace $ns"
	done
	rm -rf "$FRR_RUN"/rcap-*
}

verify_all() { # verify_all FILE...: check each pcap against its scenario
	local f base s bad=0
	for f in "$@"; do
		base=$(basename "$f" .pcap)
		s=$base
		if [[ $base == frr-ripv2-any-sll* ]]; then
			s=frr-ripv2-none
			if ! cmp -s <(records "$f") <(records "$(dirname "$f")/$s.pcap"); then
				echo "$base.pcap: not the same datagrams as $s.pcap"
				bad=1
			fi
		fi
		verify_pcap "$s" "$f" || bad=1
	done
	return $bad
}

main() {
	local jobs=${RCAP_JOBS:-8} s f pid failed=0 start=$SECONDS
	local -a todo=() files=()
	case ${1:-} in
	--list)
		printf '%s\n' "${SCENARIOS[@]}"
		return
		;;
	--clean)
		clean_stale
		return
		;;
	--verify)
		for s in "${SCENARIOS[@]}"; do
			scenario_vars "$s"
			files+=("$OUT_DIR/$s.pcap")
			for f in $EXTRA_FILES; do files+=("$OUT_DIR/$f.pcap"); done
		done
		verify_all "${files[@]}"
		write_manifest
		return
		;;
	-j)
		jobs=$2
		shift 2
		;;
	esac
	[[ $(id -u) == 0 ]] || die "run as root (network namespaces, daemons, tcpdump)"
	for s in ip tcpdump bird birdc vtysh perl "$FRR_BIN/zebra" "$FRR_BIN/staticd" "$FRR_BIN/ripd" "$FRR_BIN/ripngd"; do
		command -v "$s" >/dev/null || die "missing $s (apt-get install frr bird2 tcpdump iproute2)"
	done
	[[ -z $(stale_namespaces) ]] || die "rcap-* namespaces exist (a killed run?); remove them with: $0 --clean"
	if (($# > 0)); then todo=("$@"); else todo=("${SCENARIOS[@]}"); fi
	for s in "${todo[@]}"; do scenario_vars "$s"; done # unknown names fail before anything starts
	mkdir -p "$OUT_DIR"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	TMP=$(mktemp -d /tmp/rcap.XXXXXX)
	chmod 755 "$TMP"

	for s in "${todo[@]}"; do
		while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
		capture "$s" &
		JOB_PIDS+=("$!")
	done
	for pid in "${JOB_PIDS[@]}"; do wait "$pid" || failed=1; done
	JOB_PIDS=()
	((failed == 0)) || die "a capture failed (logs above; RCAP_KEEP_TMP=1 keeps daemon logs)"
	log "captured ${#todo[@]} scenario(s) in $((SECONDS - start)) s; checking"

	for s in "${todo[@]}"; do
		scenario_vars "$s"
		files+=("$OUT_DIR/$s.pcap")
		for f in $EXTRA_FILES; do files+=("$OUT_DIR/$f.pcap"); done
	done
	verify_all "${files[@]}" || die "a capture does not hold what its lab configured"
	write_manifest
	log "wrote $MANIFEST"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi # sourcing only defines functions
