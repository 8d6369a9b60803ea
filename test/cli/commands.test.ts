/**
 * Each command loads only its own module (SPEC §2; issue 15: an idle daemon kept demo, doctor,
 * decode and the VM builder loaded; issue 16: `riplet --version` loaded every command and took 3×
 * node's start-up). The word that names the command is found past the global options.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Help } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANNED_DATAGRAM_HEX, startCannedDaemon } from "../../src/cli/canned-daemon.js";
import {
  type CommandContext,
  commandLoaders,
  commandName,
  commandStandIns,
  helpTerm,
} from "../../src/cli/commands.js";
import { cli } from "../helpers/cli.js";

describe("the command an argv names", () => {
  it("skips global options and their values", () => {
    expect(commandName(["daemon", "-c", "/etc/riplet/riplet.yaml"])).toBe("daemon");
    expect(commandName(["--socket", "/run/x.sock", "--log-level", "debug", "routes", "--json"])).toBe(
      "routes",
    );
    expect(commandName(["--socket=/run/x.sock", "status"])).toBe("status");
    expect(commandName(["--help"])).toBeUndefined();
  });

  it("loads the named command only, every command for completion, none for help or a typo", () => {
    const all = commandLoaders(["completion", "bash"]); // it describes them all
    expect(all.length).toBe(commandStandIns().length);
    expect(commandLoaders(["--socket", "daemon", "routes"])).toHaveLength(1); // "daemon" is the socket path
    expect(commandLoaders(["daemon"])).toHaveLength(1);
    expect(commandLoaders(["help", "daemon"])).toHaveLength(1);
    for (const args of [["--help"], [], ["help"], ["deamon"], ["help", "deamon"]]) {
      expect(commandLoaders(args), args.join(" ")).toEqual([]); // stand-ins list them
    }
  });

  it("a named command still parses its options and global ones", async () => {
    const { code, out } = await cli("--socket", "/nonexistent/riplet.sock", "daemon", "--help");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^Usage: riplet daemon /);
    const typo = await cli("deamon");
    expect(typo.code).toBe(2);
    expect(typo.err.join("\n")).toMatch(/unknown command 'deamon'/);
  });
});

describe("`riplet --help` without loading the commands", () => {
  it("lists each command, in order, with the term and summary its own module gives it", async () => {
    const ctx: CommandContext = {
      io: {
        out: () => {},
        err: () => {},
        readFile: async () => new Uint8Array(),
        onSignal: () => () => {},
        logStream: process.stdout,
      },
      setExit: () => {},
      logLevel: () => "info",
      socket: () => "/nonexistent/riplet.sock",
      root: () => {
        throw new Error("not needed to describe a command");
      },
    };
    const loaded = await Promise.all(commandLoaders(["completion"]).map((load) => load(ctx)));
    const help = new Help();
    const real = loaded.map((c) => [help.subcommandTerm(c), c.summary() || c.description()]);
    const standIns = commandStandIns().map((c) => [helpTerm(c), c.summary()]);
    expect(standIns).toEqual(real);
  });
});

// Which modules a process loaded is only visible from inside it: run the build with a preload that
// names every file require() resolves. bin/riplet.js runs the bundle (rolldown.config.mjs), CommonJS
// chunks of dist/cli, which dist/cli/modules.json maps to the modules each holds, so a chunk that drags
// the daemon into `routes` fails here as the daemon's own module did before the bundle.
const bin = new URL("../../bin/riplet.js", import.meta.url).pathname;
const chunkDir = new URL("../../dist/cli/", import.meta.url);
const built = new URL("modules.json", chunkDir);

/** Each `LOADED url` line of a chunk replaced by one `LOADED url` line per module the chunk holds. */
function unbundle(stderr: string): string {
  const chunks = JSON.parse(readFileSync(built, "utf8")) as Record<string, string[]>;
  return stderr.replace(/^LOADED (\S+)$/gm, (line, url: string) => {
    if (!url.startsWith(chunkDir.href)) return line;
    const held = chunks[url.slice(chunkDir.href.length)];
    if (!held) throw new Error(`${url} is not in dist/cli/modules.json: run npm run build`);
    return held.map((module) => `LOADED ${module}`).join("\n");
  });
}

/** A --require preload that writes `LOADED url` for each module require() resolves (a URL, or node:x). */
function loadTracer(): string {
  const preload = join(mkdtempSync(join(tmpdir(), "riplet-modules-")), "trace.cjs");
  writeFileSync(
    preload,
    `const Module = require("node:module");
const { pathToFileURL } = require("node:url");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolve.apply(this, args);
  process._rawDebug("LOADED " + (file.startsWith("/") ? pathToFileURL(file).href : file));
  return file;
};
`,
  );
  return preload;
}

