/**
 * The fuzz targets of issue 13 for the two ways a route reaches the daemon besides a datagram:
 * - control: one line through parseRequest, then what the daemon does with it before any I/O
 *   (admitRoutes, withdrawalKeys, parseTapAddress). Only a Request or a Reply comes back, only a
 *   Refusal or an AddressError is thrown, and every message is one line. Every admitted route encodes
 *   (ripv2Entry / ripngRoute: where a bogus next hop used to throw and stop the daemon), its owner is an
 *   interface name and its next hop passes the shared rule; every accepted tap address is one word.
 * - state: a state file's text through parseState, then each kept route through admitRoute as the
 *   daemon's restore does. parseState never throws; every kept route is admissible and encodes; the
 *   sequence is a 32-bit integer; every verdict's key is a canonical prefix.
 * Inputs: arbitrary text, and valid requests or state files with fields replaced by hostile values.
 */
import fc from "fast-check";
import { isReply, parseRequest, type Reply, type Request } from "../src/control/protocol.js";
import { type AdmitPolicy, admitRoute, admitRoutes, Refusal, withdrawalKeys } from "../src/daemon/admit.js";
import type { SocketRoute } from "../src/daemon/route-store.js";
import { parseState } from "../src/daemon/state.js";
import { AddressError, IFNAME, parseTapAddress } from "../src/host/addresses.js";
import { nextHopProblem } from "../src/speaker/next-hop.js";
import { parsePrefix } from "../src/speaker/prefix.js";
import type { LinkState } from "../src/speaker/types.js";
import { ripngRoute, ripv2Entry } from "../src/speaker/updates.js";
import { check, type FuzzTarget, target } from "./fuzz-check.js";

const LINK: LinkState = { name: "eth0", ipv4: [{ address: "192.0.2.2", prefixLength: 24 }], mtu: 1500 };
const TAPS: ReadonlySet<string> = new Set(["tap0", "vnet3"]);
const WIDE: AdmitPolicy = { allowDefault: true, allowCommandChecks: true };
const NARROW: AdmitPolicy = {
  allowDefault: false,
  allowCommandChecks: false,
  allow: [parsePrefix("198.51.100.0/22"), parsePrefix("2001:db8::/32")],
};

/** Values that once got through somewhere, or sit on an edge of a rule. */
const HOSTILE: readonly unknown[] = [
  "bogus",
  "",
  "224.0.0.1",
  "255.255.255.255",
  "0.0.0.0",
  "169.254.1.1",
  "fe80::1",
  "fe80::1%eth0",
  "fe80::1%eth0\nx",
  "2001:db8::1",
  "192.0.2.9",
  "192.0.2.9 ",
  "198.51.100.128/25",
  "2001:db8:42::/48",
  "::ffff:127.0.0.0/104",
  "::ffff:0.0.0.0/96",
  "::/128",
  "fec0::/10",
  "169.254.0.0/16",
  "::/0",
  "1.1.1.1/24/x",
  "198.51.100.1/24\naddr flush dev eth0",
  "198.51.100.1/24",
  "2001:db8:42::1/64",
  "tap0",
  "tap0\n",
  "../../etc",
  "eth0",
  "__proto__",
  "127.0.0.1:99999",
  0,
  -1,
  1.5,
  15,
  16,
  65536,
  2 ** 32,
  2 ** 40,
  null,
  true,
  [],
  {},
];

const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
);

const goodRoute = fc.record(
  {
    prefix: fc.constantFrom("198.51.100.0/24", "2001:db8:42::/48", "203.0.113.7/32"),
    metric: fc.integer({ min: 1, max: 15 }),
    tag: fc.integer({ min: 0, max: 65535 }),
    owner: fc.constantFrom("tap0", "vnet3"),
    nextHop: fc.constantFrom("192.0.2.9", "fe80::1"),
    check: fc.constantFrom({ tcp: "127.0.0.1:80" }, { command: "true" }, { http: "http://[::1]/" }),
  },
  { requiredKeys: ["prefix"] },
);

/** `value` with up to three fields (at any depth) replaced by hostile values, removed, or added. */
function mutate(value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const edit = fc.tuple(fc.nat(), fc.constantFrom("set", "drop", "add"), hostile);
  return fc.tuple(value, fc.array(edit, { maxLength: 3 })).map(([v, edits]) => {
    const copy = structuredClone(v);
    for (const [pick, kind, replacement] of edits) edit1(copy, pick, kind, structuredClone(replacement));
    return copy;
  });
}

function edit1(root: unknown, pick: number, kind: string, replacement: unknown): void {
  const holders: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    holders.push(v as Record<string, unknown>);
    for (const child of Object.values(v)) walk(child);
  };
  walk(root);
  const holder = holders[pick % Math.max(1, holders.length)];
  if (!holder) return;
  const keys = Object.keys(holder);
  const key = keys[pick % Math.max(1, keys.length)] ?? "x";
  if (kind === "drop") delete holder[key];
  else if (kind === "add") holder[`k${pick % 7}`] = replacement;
  else holder[key] = replacement;
}

