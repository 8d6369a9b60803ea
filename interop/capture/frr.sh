# shellcheck shell=bash
# FRRouting side of capture-fixtures.sh: configs for zebra, staticd, ripd/ripngd, and start-up.
# Uses the scenario variables (FAMILY VERSION AUTH KEY_ID SECRET AUTH_LEN) and lab.sh.
#
# Each lab runs its own daemons with pathspace -N NAME: sockets in /var/run/frr/NAME/, config
# files passed with -f. The daemons drop to user frr (the default): "-u root -g root" is refused
# ("user(root) is not part of vty group specified(frrvty)"), so configs and logs are owned by frr.

FRR_BIN=/usr/lib/frr
FRR_RUN=/var/run/frr

frr_static_conf() { # frr_static_conf PREFIXES_KEY
	local p
	echo "hostname rcap-staticd"
	while read -r p; do
		case $p in
		"$V4_NEXTHOP") echo "ip route $p $THIRD_V4" ;;
		"$V6_NEXTHOP") echo "ipv6 route $p $THIRD_LL $PEER_IF" ;;
		"$V6_TAGGED") echo "ipv6 route $p blackhole tag $TAG" ;; # see frr_ripngd_conf
		*:*) echo "ipv6 route $p blackhole" ;;
		*) echo "ip route $p blackhole" ;;
		esac
	done < <(scenario_prefixes "$1")
}

frr_ripd_conf() {
	printf 'hostname rcap-ripd\ndebug rip events\ndebug rip packet\n!\n'
	if [[ $AUTH == md5 ]]; then
		printf 'key chain rcap\n key %s\n  key-string %s\n!\n' "$KEY_ID" "$SECRET"
	fi
	echo "interface $PEER_IF"
	case $AUTH in
	simple) printf ' ip rip authentication mode text\n ip rip authentication string %s\n' "$SECRET" ;;
	md5)
		if [[ $AUTH_LEN == 16 ]]; then
			echo " ip rip authentication mode md5 auth-length rfc"
		else
			echo " ip rip authentication mode md5" # default: auth-length old-ripd (20)
		fi
		echo " ip rip authentication key-chain rcap"
		;;
	esac
	echo "!"
	if [[ $VERSION == 2 ]]; then # a RIPv1 entry has no tag field
		printf 'ip prefix-list rcap-tagged seq 5 permit %s\n' "$V4_TAGGED"
		printf 'route-map rcap-out permit 10\n match ip address prefix-list rcap-tagged\n set tag %s\n' "$TAG"
		printf 'route-map rcap-out permit 20\n!\n'
	fi
	# The metric comes from an offset-list (1 + 4 = 5), not from route-map "set metric 5": ripd
	# applies that route-map to the poisoned route too, so it would stay at metric 5 after the
	# static route is gone instead of going out with metric 16 until the garbage timer ends.
	printf 'access-list rcap-metric seq 5 permit %s\n!\n' "$V4_METRIC"
	printf 'router rip\n version %s\n timers basic %s 15 10\n network %s\n' "$VERSION" "$UPDATE_SECONDS" "$PEER_IF"
	if [[ $VERSION == 2 ]]; then echo " redistribute static route-map rcap-out"; else echo " redistribute static"; fi
	printf ' offset-list rcap-metric out %s %s\n!\n' $((METRIC - 1)) "$PEER_IF"
}

frr_ripngd_conf() {
	# ripngd 8.4 has no "match ipv6 address" route-map rule: the command is accepted but the
	# clause then matches every route. So the tag comes from the static route (zebra passes it
	# on) and the metric from an offset-list (1 + 4 = 5), which does apply its access-list.
	printf 'hostname rcap-ripngd\ndebug ripng events\ndebug ripng packet\n!\n'
	printf 'ipv6 access-list rcap-metric seq 5 permit %s\n!\n' "$V6_METRIC"
	printf 'router ripng\n timers basic %s 15 10\n network %s\n' "$UPDATE_SECONDS" "$PEER_IF"
	printf ' redistribute static\n offset-list rcap-metric out %s %s\n!\n' $((METRIC - 1)) "$PEER_IF"
}

FRR_STATICD_PID=""
start_frr() { # start_frr NS PATHSPACE DIR PREFIXES_KEY: zebra, staticd, then ripd or ripngd
	local ns=$1 name=$2 dir=$3 key=$4 d rip=ripd rund=$FRR_RUN/$2
	[[ $FAMILY == ipv6 ]] && rip=ripngd
	[[ -d $FRR_RUN ]] || install -d -o frr -g frr -m 755 "$FRR_RUN"
	rm -rf "$rund"
	install -d -o frr -g frr -m 755 "$rund"
	FRR_RUNDIRS+=("$rund")
	echo "hostname rcap-zebra" >"$dir/zebra.conf"
	frr_static_conf "$key" >"$dir/staticd.conf"
	if [[ $rip == ripd ]]; then frr_ripd_conf >"$dir/ripd.conf"; else frr_ripngd_conf >"$dir/ripngd.conf"; fi
	chown -R frr:frr "$dir"
	for d in zebra staticd $rip; do
		spawn "$ns" "$dir/$d.out" "$FRR_BIN/$d" -N "$name" -f "$dir/$d.conf" -i "$dir/$d.pid" \
			-P 0 --log "file:$dir/$d.log" --log-level debug
		[[ $d == staticd ]] && FRR_STATICD_PID=$SPAWNED
		[[ $d == zebra ]] && wait_for 10 "zebra API socket" test -S "$rund/zserv.api"
		wait_for 10 "$d vty socket" test -S "$rund/$d.vty"
	done
}

# staticd gone -> zebra drops its routes -> ripd/ripngd poisons them (metric 16) at once
frr_withdraw() { stop_pid "$FRR_STATICD_PID"; }

frr_show() { # frr_show PATHSPACE COMMAND: best effort, for the lab log only
	vtysh -N "$1" -c "$2" 2>/dev/null | grep -v "Can't open configuration file" || true
}

frr_version() { "$FRR_BIN/ripd" --version 2>/dev/null | awk 'NR == 1 { print "FRRouting " $3 }'; }
