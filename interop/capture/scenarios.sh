# shellcheck shell=bash
# Scenarios of capture-fixtures.sh: names, auth and keys, the prefixes each router announces, and
# the notes that go into captures.json. Uses the lab constants defined in capture-fixtures.sh.

SCENARIOS=(
	frr-ripv2-none frr-ripv2-text frr-ripv2-md5-rfc frr-ripv2-md5-old frr-ripv1 frr-ripng
	bird-ripv2-none bird-ripv2-plaintext bird-ripv2-md5 bird-ripv2-hmac-sha1
	bird-ripv2-hmac-sha256 bird-ripv2-hmac-sha384 bird-ripv2-hmac-sha512 bird-ripng
	frr-bird-none-exchange frr-bird-md5-exchange
)

# scenario_vars NAME sets PEER FAMILY VERSION AUTH KEY_ID SECRET AUTH_LEN ALGO EXTRA_FILES.
# AUTH is the manifest's mode; AUTH_LEN the md5 Auth Data Len; ALGO the BIRD algorithm.
scenario_vars() {
	PEER=${1%%-*} FAMILY=ipv4 VERSION=2 AUTH=none KEY_ID="" SECRET="" AUTH_LEN="" ALGO="" EXTRA_FILES=""
	case $1 in
	frr-ripv2-none) EXTRA_FILES="frr-ripv2-any-sll frr-ripv2-any-sll2" ;;
	frr-ripv2-text) AUTH=simple SECRET=frr-simple-pw ;;
	frr-ripv2-md5-rfc) AUTH=md5 KEY_ID=5 SECRET=frr-md5-rfc AUTH_LEN=16 ;;
	frr-ripv2-md5-old) AUTH=md5 KEY_ID=6 SECRET=frr-md5-old AUTH_LEN=20 ;;
	frr-ripv1) VERSION=1 ;;
	frr-ripng | bird-ripng) FAMILY=ipv6 VERSION=1 ;;
	bird-ripv2-none) ;;
	bird-ripv2-plaintext) AUTH=simple SECRET=bird-plain-pw ;;
	bird-ripv2-md5) AUTH=md5 KEY_ID=2 SECRET=s3cret-md5 AUTH_LEN=$BIRD_MD5_AUTH_LEN ALGO="keyed md5" ;;
	bird-ripv2-hmac-sha1) AUTH=hmac-sha1 KEY_ID=1 SECRET=s3cret-sha1 ALGO="hmac sha1" ;;
	bird-ripv2-hmac-sha256) AUTH=hmac-sha256 KEY_ID=3 SECRET=s3cret-256 ALGO="hmac sha256" ;;
	bird-ripv2-hmac-sha384) AUTH=hmac-sha384 KEY_ID=38 SECRET=s3cret-384 ALGO="hmac sha384" ;;
	bird-ripv2-hmac-sha512) AUTH=hmac-sha512 KEY_ID=255 SECRET=s3cret-512 ALGO="hmac sha512" ;;
	frr-bird-none-exchange) PEER=frr ;;
	frr-bird-md5-exchange) PEER=frr AUTH=md5 KEY_ID=7 SECRET=xchg-md5 AUTH_LEN=16 ALGO="keyed md5" ;;
	*)
		echo "unknown scenario: $1 (see --list)" >&2
		exit 2
		;;
	esac
}

v4_prefixes() { # 30 prefixes of mixed length inside 198.18.0.0/15: 25 RTEs a packet -> 2 packets
	local i
	for i in $(seq 1 26); do echo "198.18.$i.0/24"; done
	printf '%s\n' 198.18.64.0/20 198.18.100.128/25 198.18.255.1/32 198.19.0.0/16
}
v4_prefixes_classful() { # RIPv1 carries no mask, so only class C /24s, which receivers infer right
	local i
	for i in $(seq 1 30); do echo "198.18.$i.0/24"; done
}
v6_prefixes() { # 100 prefixes inside 2001:db8::/32: at MTU 1500 a RIPng packet holds 72 RTEs
	local i
	for i in $(seq 1 96); do printf '2001:db8:0:%x::/64\n' "$i"; done
	printf '%s\n' 2001:db8:100::/40 2001:db8:200::/48 2001:db8:8000::/33 2001:db8:0:abcd::1/128
}

