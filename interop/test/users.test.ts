/**
 * Untrusted users (issue 7), with riplet's daemon in network namespaces:
 * - a non-root user cannot use the default 0600 control socket, and can use it through control.group;
 * - against a real FRR gateway, the allow list holds on the CLI, on the hook's perl fast path and on
 *   the Node.js hook path, on a real tap, leaving no address on it and nothing on the gateway.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import {
  createPairLab,
  execRiplet,
  GW_IF,
  HOST_IF,
  holdsNever,
  interopDescribe,
  kernelHasAll,
  kernelHasNone,
  type Lab,
  type PairLab,
  REPO_ROOT,
  RIPLET_BIN,
  startDaemon,
  startGateway,
  waitFor,
} from "../lab/index.js";
import { routeList } from "./hostile-daemon.js";
import { V4 } from "./hostile-lab.js";

/** A daemon in `ns` with its own directory (traversable by everyone: 0755) holding socket and state. */
async function daemonIn(lab: Lab, ns: string, name: string, ifname: string, control: string) {
  const dir = join(lab.dir, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const socket = join(dir, "riplet.sock");
  const config = join(dir, "riplet.yaml");
  writeFileSync(
    config,
    `interfaces: [{ name: ${ifname} }]\ncontrol: { socket: ${socket}${control} }\nstate: ${join(dir, "state.json")}\n`,
  );
  return { socket, config, daemon: await startDaemon(lab, ns, socket, config) };
}

/** `riplet ARGS` as uid/gid 65534 with no supplementary groups. */
function asNobody(lab: Lab, ns: string, socket: string, args: string[]) {
  const argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
  return lab.exec(ns, [...argv, process.execPath, RIPLET_BIN, "--socket", socket, ...args], {
    allowFail: true,
    timeoutMs: 15_000,
  });
}

interopDescribe("untrusted users on the control socket", () => {
  let pair: PairLab | undefined;
  afterAll(() => pair?.lab.destroy());

  it("refuses uid 65534 on the default 0600 socket (exit 3) and lets it in through control.group", async () => {
    const setpriv = spawnSync("sh", ["-c", "command -v setpriv"], { encoding: "utf8" });
    expect(setpriv.status, "setpriv (util-linux) is needed").toBe(0);
    const group = readFileSync("/etc/group", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === "65534")
      ?.split(":")[0];
    expect(group, "a group with gid 65534 in /etc/group").toBeDefined();

    pair = await createPairLab("hostile-users");
    const { lab, host, gw } = pair;
    const closed = await daemonIn(lab, host.ns, "closed", HOST_IF, "");
    const open = await daemonIn(lab, gw.ns, "open", GW_IF, `, group: ${group}, mode: "0660"`);
    expect(statSync(closed.socket).mode & 0o777).toBe(0o600);
    expect(statSync(open.socket)).toMatchObject({ uid: 0, gid: 65534 });
    expect(statSync(open.socket).mode & 0o777).toBe(0o660);

    const refused = await asNobody(lab, host.ns, closed.socket, ["announce", V4]);
    expect({ code: refused.code, stderr: refused.stderr }).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/permission denied/i),
    });
    expect(await routeList(lab, host.ns, closed.socket)).not.toContain(V4);

    const allowed = await asNobody(lab, gw.ns, open.socket, ["announce", V4]);
    expect({ code: allowed.code, stderr: allowed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await routeList(lab, gw.ns, open.socket)).toContain(V4);
    console.log(JSON.stringify({ test: "hostile-users", group, refused: refused.stderr.trim() }));
  });
});

const HOOK_UP = join(REPO_ROOT, "hooks/qemu-ifup");
const REFUSED = "203.0.113.0/24";

/** riplet's daemon on host, its allow list set, with FRR as the gateway. */
interface AllowLab {
  pair: PairLab;
  socket: string;
  config: string;
}

