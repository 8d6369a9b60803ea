/** `riplet hook up|down IFNAME`: the command-line face of host/hook.ts (SPEC §6). */
import { Command } from "commander";
import { DEFAULT_CONFIG_PATH } from "../../daemon/config.js";
import { type HookContext, hookDown, hookUp } from "../../host/hook.js";
import type { CliIo } from "../io.js";

export function hookCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  const hook = new Command("hook")
    .summary("what the QEMU/libvirt tap scripts run")
    .description("Called by hooks/qemu-ifup and hooks/qemu-ifdown with the tap's name.")
    .option(
      "-c, --config <file>",
      "daemon config (taps.<ifname>.addresses, and to start the daemon)",
      process.env.RIPLET_CONFIG ?? DEFAULT_CONFIG_PATH,
    )
    .addHelpText(
      "after",
      `
Addresses for the tap: RIPLET_ADDRESSES (e.g. "198.51.100.1/24,2001:db8:42::1/64"), else
taps.<ifname>.addresses in the config. QEMU:
  -netdev tap,id=n0,ifname=tap0,script=hooks/qemu-ifup,downscript=hooks/qemu-ifdown`,
    );
  const context = (ifname: string): HookContext => ({
    ifname,
    config: hook.opts<{ config: string }>().config,
    socket: socket(),
    env: process.env,
  });
  hook
    .command("up")
    .description("bring the tap up, address it, turn on forwarding, announce its networks (owner = the tap)")
    .argument("<ifname>", "the tap QEMU created")
    .action(async (ifname: string) => setExit(await hookUp(context(ifname), io)));
  hook
    .command("down")
    .description("withdraw the tap's routes and remove its addresses; always exits 0 within 2 s")
    .argument("<ifname>", "the tap QEMU is closing")
    .action(async (ifname: string) => setExit(await hookDown(context(ifname), io)));
  return hook;
}