scenario_prefixes() { # every prefix the router of scenario $1 (or "$1/bird") is given to announce
	local i
	case $1 in
	frr-ripv1) v4_prefixes_classful ;;
	*-ripng) v6_prefixes ;;
	*-exchange) for i in $(seq 1 8); do echo "198.18.$i.0/24"; done ;;
	*-exchange/bird) for i in $(seq 101 108); do echo "198.18.$i.0/24"; done ;;
	*) v4_prefixes ;;
	esac
}

digest_len() { # Auth Data Len expected in Responses for AUTH (and AUTH_LEN)
	case $1 in
	md5) echo "$AUTH_LEN" ;;
	hmac-sha1) echo 20 ;;
	hmac-sha256) echo 32 ;;
	hmac-sha384) echo 48 ;;
	hmac-sha512) echo 64 ;;
	*) echo - ;;
	esac
}

scenario_notes() { # scenario_notes SCENARIO FILE: what a reader of the fixture should know
	local s=$1 file=$2 common
	common="Withdrawn at the end: every prefix goes out again with metric 16."
	case $file in
	frr-ripv2-any-sll.pcap) echo "Same datagrams as frr-ripv2-none.pcap, captured at the same time with 'tcpdump -i any -y LINUX_SLL' (Linux cooked v1)." ;;
	frr-ripv2-any-sll2.pcap) echo "Same datagrams as frr-ripv2-none.pcap, captured at the same time with 'tcpdump -i any -y LINUX_SLL2' (Linux cooked v2); the interface index is that of vtap inside its namespace." ;;
	frr-ripv2-none.pcap) echo "FRR ripd, no authentication: start-up whole-table Request, Responses of 25 + 5 RTEs. $common" ;;
	frr-ripv2-text.pcap) echo "Simple password (auth type 2) in every Response; FRR sends its start-up Request without authentication. $common" ;;
	frr-ripv2-md5-rfc.pcap) echo "Keyed MD5 (auth type 3), 'auth-length rfc': Auth Data Len 16, trailer 0xffff 0x0001 + 16-byte digest; sequence number starts at 1, +1 per packet; 23 routes a packet; Request unauthenticated. $common" ;;
	frr-ripv2-md5-old.pcap) echo "Keyed MD5 (auth type 3), default 'auth-length old-ripd': Auth Data Len 20 but still a 16-byte digest; sequence number starts at 1, +1 per packet; 23 routes a packet; Request unauthenticated. $common" ;;
	frr-ripv1.pcap) echo "RIPv1 (version 1) broadcast to 192.0.2.255 with TTL 64; no masks, tags or next hops, so only class C /24s are announced and no tag is set. $common" ;;
	frr-ripng.pcap) echo "FRR ripngd from fe80::ff:fe00:1, hop limit 255: Responses of 72 + 29 RTEs including a next-hop RTE (fe80::ff:fe00:3, metric 0xff) before 2001:db8:0:9::/64. Tag from the static route, metric from an offset-list. $common" ;;
	bird-ripv2-none.pcap) echo "BIRD, no authentication. $common" ;;
	bird-ripv2-plaintext.pcap) echo "BIRD 'authentication plaintext' (auth type 2), also on the Request. $common" ;;
	bird-ripv2-md5.pcap) echo "BIRD keyed MD5: Auth Data Len 20 (like FRR old-ripd), 16-byte digest; Request authenticated with sequence number 0, Responses use the Unix time as sequence number. $common" ;;
	bird-ripv2-hmac-*.pcap) echo "BIRD $AUTH (RFC 4822, auth type 3): Auth Data Len = digest length; Request authenticated with sequence number 0, Responses use the Unix time as sequence number. $common" ;;
	bird-ripng.pcap) echo "BIRD RIPng from fe80::ff:fe00:1: next-hop RTE fe80::ff:fe00:3 before 2001:db8:0:9::/64 and a :: next-hop RTE after it. $common" ;;
	frr-bird-none-exchange.pcap) echo "FRR (192.0.2.1) and BIRD (192.0.2.3) on one bridged segment, no authentication; each answers the other's whole-table Request with a unicast Response; BIRD poisons FRR's routes (metric 16, split horizon with poisoned reverse). $common" ;;
	frr-bird-md5-exchange.pcap) echo "FRR (md5, auth-length rfc) and BIRD (keyed md5, Auth Data Len 20) with the same key; routes are exchanged, but no Request is answered: BIRD drops FRR's unauthenticated Request ('authentication method mismatch') and FRR ignores BIRD's authenticated one. $common" ;;
	*) echo "$common" ;;
	esac
}
