/**
 * The config file's shape (SPEC §4): what each field may hold, checked by zod before config.ts turns
 * it into a DaemonConfig. Meaning checks that need more than one field (next hop vs. prefix family,
 * tap addresses, secrets) are config.ts's.
 */
import { isIP, isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { MAX_DNS_SERVERS } from "../guests/records.js";
import { checkSchema } from "../health/config.js";
import { IFNAME } from "../host/addresses.js";

const address = z.string().refine((s) => isIPv4(s) || isIPv6(s.replace(/%.*$/, "")), "must be an IP address");
const key = z
  .object({
    id: z.number().int().min(0).max(255),
    secret: z.string().min(1).optional(),
    secretFile: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (k) => (k.secret === undefined) !== (k.secretFile === undefined),
    "give exactly one of secret or secretFile",
  );
export const auth = z
  .object({
    mode: z.enum(["none", "simple", "md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"]),
    keys: z.array(key).optional(),
    md5AuthLength: z.union([z.literal(16), z.literal(20)]).optional(),
  })
  .strict();
const ipv4 = z.union(
  [
    z.boolean(),
    z
      .object({
        version: z.literal(2).optional(),
        auth: auth.optional(),
        neighbors: z.array(address).optional(),
        multicast: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: "expected true, false or { auth, neighbors, multicast }" },
);
const ipv6 = z.union(
  [
    z.boolean(),
    z.object({ neighbors: z.array(address).optional(), multicast: z.boolean().optional() }).strict(),
  ],
  { error: "expected true, false or { neighbors, multicast }" },
);
const seconds = z.number().positive().max(86_400);
const route = z
  .object({
    prefix: z.string(),
    metric: z.number().int().min(1).max(15).optional(),
    tag: z.number().int().min(0).max(65535).optional(),
    nextHop: z.string().optional(), // family and unicast checked against the prefix (next-hop.ts)
    owner: z.string().regex(IFNAME, "an interface name: 1-15 letters, digits, '.', '_' or '-'").optional(),
    check: checkSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    interfaces: z
      .array(
        z.object({ name: z.string().min(1).max(15), ipv4: ipv4.optional(), ipv6: ipv6.optional() }).strict(),
      )
      .min(1, "list at least one uplink interface: interfaces: [{ name: eth0 }]"),
    routes: z.array(route).optional(),
    allow: z.array(z.string()).optional(),
    allowDefault: z.boolean().optional(),
    timers: z
      .object({ update: seconds.optional(), timeout: seconds.optional(), garbage: seconds.optional() })
      .strict()
      .optional(),
    triggered: z
      .object({ mode: z.enum(["fast", "rfc"]) })
      .strict()
      .optional(),
    withdrawOnExit: z.boolean().optional(),
    control: z
      .object({
        socket: z.string().min(1).optional(),
        mode: z
          .string()
          .regex(/^0?[0-7]{3}$/, 'an octal file mode like "0600"')
          .optional(),
        group: z.string().min(1).optional(),
        allowCommandChecks: z.boolean().optional(),
      })
      .strict()
      .optional(),
    state: z.string().min(1).optional(),
    taps: z
      .record(
        z.string().regex(IFNAME, "a tap's name: 1-15 letters, digits, '.', '_' or '-'"),
        z
          .object({
            addresses: z.array(z.string()),
            dhcp: z.boolean().optional(),
            ra: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    // SPEC §4/§6: addressing for the VMs behind the taps, served by dnsmasq on each tap (guests/)
    guests: z
      .object({
        dhcp: z.boolean().optional(),
        ra: z.boolean().optional(),
        dns: z
          .array(z.string().refine((a) => isIP(a) !== 0, "an IPv4 or IPv6 address, e.g. 203.0.113.53"))
          .max(MAX_DNS_SERVERS)
          .optional(),
      })
      .strict()
      .optional(),
    maintenance: z.string().min(1).optional(),
    limits: z
      .object({
        learnedRoutes: z.number().int().min(1).max(1_000_000).optional(),
        neighbors: z.number().int().min(1).max(65_536).optional(),
        controlClients: z.number().int().min(1).max(65_536).optional(),
        controlQueue: z.number().int().min(1).max(100_000).optional(),
        controlReplyBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(1024 * 1024 * 1024)
          .optional(),
      })
      .strict()
      .optional(),
    metrics: z
      .object({
        listen: z
          .string()
          .regex(
            /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):\d{1,5}$/,
            "host:port, e.g. 127.0.0.1:9520 or [::1]:9520",
          ),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
