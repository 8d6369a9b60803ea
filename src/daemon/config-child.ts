/** Child process of parseTextIsolated (config-text.ts): config text on stdin, Parsed as JSON on stdout. */
import { readFileSync } from "node:fs";
import { type Parsed, parseText } from "./config-text.js";

let reply: Parsed;
try {
  reply = parseText(readFileSync(0, "utf8"));
} catch (error) {
  reply = { ok: false, fault: { line: 1, message: (error as Error).message } };
}
process.stdout.write(JSON.stringify(reply));
