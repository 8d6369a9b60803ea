/** QEMU with no guest: `-machine none` and one tap netdev, which is all the hooks ever see of a VM. */
import { existsSync } from "node:fs";

export const QEMU = "/usr/bin/qemu-system-x86_64";

/** argv for a guest-less QEMU with `-netdev NETDEV` (e.g. `tap,id=n0,ifname=tap0,script=…`). */
export function qemuArgv(netdev: string): string[] {
  if (!existsSync(QEMU)) throw new Error(`${QEMU} is missing; install it with: npm run setup:interop`);
  return [QEMU, "-machine", "none", "-nodefaults", "-display", "none", "-netdev", netdev];
}
