import type { DropReason } from "../../src/speaker/neighbors.js";
import type { Counters } from "../../src/speaker/speaker.js";
import { type Child, execRiplet, type Lab } from "../lab/index.js";

/** One neighbour in `riplet status --json`. */
export interface NeighborStatus {
  address: string;
  interface: string;
  family: "ipv4" | "ipv6";
  version: number;
  lastHeard: number | null;
  routes: number;
  badPackets: number;
  badRoutes: number;
  drops: Partial<Record<DropReason, number>>;
}

/** `riplet status --json`: the neighbours and the daemon's counters. */
export interface Status {
  neighbors: NeighborStatus[];
  counters: Counters;
}

/** `riplet status --json`; throws if it fails. */
export async function status(lab: Lab, ns: string, socket: string): Promise<Status> {
  const { code, stdout, stderr } = await execRiplet(lab, ns, ["--socket", socket, "status", "--json"]);
  if (code !== 0) throw new Error(`riplet status exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Status;
}

/** All the drops of one neighbour, whatever the reason. */
export const sum = (drops: Partial<Record<DropReason, number>>) =>
  Object.values(drops).reduce((a, b) => a + (b ?? 0), 0);

/** The neighbour with `address` in `family`, if status has one. */
export const neighbor = (s: Status, address: string, family: "ipv4" | "ipv6") =>
  s.neighbors.find((n) => n.address === address && n.family === family);

/** The prefixes of `riplet routes --json`; throws if it fails. */
export async function routeList(lab: Lab, ns: string, socket: string): Promise<string[]> {
  const { code, stdout, stderr } = await execRiplet(lab, ns, ["--socket", socket, "routes", "--json"]);
  if (code !== 0) throw new Error(`riplet routes exited ${code}: ${stderr}`);
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { prefix: string }).prefix);
}

/** How many "dropped packet" lines the daemon has logged so far. */
export const dropLogLines = (daemon: Child) =>
  daemon.jsonLines().filter((l) => l.msg === "dropped packet").length;
