import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type PushPayload, pushPayloadSchema } from "../../../shared/protocol/index.js";
import { call, type Session } from "../../testing/harness.js";
import type { Transport, WireResponse } from "../sender.js";
import { makeSubscriber, type Subscriber } from "./web-push-client.js";

export interface Sent {
  endpoint: string;
  headers: Record<string, string>;
  payload: PushPayload;
}

/**
 * A scripted push service for unit tests (no network): devices subscribe
 * through the API with a fresh subscriber each, and every request the
 * server sends is decrypted and kept in `sent`.
 */
export class ScriptedPushService {
  readonly sent: Sent[] = [];
  private readonly subscribers = new Map<string, Subscriber>();

  /** The transport to hand to PushService (`PushServiceOptions.transport`). */
  readonly transport: Transport = async (endpoint, req): Promise<WireResponse> => {
    const payload = pushPayloadSchema.parse(JSON.parse(this.subscribers.get(endpoint)!.decrypt(req.body!)));
    this.sent.push({ endpoint, headers: req.headers, payload });
    return { status: 201, headers: {} };
  };

  /** Registers a new device of `s` with a push subscription; answers its id and endpoint. */
  async subscribe(app: FastifyInstance, s: Session): Promise<{ deviceId: string; endpoint: string }> {
    const deviceId = randomUUID();
    const subscriber = makeSubscriber(`https://push.example.com/${deviceId}`);
    this.subscribers.set(subscriber.subscription.endpoint, subscriber);
    const res = await call(app, "PUT", `/api/devices/${deviceId}`, {
      token: s.token,
      body: { protocol: 1, capabilities: ["ack"], push: subscriber.subscription },
    });
    if (res.status !== 200) throw new Error(`subscribe: ${res.status} ${JSON.stringify(res.body)}`);
    return { deviceId, endpoint: subscriber.subscription.endpoint };
  }

  /** The payloads sent to one endpoint, in order. */
  to(endpoint: string): PushPayload[] {
    return this.sent.filter((s) => s.endpoint === endpoint).map((s) => s.payload);
  }
}
