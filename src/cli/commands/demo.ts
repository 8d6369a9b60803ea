/** `riplet demo`: the embedded end-to-end demonstration (SPEC §7). */
import { Command, Option } from "commander";
import { type GatewayKind, runDemo } from "../../demo/index.js";
import { type CliIo, EXIT_FAILED, EXIT_OK } from "../io.js";
import { parseInteger } from "../options.js";

export function demoCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("demo")
    .summary("watch a VM's subnet get routed and withdrawn, in a throw-away lab")
    .description(
      "Builds namespaces for a host and its gateway, starts a gateway, starts a VM through the real QEMU hook path, and narrates what riplet does with the measured milliseconds. The VM is a real Linux guest when linux-image-cloud-amd64 and busybox-static are installed (addressed by riplet's DHCP and RAs when dnsmasq-base is), else QEMU without a guest, else a plain tap; the demo says which. Needs root; leaves nothing behind.",
    )
    .addOption(
      new Option("--gateway <kind>", "who plays the gateway")
        .choices(["riplet", "frr", "bird"])
        .default("riplet"),
    )
    .option("--no-qemu", "use a plain tap and the hooks even when QEMU is installed")
    .option("--no-guest", "QEMU without a guest (-machine none) even when the guest kernel is installed")
    .option("--timeout <seconds>", "how long to wait for each step", "15")
    .option("--json", "one JSON object per step")
    .addHelpText("after", "\nExamples:\n  sudo riplet demo\n  sudo riplet demo --gateway frr")
    .action(
      async (options: {
        gateway: GatewayKind;
        qemu: boolean;
        guest: boolean;
        timeout: string;
        json?: boolean;
      }) => {
        const timeoutMs = parseInteger("--timeout", options.timeout, 1, 600) * 1000;
        if (process.getuid?.() !== 0) {
          io.err("riplet demo: needs root (network namespaces, port 520): sudo npm run demo");
          return setExit(EXIT_FAILED);
        }
        const abort = new AbortController();
        const off = io.onSignal(["SIGINT", "SIGTERM"], () => abort.abort());
        try {
          await runDemo(
            {
              gateway: options.gateway,
              qemu: options.qemu ? "auto" : "never",
              guest: options.guest,
              timeoutMs,
              signal: abort.signal,
            },
            {
              say: (event, text, data) =>
                io.out(options.json ? JSON.stringify({ event, text, ...data }) : text),
            },
          );
          setExit(EXIT_OK);
        } catch (error) {
          io.err(
            `riplet demo: ${abort.signal.aborted ? "interrupted; the lab was removed" : (error as Error).message}`,
          );
          setExit(EXIT_FAILED);
        } finally {
          off();
        }
      },
    );
}
