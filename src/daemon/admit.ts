/**
 * What the daemon accepts to announce or withdraw over the socket, and from the state file on start:
 * prefixes the policy admits (SPEC §2), owners that exist, and command checks only where the config
 * allows them. Pure but for the interface list, which is passed in. A refusal carries the control
 * socket's error code and a one-line reason.
 */
import type { ErrorCode, RouteIn } from "../control/protocol.js";
import type { RawCheck } from "../health/config.js";
import { admitPrefix, type Policy } from "../speaker/policy.js";
import { PrefixError } from "../speaker/prefix.js";
import type { SocketRoute } from "./socket-routes.js";
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

/** One route as asked for (or as saved), with the defaults filled in. */
export function admitRoute(route: RouteIn | SavedRoute, policy: AdmitPolicy): SocketRoute {
  refuseCommandCheck(route.check, policy);
  return {
    spec: {
      prefix: prefixOf(route.prefix, policy),
      metric: route.metric ?? 1,
      tag: route.tag ?? 0,
      ...(route.owner ? { owner: route.owner } : {}),
      ...(route.nextHop ? { nextHop: route.nextHop } : {}),
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
