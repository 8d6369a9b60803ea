/**
 * The config file's shape (SPEC §4): what each field may hold, checked by valibot before
 * config-normalize.ts turns it into a DaemonConfig. Meaning checks that need more than one field (next
 * hop vs. prefix family, tap addresses, secrets) are config-normalize.ts's too.
 */
import { isIP, isIPv4, isIPv6 } from "node:net";
import * as v from "valibot";
import { MAX_DNS_SERVERS } from "../guests/records.js";
import { checkSchema } from "../health/config.js";
import { IFNAME } from "../host/addresses.js";
import { anyString, fields, flag, list, matching, oneOf, seconds, text, wholeNumber } from "../schema.js";

const ADDRESS = "must be an IP address, e.g. 192.0.2.1 or fe80::1";
const address = v.pipe(
  v.string(ADDRESS),
  v.check((s) => isIPv4(s) || isIPv6(s.replace(/%.*$/, "")), ADDRESS),
);
const key = v.pipe(
  fields({
    id: wholeNumber(0, 255),
    // no example: the message must not suggest a secret
    secret: v.optional(
      v.pipe(v.string("must be a non-empty string"), v.minLength(1, "must be a non-empty string")),
    ),
    secretFile: v.optional(text("/etc/riplet/key")),
  }),
  v.check(
    (k) => (k.secret === undefined) !== (k.secretFile === undefined),
    "give exactly one of secret or secretFile",
  ),
);
const auth = fields({
  mode: oneOf(["none", "simple", "md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"] as const),
  keys: v.optional(list(key, "[{ id: 1, secret: ... }]")),
  md5AuthLength: v.optional(v.picklist([16, 20] as const, "must be 16 or 20")),
});
const neighbors = v.optional(list(address, "[192.0.2.1]"));
const ipv4 = v.union(
  [
    v.boolean(),
    fields({
      version: v.optional(v.literal(2, "must be 2: riplet speaks RIPv2 (RIPv1 is only decoded)")),
      auth: v.optional(auth),
      neighbors,
      multicast: v.optional(flag()),
    }),
  ],
  "expected true, false or { auth, neighbors, multicast }",
);
const ipv6 = v.union(
  [v.boolean(), fields({ neighbors: v.optional(list(address, "[fe80::1]")), multicast: v.optional(flag()) })],
  "expected true, false or { neighbors, multicast }",
);
const IFNAME_MESSAGE = "an interface name: 1-15 letters, digits, '.', '_' or '-'";
const route = fields({
  prefix: anyString("198.51.100.0/24"),
  metric: v.optional(wholeNumber(1, 15)),
  tag: v.optional(wholeNumber(0, 65535)),
  nextHop: v.optional(anyString("192.0.2.1")), // family and unicast checked against the prefix (next-hop.ts)
  owner: v.optional(matching(IFNAME, IFNAME_MESSAGE)),
  check: v.optional(checkSchema),
});

const control = fields({
  socket: v.optional(text("/run/riplet/riplet.sock")),
  mode: v.optional(matching(/^0?[0-7]{3}$/, 'an octal file mode like "0600"')),
  group: v.optional(text("riplet")),
  allowCommandChecks: v.optional(flag()),
});

const taps = v.record(
  matching(IFNAME, "a tap's name: 1-15 letters, digits, '.', '_' or '-'"),
  fields({
    addresses: list(anyString("198.51.100.1/24"), "[198.51.100.1/24, 2001:db8:42::1/64]"),
    dhcp: v.optional(flag()),
    ra: v.optional(flag()),
  }),
  "must be a mapping of tap name to { addresses }, e.g. { tap0: { addresses: [198.51.100.1/24] } }",
);

// SPEC §4/§6: addressing for the VMs behind the taps, served by dnsmasq on each tap (guests/)
const DNS = "an IPv4 or IPv6 address, e.g. 203.0.113.53";
const guests = fields({
  dhcp: v.optional(flag()),
  ra: v.optional(flag()),
  dns: v.optional(
    list(
      v.pipe(
        v.string(DNS),
        v.check((a) => isIP(a) !== 0, DNS),
      ),
      "[203.0.113.53]",
      { max: MAX_DNS_SERVERS },
    ),
  ),
});

const limits = fields({
  learnedRoutes: v.optional(wholeNumber(1, 1_000_000)),
  neighbors: v.optional(wholeNumber(1, 65_536)),
  controlClients: v.optional(wholeNumber(1, 65_536)),
  controlQueue: v.optional(wholeNumber(1, 100_000)),
  controlReplyBytes: v.optional(wholeNumber(64 * 1024, 1024 * 1024 * 1024)),
});

const metrics = fields({
  listen: matching(
    /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):\d{1,5}$/,
    "host:port, e.g. 127.0.0.1:9520 or [::1]:9520",
  ),
});

export const configSchema = fields({
  interfaces: list(
    fields({ name: text("eth0", 15), ipv4: v.optional(ipv4), ipv6: v.optional(ipv6) }),
    "[{ name: eth0 }]",
    { min: 1, minMessage: "list at least one uplink interface: interfaces: [{ name: eth0 }]" },
  ),
  routes: v.optional(list(route, "[{ prefix: 198.51.100.0/24 }]")),
  allow: v.optional(list(anyString("198.51.100.0/22"), "[198.51.100.0/22, 2001:db8::/32]")),
  allowDefault: v.optional(flag()),
  timers: v.optional(
    fields({
      update: v.optional(seconds(86_400)),
      timeout: v.optional(seconds(86_400)),
      garbage: v.optional(seconds(86_400)),
    }),
  ),
  triggered: v.optional(fields({ mode: oneOf(["fast", "rfc"] as const) })),
  withdrawOnExit: v.optional(flag()),
  control: v.optional(control),
  state: v.optional(text("/var/lib/riplet/state.json")),
  taps: v.optional(taps),
  guests: v.optional(guests),
  maintenance: v.optional(text("/etc/riplet/maintenance")),
  limits: v.optional(limits),
  metrics: v.optional(metrics),
});

export type RawConfig = v.InferOutput<typeof configSchema>;
export type RawAuth = v.InferOutput<typeof auth>;
