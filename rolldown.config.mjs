// Bundles the CLI that tsc built (dist/src) into dist/cli, so a command a person types links a few
// chunks instead of resolving and reading each of riplet's ES modules (issue 16; docs/BENCHMARKS.md
// "CLI start-up"). Dynamic imports stay dynamic: each command is its own chunk, loaded only when run.
// dist/src stays as tsc built it: the daemon's config child and the tests run those files.
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
  input: { main: "dist/src/cli/main.js", "hook-main": "dist/src/cli/hook-main.js" },
  platform: "node",
  // commander and valibot, which client commands load, are bundled (their module loading was a share
  // of start-up); pino, yaml and prom-client stay in node_modules, loaded when and as they were.
  external: /^(node:|pino|yaml|prom-client)/,
  plugins: [ownUrls, manifest],
  output: {
    dir: "dist/cli",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    cleanDir: true,
  },
});