const goodRequest = fc.oneof(
  fc.record({
    id: fc.nat(),
    op: fc.constant("announce"),
    routes: fc.array(goodRoute, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    id: fc.nat(),
    op: fc.constant("withdraw"),
    prefixes: fc.array(fc.constantFrom(...HOSTILE.filter((h) => typeof h === "string")), { maxLength: 3 }),
  }),
  fc.record({ id: fc.nat(), op: fc.constant("withdraw"), owner: fc.constant("tap0") }),
  fc.record({
    id: fc.nat(),
    op: fc.constant("hook"),
    action: fc.constantFrom("up", "down"),
    ifname: fc.constant("tap0"),
    addresses: fc.array(fc.constantFrom("198.51.100.1/24", "2001:db8:42::1/64"), { maxLength: 2 }),
  }),
  fc.constantFrom({ id: 1, op: "routes" }, { id: 2, op: "status" }, { id: 3, op: "reload" }),
);

const controlLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 4, arbitrary: mutate(goodRequest).map((v) => JSON.stringify(v) ?? "") },
);

const oneLine = (text: string) => !text.includes("\n") && !text.includes("\r");

/** Runs `fn`; a Refusal or AddressError is an answer (its message one line), anything else a finding. */
function answered<T>(where: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Refusal || error instanceof AddressError) {
      check(oneLine(error.message), `${where}: a refusal is one line`, () => JSON.stringify(error.message));
      return undefined;
    }
    throw error;
  }
}

/** What holds for every route the daemon accepted: it encodes, and each field passes its rule. */
function admissible(where: string, route: SocketRoute): void {
  const { spec } = route;
  const announced = { ...spec, state: "active" as const, changedAt: 0 };
  if (spec.prefix.family === "ipv4") ripv2Entry(announced, LINK);
  else ripngRoute(announced);
  check(spec.owner === undefined || IFNAME.test(spec.owner), `${where}: owner is an interface name`, () =>
    JSON.stringify(spec.owner),
  );
  const hop = spec.nextHop === undefined ? null : nextHopProblem(spec.nextHop, spec.prefix.family);
  check(hop === null, `${where}: the next hop passes the shared rule`, () => String(hop));
  check(Number.isInteger(spec.metric) && spec.metric >= 1 && spec.metric <= 15, `${where}: metric 1-15`, () =>
    String(spec.metric),
  );
}

function runRequest(request: Request): void {
  if (request.op === "announce") {
    for (const policy of [WIDE, NARROW]) {
      const routes = answered("admitRoutes", () => admitRoutes(request.routes, policy, TAPS));
      for (const route of routes ?? []) admissible("admitRoutes", route);
    }
  } else if (request.op === "withdraw" && request.prefixes) {
    const keys = answered("withdrawalKeys", () => withdrawalKeys(request.prefixes ?? []));
    for (const key of keys ?? [])
      check(parsePrefix(key, { allowDefault: true }).text === key, "key is canonical", () => key);
  } else if (request.op === "hook") {
    for (const text of request.addresses ?? []) {
      const address = answered("parseTapAddress", () => parseTapAddress(text));
      if (address)
        check(
          /^[0-9A-Fa-f.:]+\/\d{1,3}$/.test(address.cidr),
          "a tap address is one word for ip -batch",
          () => address.cidr,
        );
    }
  }
}

function runControl(line: string): void {
  const parsed: Request | Reply = parseRequest(line);
  if (isReply(parsed)) {
    check(!parsed.ok, "a Reply from parseRequest is an error", () => JSON.stringify(parsed));
    if (!parsed.ok)
      check(oneLine(parsed.error.message), "an error reply is one line", () => parsed.error.message);
    return;
  }
  runRequest(parsed);
}

const savedRoute = mutate(goodRoute);
const stateText: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 4,
    arbitrary: mutate(
      fc.record({
        version: fc.constant(1),
        sequence: fc.oneof(fc.nat(), fc.constantFrom(0xffffffff, 2 ** 32, 2 ** 40, -1, 1.5, "7")),
        routes: fc.array(savedRoute, { maxLength: 4 }),
        health: fc.dictionary(
          fc.constantFrom("198.51.100.0/24", "__proto__", "x", "::/0"),
          fc.constantFrom("healthy", "failing", "sideways"),
        ),
      }),
    ).map((v) => JSON.stringify(v) ?? ""),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string(), fc.nat()).map(([s, n]) => JSON.stringify({ routes: [s] }).slice(0, n)),
  },
);

function runState(text: string): void {
  const { state, problems } = parseState(text, "state.json");
  for (const problem of problems) check(oneLine(problem), "a state problem is one line", () => problem);
  const { sequence } = state;
  check(Number.isInteger(sequence) && sequence >= 0 && sequence <= 0xffffffff, "sequence is 32-bit", () =>
    String(sequence),
  );
  for (const saved of state.routes) {
    // what parseState kept must be admissible under the widest policy...
    admissible("parseState", admitRoute(saved, WIDE));
    // ...and today's policy may refuse it, but only with a Refusal (the daemon's restore logs it)
    const narrow = answered("restore", () => admitRoute(saved, NARROW));
    if (narrow) admissible("restore", narrow);
  }
  for (const key of Object.keys(state.health ?? {}))
    check(
      parsePrefix(key, { allowDefault: true }).text === key,
      "a verdict's key is a canonical prefix",
      () => key,
    );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function textTarget(name: string, input: fc.Arbitrary<string>, run: (text: string) => void): FuzzTarget {
  return target<string>({
    name,
    input,
    run,
    toBytes: (text) => encoder.encode(text),
    fromBytes: (bytes) => decoder.decode(bytes),
  });
}

export function controlTargets(): FuzzTarget[] {
  return [textTarget("control", controlLine, runControl), textTarget("state", stateText, runState)];
}
