import type { Api } from "../api/client.js";
import { ConnectionManager } from "./connection-manager.js";
import { PollTransport } from "./poll-transport.js";
import { SseTransport } from "./sse-transport.js";
import type { Transport } from "./transport.js";
import { browserStorage, storageMemory, supportedTransports, type TransportChoice } from "./transport-choice.js";
import { transportLog } from "./transport-log.js";
import { WsTransport } from "./ws-transport.js";
import type { TransportName } from "../../shared/protocol/index.js";

/** The app's connection: every transport this browser can run, behind one ConnectionManager. */
export function createConnection(opts: { deviceId: string; api: Api; choice: TransportChoice }): ConnectionManager {
  const { deviceId, api } = opts;
  const all: Record<TransportName, () => Transport> = {
    // Each records a link it declares dead in the same log as the manager's switches.
    ws: () => new WsTransport({ deviceId, log: transportLog }),
    sse: () => new SseTransport({ deviceId, api, log: transportLog }),
    poll: () => new PollTransport({ deviceId, api, log: transportLog }),
  };
  const factories: Partial<Record<TransportName, () => Transport>> = {};
  for (const name of supportedTransports()) factories[name] = all[name];
  return new ConnectionManager({
    factories,
    choice: opts.choice,
    memory: storageMemory(browserStorage()),
    log: transportLog,
  });
}