describe.runIf(existsSync(built))("modules loaded", () => {
  const tracer = loadTracer();
  /** The modules `riplet ARGS` loads, one `LOADED url` a line (async: the fake daemon must answer). */
  const loads = async (...args: string[]) => {
    const run = promisify(execFile)(process.execPath, ["--require", tracer, bin, ...args]);
    const { stderr } = await run.catch((error: { stderr: string }) => error);
    expect(stderr).toMatch(/LOADED .*\/dist\/cli\/main\.cjs/); // the bundle ran, not dist/src
    return unbundle(stderr);
  };

  it("by `riplet daemon` are not demo's, doctor's, decode's or the VM builder's", async () => {
    const daemon = await loads("daemon", "--help");
    expect(daemon).toMatch(/LOADED .*\/cli\/commands\/daemon\.js/);
    expect(daemon).not.toMatch(/LOADED .*\/src\/(demo|doctor|vm|capture)\//);
    expect(daemon).not.toMatch(/LOADED .*\/(yaml|prom-client)\//);
    // and the other way round: `decode` does not load the daemon
    expect(await loads("decode", "--help")).not.toMatch(/LOADED .*\/daemon\/daemon\.js/);
  });

  it("by `riplet --version` are neither commander nor any command", async () => {
    const version = await loads("--version");
    expect(version).toMatch(/LOADED .*\/src\/version\.js/);
    expect(version).not.toMatch(/LOADED .*(\/commander\/|\/cli\/program\.js|\/cli\/commands)/);
  });

  it("by `riplet --help` and a typo are no command's module", async () => {
    for (const args of [["--help"], ["statsu"], ["help"]]) {
      const text = await loads(...args);
      expect(text, args.join(" ")).toMatch(/LOADED .*\/commander\//);
      expect(text, args.join(" ")).not.toMatch(/LOADED .*\/cli\/commands\//);
    }
    const one = await loads("help", "routes");
    expect(one.match(/LOADED .*\/cli\/commands\/\S+/g)).toEqual([expect.stringMatching(/routes\.js$/)]);
  });

  describe("by the client commands, which talk to a daemon or decode a datagram", () => {
    let daemon: Awaited<ReturnType<typeof startCannedDaemon>>;
    beforeAll(async () => {
      daemon = await startCannedDaemon();
    });
    afterAll(() => daemon.close());

    const clients: [string, string[]][] = [
      ["routes", ["routes"]],
      ["status", ["status", "--json"]],
      ["announce", ["announce", "198.51.100.0/24"]],
      ["decode", ["decode", "--hex", CANNED_DATAGRAM_HEX]],
    ];
    it.each(clients)("%s: its own module, no logger, no config parser, no daemon", async (name, args) => {
      const text = await loads("--socket", daemon.socket, ...args);
      expect(text).toMatch(new RegExp(`LOADED .*/cli/commands/${name}\\.js`));
      const commands = text.match(/LOADED .*\/cli\/commands\/\S+/g) ?? [];
      // announce.js also holds withdraw, which it imports for the shared options
      expect(
        commands.every((url) => /\/(announce|withdraw)\.js$/.test(url) || url.endsWith(`/${name}.js`)),
      ).toBe(true);
      expect(text).not.toMatch(/LOADED .*\/(pino|yaml|prom-client)\//);
      expect(text).not.toMatch(/LOADED .*\/src\/(daemon|demo|doctor|vm|guests|transport|host\/hook)/);
      if (name === "decode") expect(text).not.toMatch(/LOADED .*\/(control\/|valibot)/);
      else expect(text).toMatch(/LOADED .*\/control\/replies\.js/); // it did read a reply
    });
  });
});

describe.runIf(existsSync(built))("the bundle", () => {
  it("keeps each module's own URL, so files beside it (config child, package.json, bin) are found", () => {
    const own: string[] = [];
    // rolldown writes import.meta.url in a CommonJS chunk as the chunk file's URL, from __filename
    const chunkUrl = String.raw`require\("url"\)\.pathToFileURL\(__filename\)\.href`;
    for (const file of readdirSync(chunkDir).filter((f) => f.endsWith(".cjs"))) {
      const text = readFileSync(new URL(file, chunkDir), "utf8");
      for (const [, path] of text.matchAll(
        new RegExp(String.raw`new URL\("([^"]+)", ${chunkUrl}\)\.href`, "g"),
      )) {
        const url = new URL(path, new URL(file, chunkDir));
        expect(existsSync(url), `${file}: ${path}`).toBe(true);
        own.push(url.pathname.replace(/.*\/dist\/src\//, ""));
      }
      // any other import.meta.url would be the chunk's, in dist/cli, where none of those files are
      const rest = text.replaceAll(new RegExp(String.raw`new URL\("[^"]+", ${chunkUrl}\)`, "g"), "");
      expect(rest, file).not.toMatch(/import\.meta|__filename/);
      // and no import(): code-cache.ts compiles chunks as vm.Scripts, which have no ES module loader
      expect(text, file).not.toMatch(/\bimport\(/);
    }
    // the YAML child: not found, the daemon would parse YAML in its own heap, silently (config-text.ts)
    expect(own).toContain("daemon/config-text.js");
    expect(existsSync(new URL("../src/daemon/config-child.js", chunkDir))).toBe(true);
    expect(own).toEqual(expect.arrayContaining(["version.js", "host/hook.js"]));
  });
});
