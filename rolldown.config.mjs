// Bundles the CLI that tsc built (dist/src) into dist/cli, so a command a person types loads a few
// chunks instead of resolving and reading each of riplet's ES modules (issue 16; docs/BENCHMARKS.md
// "CLI start-up"). Dynamic imports stay dynamic: each command is its own chunk, loaded only when run.
// The chunks are CommonJS (.cjs), as is bin/riplet.js (bin/package.json): Node.js 20 starts its ES
// module loader (resolve, link, evaluate jobs) for any ES module it runs, a fixed ~6 ms per command,
// and every chunk cost more linked as an ES module than required (all told ~20 ms of `riplet routes`
// on the idle machine; the code is the same). dist/src stays ES modules as tsc built them: the daemon's
// config child and the tests run those files.
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defineConfig } from "rolldown";

const SRC = resolve("dist/src");
const OUT = resolve("dist/cli");

/**
 * A bundled module's import.meta.url is its chunk's; riplet's modules find files next to them
 * (config-child.js, package.json, bin/riplet.js) from their own, so each keeps the URL of its file
 * in dist/src, written relative to the chunk (all chunks sit in dist/cli) so the tree can move.
 */
const ownUrls = {
  name: "riplet-own-import-meta-url",
  transform(code, id) {
    if (!id.startsWith(`${SRC}/`) || !code.includes("import.meta.url")) return null;
    const rel = relative(OUT, id);
    return code.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
  },
};

/**
 * commander requires node:child_process at load, for git-style subcommands that run other programs;
 * riplet has none. Loading it (and the net, dgram and stream internals it pulls in) was ~3 ms of every
 * command's start-up, so commander gets a stand-in that loads the real module on first use.
 */
const lazyChildProcess = {
  name: "riplet-lazy-child-process",
  transform(code, id) {
    if (!id.includes("/node_modules/commander/lib/command.js")) return null;
    const eager = "require('node:child_process')";
    if (!code.includes(eager)) {
      // a commander that no longer loads it eagerly (or writes it otherwise): look, then adapt or drop this
      this.error(`commander's lib/command.js has no ${eager} any more: see riplet-lazy-child-process`);
    }
    return code.replace(eager, "{ get spawn() { return require('node:child_process').spawn; } }");
  },
};

/** dist/cli/modules.json: which of riplet's modules each chunk holds (test/cli/commands.test.ts). */
const manifest = {
  name: "riplet-chunk-manifest",
  generateBundle(_options, bundle) {
    const chunks = {};
    for (const [file, chunk] of Object.entries(bundle)) {
      if (chunk.type !== "chunk") continue;
      chunks[file] = chunk.moduleIds.map((id) => (id.startsWith("/") ? pathToFileURL(id).href : id)).sort();
    }
    this.emitFile({
      type: "asset",
      fileName: "modules.json",
      source: `${JSON.stringify(chunks, null, 1)}\n`,
    });
  },
};

export default defineConfig({
  input: {
    main: "dist/src/cli/main.js",
    "hook-main": "dist/src/cli/hook-main.js",
    // bin/riplet.js loads this first, then every chunk through it; the trainer fills it at build time
    "code-cache": "dist/src/cli/code-cache.js",
    "code-cache-train": "dist/src/cli/code-cache-train.js",
  },
  platform: "node",
  // commander and valibot, which client commands load, are bundled (their module loading was a share
  // of start-up); pino, yaml and prom-client stay in node_modules, loaded when and as they were.
  external: /^(node:|pino|yaml|prom-client)/,
  plugins: [ownUrls, lazyChildProcess, manifest],
  output: {
    dir: "dist/cli",
    format: "cjs",
    // import() of pino, yaml, prom-client and node: modules becomes require() (all CommonJS or built
    // in): a chunk then needs no ES module loader, and code-cache.ts can compile it as a vm.Script
    dynamicImportInCjs: false,
    entryFileNames: "[name].cjs",
    chunkFileNames: "[name]-[hash].cjs",
    cleanDir: true,
    // JSDoc is most of commander's 100 kB; a chunk without it is read and parsed in less time
    comments: { legal: true, annotation: false, jsdoc: false },
  },
});