async function allowDaemon(pair: PairLab): Promise<AllowLab> {
  // the gateway's own statics must not include the refused prefix
  await startGateway("frr", pair.lab, pair.gw, { frr: { statics: ["198.18.250.0/24"] } });
  const socket = join(pair.lab.dir, "riplet.sock");
  const config = join(pair.lab.dir, "riplet.yaml");
  writeFileSync(
    config,
    [
      `interfaces: [{ name: ${HOST_IF} }]`,
      "allow: [198.51.100.0/24, 2001:db8:42::/48]",
      `control: { socket: ${socket} }`,
      `state: ${join(pair.lab.dir, "state.json")}`,
      "",
    ].join("\n"),
  );
  await startDaemon(pair.lab, pair.host.ns, socket, config);
  return { pair, socket, config };
}

/** The refused prefix is nowhere: not in riplet's routes, not on the gateway, no address of it on `tap`. */
async function nothingAnywhere({ pair, socket }: AllowLab, tap?: string) {
  const { lab, host, gw } = pair;
  expect(await routeList(lab, host.ns, socket)).not.toContain(REFUSED);
  await holdsNever(async () => !(await kernelHasNone(lab, gw.ns, [REFUSED])), {
    durationMs: 1500,
    what: `${REFUSED} on the gateway`,
  });
  if (tap) {
    const { stdout } = await lab.exec(host.ns, ["ip", "-j", "addr", "show", "dev", tap]);
    const [link] = JSON.parse(stdout) as { addr_info: { local: string }[] }[];
    expect(
      link!.addr_info.map((a) => a.local),
      `addresses on ${tap}`,
    ).not.toContain("203.0.113.1");
  }
}

/** Creates `tap` and runs a hook for it with `addresses` and the daemon's socket and config. */
async function runHook({ pair, socket, config }: AllowLab, argv: string[], tap: string, addresses: string) {
  await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
  const env = {
    ...process.env,
    RIPLET_SOCKET: socket,
    RIPLET_CONFIG: config,
    RIPLET_ADDRESSES: addresses,
    RIPLET_LOG: join(pair.lab.dir, "hook-daemon.log"),
  };
  return pair.lab.exec(pair.host.ns, argv, { env, allowFail: true, timeoutMs: 15_000 });
}

/** The hook refused the prefix: exit 1 and one line naming it. */
function oneLineRefusal(r: { code: number; stderr: string }, tap: string) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(new RegExp(`^riplet hook up ${tap}: .*${REFUSED.replace(/\./g, "\\.")}`));
}

interopDescribe("the allow list on every way in (FRR gateway)", () => {
  let pair: PairLab;
  let a: AllowLab;
  beforeAll(async () => {
    pair = await createPairLab("hostile-allow");
    a = await allowDaemon(pair);
  });
  afterAll(() => pair?.lab.destroy());

  it("`riplet announce` outside the list: exit 2 (PREFIX_NOT_ALLOWED), nothing announced", async () => {
    const { code, stderr } = await execRiplet(pair.lab, pair.host.ns, [
      "--socket",
      a.socket,
      "announce",
      REFUSED,
    ]);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/outside the allow list/);
    const reply = await callDaemon(a.socket, { id: 1, op: "announce", routes: [{ prefix: REFUSED }] });
    expect(reply).toMatchObject({ ok: false, error: { code: "PREFIX_NOT_ALLOWED" } });
    await nothingAnywhere(a);
  });

  it("hooks/qemu-ifup with the daemon running (perl fast path): exit 1, one line, the tap left bare", async () => {
    const r = await runHook(a, [HOOK_UP, "tapf"], "tapf", "203.0.113.1/24");
    oneLineRefusal(r, "tapf");
    await nothingAnywhere(a, "tapf");
  });

  it("`riplet hook up` (the Node.js hook path): exit 1, one line, the tap left bare", async () => {
    const r = await runHook(
      a,
      [process.execPath, RIPLET_BIN, "hook", "up", "tapn"],
      "tapn",
      "203.0.113.1/24",
    );
    oneLineRefusal(r, "tapn");
    await nothingAnywhere(a, "tapn");
  });

  it("an address inside the list goes through the same hook to the gateway (the checks above can see)", async () => {
    const r = await runHook(a, [HOOK_UP, "tapok"], "tapok", "198.51.100.1/24");
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => kernelHasAll(pair.lab, pair.gw.ns, [V4], { [V4]: pair.host.v4 }), {
      timeoutMs: 5000,
      what: `${V4} on the gateway`,
    });
  });
});
