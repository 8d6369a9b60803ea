/** Per test file: whatever a failed test left standing is destroyed after the file. */
import { afterAll } from "vitest";
import { destroyAllLabs } from "./lab.js";

afterAll(destroyAllLabs);
