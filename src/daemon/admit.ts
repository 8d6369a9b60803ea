/**
 * What the daemon accepts to announce or withdraw over the socket, and from the state file on start:
 * prefixes the policy admits (SPEC §2), owners that exist, and command checks only where the config
 * allows them. Pure but for the interface list, which is passed in. A refusal carries the control
 * socket's error code and a one-line reason.
 */
import type { ErrorCode, RouteIn } from "../control/protocol.js";
import type { RawCheck } from "../health/config.js";
import { IFNAME } from "../host/addresses.js";
import { NextHopError, parseNextHop } from "../speaker/next-hop.js";
import { admitPrefix, type Policy } from "../speaker/policy.js";
import { type Prefix, PrefixError } from "../speaker/prefix.js";
import type { SocketRoute } from "./route-store.js";
import type { SavedRoute } from "./state.js";

export interface AdmitPolicy extends Policy {
  /** control.allowCommandChecks: a command check runs as the daemon's user, usually root. */
  allowCommandChecks: boolean;
}

export class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function prefixOf(text: string, policy: Policy) {
  try {
    return admitPrefix(text, policy);
  } catch (error) {
    if (error instanceof PrefixError) throw new Refusal(error.code as ErrorCode, error.message);
    throw error;
  }
}

function refuseCommandCheck(check: RawCheck | undefined, policy: AdmitPolicy): void {
  if (check?.command === undefined || policy.allowCommandChecks) return;
  throw new Refusal(
    "CHECK_NOT_ALLOWED",
    "a command check would run as the daemon's user; use a tcp or http check, or set control.allowCommandChecks: true in the config",
  );
}

function integerIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new Refusal("BAD_REQUEST", `${field}: ${JSON.stringify(value)} is not an integer ${min}-${max}`);
}

/** The owner is an interface name: it is compared with the link list and reaches `ip` as the tap. */
function ownerOf(owner: unknown): string | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner === "string" && IFNAME.test(owner)) return owner;
  throw new Refusal(
    "BAD_REQUEST",
    `owner: ${JSON.stringify(String(owner).slice(0, 32))} is not an interface name (1-15 letters, digits, '.', '_' or '-')`,
  );
}

function nextHopOf(text: unknown, prefix: Prefix): string | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return parseNextHop(text, prefix.family);
  } catch (error) {
    if (error instanceof NextHopError) throw new Refusal("BAD_REQUEST", error.message);
    throw error;
  }
}

/**
 * One route as asked for (or as saved), with the defaults filled in. Every field is checked here, even
 * those the socket's schema already bounds: the state file is read with the same function, and a bad
 * saved entry must be skipped, never reach the encoders (issue 13: a bogus next hop crash-looped).
 */
export function admitRoute(route: RouteIn | SavedRoute, policy: AdmitPolicy): SocketRoute {
  refuseCommandCheck(route.check, policy);
  if (typeof route.prefix !== "string")
    throw new Refusal("BAD_REQUEST", "prefix: must be a string like 198.51.100.0/24");
  const prefix = prefixOf(route.prefix, policy);
  const owner = ownerOf(route.owner);
  const nextHop = nextHopOf(route.nextHop, prefix);
  return {
    spec: {
      prefix,
      metric: integerIn(route.metric, "metric", 1, 15, 1),
      tag: integerIn(route.tag, "tag", 0, 65535, 0),
      ...(owner ? { owner } : {}),
      ...(nextHop ? { nextHop } : {}),
    },
    ...(route.check ? { check: route.check } : {}),
  };
}

/** A whole announce request, all or nothing: owners must exist, since a route goes when its owner does. */
export function admitRoutes(
  routes: readonly RouteIn[],
  policy: AdmitPolicy,
  interfaces: ReadonlySet<string>,
): SocketRoute[] {
  const admitted = routes.map((route) => admitRoute(route, policy));
  const missing = admitted.find(({ spec }) => spec.owner !== undefined && !interfaces.has(spec.owner));
  if (missing) {
    throw new Refusal(
      "BAD_REQUEST",
      `owner ${missing.spec.owner} does not exist; an owned route is withdrawn when its interface goes, so it must exist first`,
    );
  }
  return admitted;
}

/**
 * The table keys of the prefixes to withdraw, all checked before any is withdrawn. Any well-formed
 * prefix may be withdrawn, even one the policy no longer admits (the default route included).
 */
export function withdrawalKeys(prefixes: readonly string[]): string[] {
  return prefixes.map((text) => prefixOf(text, { allowDefault: true }).text);
}
