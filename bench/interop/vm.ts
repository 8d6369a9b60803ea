/** What every speaker in the latency benchmark shares: the VM plan and the speaker's interface. */
import type { Child } from "../../interop/lab/proc.js";

/** VM number n's subnets and the host's addresses on its tap. */
export interface VmPlan {
  n: number;
  tap: string;
  v4: string;
  v6: string;
}

export function vmPlan(n: number): VmPlan {
  return { n, tap: `tb${n}`, v4: `198.18.${n}.0/24`, v6: `2001:db8:42:${n.toString(16)}::/64` };
}

export interface Speaker {
  kind: string;
  /** argv and environment of the up- or down-script for a VM (run in the host namespace). */
  script(action: "up" | "down", vm: VmPlan): { argv: string[]; env: NodeJS.ProcessEnv };
  /** Its main process, for RSS and CPU. */
  process?: Child;
  stop(): Promise<void>;
}

/** The host's first address in a subnet with a given length: 198.18.3.0/24 → 198.18.3.1/24. */
export function hostAddress(subnet: string, length: number): string {
  const base = subnet.split("/")[0]!;
  return base.includes(":") ? `${base}1/${length}` : `${base.replace(/\.0$/, ".1")}/${length}`;
}
