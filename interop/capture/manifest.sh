# shellcheck shell=bash
# test/fixtures/captures.json for capture-fixtures.sh: one object per pcap, derived from the lab
# configuration (scenario_vars, scenario_prefixes, ...) plus packet counts read from the pcap.
# Layout follows the repository's Biome JSON style (2 spaces, arrays on one line when they fit
# in 110 columns), so `biome check test` accepts the file as written. Keys, prefixes, addresses
# and secrets are plain ASCII without quotes or backslashes, so only the notes go through json_str.

json_str() { # JSON string literal (our values never hold control characters)
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# json_array INDENT KEY TRAILER ITEM...: "key": [ ... ] on one line if it fits, else one item a line
json_array() {
	local indent=$1 key=$2 trailer=$3 line item sep=""
	shift 3
	local -a quoted=("${@/#/\"}")
	quoted=("${quoted[@]/%/\"}")
	line="$indent\"$key\": ["
	for item in "${quoted[@]}"; do
		line+="$sep$item"
		sep=", "
	done
	line+="]$trailer"
	if ((${#line} <= 110)); then
		echo "$line"
		return
	fi
	echo "$indent\"$key\": ["
	local last=$((${#quoted[@]} - 1))
	printf "$indent  %s,\n" "${quoted[@]:0:last}"
	printf "$indent  %s\n" "${quoted[last]}"
	echo "$indent]$trailer"
}

# json_object INDENT KEY TRAILER K=V...: a small object, V quoted unless it is a number or true/false
json_object() {
	local indent=$1 key=$2 trailer=$3 kv k v i=0
	shift 3
	echo "$indent\"$key\": {"
	for kv in "$@"; do
		i=$((i + 1))
		k=${kv%%=*} v=${kv#*=}
		[[ $v =~ ^(-?[0-9]+|true|false)$ ]] || v="\"$v\""
		if ((i < $#)); then echo "$indent  \"$k\": $v,"; else echo "$indent  \"$k\": $v"; fi
	done
	echo "$indent}$trailer"
}

auth_fields() { # K=V list for the manifest's auth object of the current scenario_vars
	echo "mode=$AUTH"
	[[ -n $KEY_ID ]] && echo "keyId=$KEY_ID"
	[[ -n $SECRET ]] && echo "secret=$SECRET"
	[[ -n $AUTH_LEN ]] && echo "authLength=$AUTH_LEN"
	return 0
}

has_prefix() { scenario_prefixes "$1" | grep -xF -- "$2" >/dev/null; } # no -q: SIGPIPE + pipefail

# pcap_counts FILE: "total requests responses" from the pcap (0 0 0 when it does not exist)
pcap_counts() {
	[[ -f $1 ]] || {
		echo "0 0 0"
		return
	}
	tcpdump -nn -vv -r "$1" 2>/dev/null | awk -f "$CAPTURE_LIB/rip-records.awk" |
		awk '$1 == "P" { t++; if ($7 == "request") q++; else r++ } END { print t + 0, q + 0, r + 0 }'
}

manifest_entry() { # manifest_entry SCENARIO FILE LINKTYPE NOTES LAST
	local s=$1 file=$2 lt=$3 notes=$4 last=$5 src tagged metric nh counts total req resp
	local -a prefixes auth
	scenario_vars "$s"
	mapfile -t prefixes < <(scenario_prefixes "$s")
	mapfile -t auth < <(auth_fields)
	src=$PEER_V4 tagged=$V4_TAGGED metric=$V4_METRIC nh="$V4_NEXTHOP|$THIRD_V4"
	[[ $FAMILY == ipv6 ]] && src=$PEER_LL tagged=$V6_TAGGED metric=$V6_METRIC nh="$V6_NEXTHOP|$THIRD_LL"
	read -r total req resp < <(pcap_counts "$OUT_DIR/$file")
	echo "  {"
	echo "    \"file\": $(json_str "$file"),"
	echo "    \"peer\": $(json_str "$PEER"),"
	echo "    \"peerVersion\": $(json_str "$(if [[ $PEER == frr ]]; then frr_version; else bird_version; fi)"),"
	echo "    \"family\": $(json_str "$FAMILY"),"
	echo "    \"version\": $VERSION,"
	json_object "    " auth "," "${auth[@]}"
	echo "    \"linkType\": $(json_str "$lt"),"
	echo "    \"source\": $(json_str "$src"),"
	json_array "    " prefixes "," "${prefixes[@]}"
	if [[ $VERSION == 2 || $FAMILY == ipv6 ]] && has_prefix "$s" "$tagged"; then
		json_object "    " taggedPrefix "," "prefix=$tagged" "tag=$TAG"
	fi
	has_prefix "$s" "$metric" && json_object "    " metricPrefix "," "prefix=$metric" "metric=$METRIC"
	if [[ $VERSION == 2 || $FAMILY == ipv6 ]] && has_prefix "$s" "${nh%|*}"; then
		json_object "    " nextHopPrefix "," "prefix=${nh%|*}" "nextHop=${nh#*|}"
	fi
	if [[ $s == *-exchange ]]; then
		mapfile -t prefixes < <(scenario_prefixes "$s/bird")
		[[ $AUTH == md5 ]] && AUTH_LEN=$BIRD_MD5_AUTH_LEN
		mapfile -t auth < <(auth_fields)
		echo '    "otherSpeakers": ['
		echo "      {"
		echo "        \"peer\": \"bird\","
		echo "        \"peerVersion\": $(json_str "$(bird_version)"),"
		echo "        \"source\": $(json_str "$THIRD_V4"),"
		json_object "        " auth "," "${auth[@]}"
		json_array "        " prefixes "" "${prefixes[@]}"
		echo "      }"
		echo '    ],'
	fi
	echo "    \"updateSeconds\": $UPDATE_SECONDS,"
	echo "    \"withdrawnAtEnd\": true,"
	json_object "    " packets "," "total=$total" "requests=$req" "responses=$resp"
	echo "    \"notes\": $(json_str "$notes")"
	if [[ $last == 1 ]]; then echo "  }"; else echo "  },"; fi
}

write_manifest() { # write_manifest: every scenario, whether captured in this run or not
	local s f lt i=0 n=0 tmp
	local -a rows=()
	for s in "${SCENARIOS[@]}"; do
		scenario_vars "$s"
		rows+=("$s|$s.pcap|ethernet")
		for f in $EXTRA_FILES; do
			lt=sll
			[[ $f == *-sll2 ]] && lt=sll2
			rows+=("$s|$f.pcap|$lt")
		done
	done
	n=${#rows[@]}
	tmp=$(mktemp "$OUT_DIR/.captures.json.XXXXXX")
	{
		echo "["
		for f in "${rows[@]}"; do
			i=$((i + 1))
			IFS='|' read -r s file lt <<<"$f"
			manifest_entry "$s" "$file" "$lt" "$(scenario_notes "$s" "$file")" $((i == n ? 1 : 0))
		done
		echo "]"
	} >"$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$MANIFEST"
}
