/**
 * No orphans (issue 13 item 8): the `ip monitor link` child dies with the daemon, even when the daemon
 * is killed with SIGKILL. The module is loaded in a real child Node.js process (transpiled on the fly:
 * it has no imports but node:child_process), which is then killed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { monitorArgv, setprivHasPdeathsig } from "../../src/host/link-monitor.js";

const SOURCE = join(import.meta.dirname, "../../src/host/link-monitor.ts");
const hasIp = existsSync("/usr/sbin/ip") || existsSync("/sbin/ip") || existsSync("/usr/bin/ip");

function childScript(): string {
  const dir = mkdtempSync(join(tmpdir(), "riplet-linkmon-"));
  const js = ts.transpileModule(readFileSync(SOURCE, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(join(dir, "link-monitor.mjs"), js);
  const main = join(dir, "main.mjs");
  writeFileSync(
    main,
    `import { monitorLinks } from "./link-monitor.mjs";
const m = monitorLinks(() => {}, (e) => console.error(e));
const wait = () => (m.pid ? console.log(m.pid) : setTimeout(wait, 10));
wait();
setInterval(() => {}, 1000);
`,
  );
  return main;
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

describe("link monitor", () => {
  it("is started under setpriv --pdeathsig TERM when setpriv supports it", () => {
    const argv = monitorArgv();
    if (setprivHasPdeathsig()) expect(argv.slice(0, 4)).toEqual(["setpriv", "--pdeathsig", "TERM", "--"]);
    expect(argv.slice(-4)).toEqual(["ip", "-o", "monitor", "link"]);
  });

  it.skipIf(!hasIp || !setprivHasPdeathsig())(
    "the ip child is gone within a second of the daemon being SIGKILLed",
    async () => {
      const parent = spawn(process.execPath, [childScript()], { stdio: ["ignore", "pipe", "inherit"] });
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once("data", (chunk) => resolve(Number(String(chunk).trim())));
        parent.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
      });
      expect(alive(pid)).toBe(true);
      parent.kill("SIGKILL");
      await expect.poll(() => alive(pid), { timeout: 1000, interval: 20 }).toBe(false);
    },
  );
});
