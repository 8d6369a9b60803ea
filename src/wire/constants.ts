/**
 * Every protocol number riplet uses, in one place, with the unit in the name.
 * Sources: RFC 1058 (RIPv1), RFC 2453 (RIPv2), RFC 2080 (RIPng), RFC 2082 (keyed MD5),
 * RFC 4822 (RIPv2 cryptographic authentication).
 */

/** RFC 2453 §4: RIPv1/v2 are carried on UDP 520; RFC 2080 §2: RIPng on UDP 521. */
export const RIP_PORT = 520;
export const RIPNG_PORT = 521;

/** RFC 2453 §4.3 / RFC 2080 §2.5.1: the well-known multicast groups. */
export const RIPV2_MULTICAST_GROUP = "224.0.0.9";
export const RIPNG_MULTICAST_GROUP = "ff02::9";

/** RFC 2453 §3.6 / RFC 2080 §2.1: command field. */
export const COMMAND_REQUEST = 1;
export const COMMAND_RESPONSE = 2;

export const RIP_VERSION_1 = 1;
export const RIP_VERSION_2 = 2;
export const RIPNG_VERSION = 1;

/** RFC 2453 §3.6: the header is command, version and two must-be-zero (formerly routing domain) bytes. */
export const HEADER_BYTES = 4;
/** RFC 2453 §3.6 and RFC 2080 §2.1: every route table entry is 20 bytes in both protocols. */
export const RTE_BYTES = 20;

/** RFC 2453 §3.6: address family identifier for IP; 0 only in a whole-table request. */
export const AFI_INET = 2;
export const AFI_UNSPECIFIED = 0;
/** RFC 2453 §4.1: an AFI of 0xFFFF in the first entry marks the authentication entry. */
export const AFI_AUTH = 0xffff;

/** RFC 2453 §4.1 simple password, RFC 2082 §3.2 / RFC 4822 §2.2 cryptographic authentication. */
export const AUTH_TYPE_SIMPLE = 2;
export const AUTH_TYPE_CRYPTO = 3;
/** RFC 2082 §3.2 / RFC 4822 §2.2: the trailer starts with 0xFFFF 0x0001. */
export const AUTH_TRAILER_TYPE = 1;
export const AUTH_TRAILER_HEADER_BYTES = 4;
/** RFC 2453 §4.1: a simple password fills the 16 bytes after AFI and type. */
export const SIMPLE_PASSWORD_BYTES = 16;
/** RFC 2082 §3.2: keyed MD5 uses the key zero-padded to 16 bytes. */
export const MD5_KEY_BYTES = 16;
/** RFC 4822 §2.5: Apad, the value the digest field holds while the HMAC is computed. */
export const HMAC_APAD_WORD = 0x878fe1f3;

/** RFC 2453 §3.6: infinity. A route with this metric is unreachable (a withdrawal). */
export const INFINITY_METRIC = 16;
/** RFC 2080 §2.1.1: an RTE with metric 0xFF is a next-hop RTE, not a route. */
export const RIPNG_NEXT_HOP_METRIC = 0xff;

/**
 * RFC 2453 §3.6 / §4.1: a RIPv2 datagram is at most 512 bytes: 25 entries, 24 with an authentication
 * entry. FRR's ripd drops anything longer (RIP_PACKET_MAXSIZ), which also means at most 23 entries when
 * the 20-byte keyed-MD5 trailer is present; we bound every RIPv2 packet by bytes, not by a count.
 */
export const RIPV2_MAX_PACKET_BYTES = 512;
export const RIPV2_MAX_ENTRIES = 25;

/** RFC 2080 §2.1: RIPng packets are bounded by the link MTU less the IPv6 and UDP headers. */
export const IPV6_HEADER_BYTES = 40;
export const UDP_HEADER_BYTES = 8;
export const DEFAULT_MTU_BYTES = 1500;
/** RFC 8200 §5: every IPv6 link carries at least 1280 bytes. * @public part of the codec's API (STYLE: every codec has encode, decode, encodingLength)
 */
export const IPV6_MIN_MTU_BYTES = 1280;

/** RFC 2453 §3.8 / RFC 2080 §2.3 timers. */
export const UPDATE_INTERVAL_MS = 30_000;
export const UPDATE_JITTER_MS = 5_000;
export const ROUTE_TIMEOUT_MS = 180_000;
export const GARBAGE_COLLECTION_MS = 120_000;
/** RFC 2453 §3.10.1: triggered updates are held for a random 1-5 s after one is sent. */
export const TRIGGERED_HOLD_MIN_MS = 1_000;
export const TRIGGERED_HOLD_MAX_MS = 5_000;

/** RFC 2453 §3.6: RIPv2 multicast is sent with TTL 1; RFC 2080 §2.5.1: RIPng with hop limit 255. */
export const RIPV2_MULTICAST_TTL = 1;
export const RIPNG_HOP_LIMIT = 255;
