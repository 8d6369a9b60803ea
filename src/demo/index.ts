export { runDemo } from "./demo.js";
export type { GatewayKind } from "./gateways.js";
