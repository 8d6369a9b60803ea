# shellcheck shell=bash
# BIRD 2 side of capture-fixtures.sh: bird.conf and start-up, own control socket and pid file.
# Uses the scenario variables (FAMILY AUTH KEY_ID SECRET ALGO) and lab.sh.

bird_conf() { # bird_conf PREFIXES_KEY DIR ROUTER_ID
	local key=$1 dir=$2 p ch=ipv4 proto="rip" tagged=$V4_TAGGED metric=$V4_METRIC
	[[ $FAMILY == ipv6 ]] && ch=ipv6 proto="rip ng" tagged=$V6_TAGGED metric=$V6_METRIC
	printf 'log "%s/bird.log" all;\nrouter id %s;\n' "$dir" "$3"
	printf 'protocol device { scan time 10; }\n'
	printf 'protocol static rcap_static {\n  %s;\n' "$ch"
	while read -r p; do
		case $p in
		"$V4_NEXTHOP") echo "  route $p via $THIRD_V4;" ;;
		"$V6_NEXTHOP") echo "  route $p via $THIRD_LL%$PEER_IF;" ;;
		*) echo "  route $p blackhole;" ;;
		esac
	done < <(scenario_prefixes "$key")
	printf '}\n'
	printf 'protocol %s rcap_rip {\n  %s {\n    import all;\n    export filter {\n' "$proto" "$ch"
	printf '      if net = %s then rip_tag = %s;\n' "$tagged" "$TAG"
	printf '      if net = %s then rip_metric = %s;\n      accept;\n    };\n  };\n' "$metric" "$METRIC"
	printf '  interface "%s" {\n    update time %s;\n' "$PEER_IF" "$UPDATE_SECONDS"
	[[ $FAMILY == ipv4 ]] && printf '    version 2;\n'
	case $AUTH in
	none) ;;
	simple) printf '    authentication plaintext;\n    password "%s";\n' "$SECRET" ;;
	*) printf '    authentication cryptographic;\n    password "%s" { id %s; algorithm %s; };\n' \
		"$SECRET" "$KEY_ID" "$ALGO" ;;
	esac
	printf '  };\n}\n'
}

start_bird() { # start_bird NS DIR PREFIXES_KEY ROUTER_ID
	local ns=$1 dir=$2
	bird_conf "$3" "$dir" "$4" >"$dir/bird.conf"
	bird -p -c "$dir/bird.conf" || die "bird rejects $dir/bird.conf"
	spawn "$ns" "$dir/bird.out" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
	wait_for 10 "BIRD control socket" birdc -s "$dir/bird.ctl" show status
}

# the static protocol goes down -> BIRD sends its routes once more with metric 16
bird_withdraw() { birdc -s "$1/bird.ctl" disable rcap_static >/dev/null; }

bird_version() { bird --version 2>&1 | awk '{ print "BIRD " $3; exit }'; }
