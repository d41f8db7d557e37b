import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import {
  DOMAINS,
  formatCursor,
  POLL_ENTRIES_MAX,
  POLL_PATH,
  POLL_WAIT_MAX_MS,
  pollQuerySchema,
  type PollResponse,
  type Versions,
  zeroVersions,
} from "../../../shared/protocol/index.js";
import { type Auth, presentedHash, sessionEnded, sessionRefusal } from "../../auth/authenticate.js";
import type { Context, FeatureOptions } from "../../context.js";
import { ack } from "../../sync/service.js";
import { admit, helloFor, sessionAlive } from "../admit.js";
import { InFlight } from "../in-flight.js";
import { type PollPresence, PollPresences } from "./presence.js";
import { type ReadAfter, readAfter } from "./read-after.js";
import { PollWaiter, type Signal } from "./waiter.js";

/**
 * `GET /api/poll?device=&cursor=&wait=`: the long-poll transport.
 *
 *   admit ──▶ ack the cursor (or `ack`) ──▶ join the device's presence (hub) ──▶ read
 *     read: entries or reset ──▶ answer
 *           nothing ──▶ park ──woken──▶ read again
 *                            ──wait elapsed / superseded / shutdown──▶ answer empty
 *                            ──logout / device removed──▶ 401 (if the session is gone)
 */
export const pollRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  const presences = new PollPresences({ hub: ctx.hub, now: Date.now, link: ctx.cluster.link });
  const inFlight = new InFlight();

  // No HEAD twin: a HEAD would park and ack like a GET for nothing.
  app.get(POLL_PATH, { exposeHeadRoute: false }, async (req, reply): Promise<PollResponse> => {
    const { auth, query } = await admit(ctx, req, pollQuerySchema);
    const deviceId = query.device;
    const from = query.cursor ?? zeroVersions();
    const wait = query.wait ?? Math.min(ctx.config.heartbeatMs, POLL_WAIT_MAX_MS);
    reply.header("cache-control", "no-store");
    // The cursor is what the device has applied (unless it says so apart, with `ack`): polling acknowledges it.
    const applied = query.ack ?? from;
    if (DOMAINS.some((d) => applied[d] > 0)) await ack(ctx, auth.user.id, deviceId, { acks: applied }, "poll");

    // Joined before the first read, so an append racing the read wakes us.
    const presence = await presences.enter(auth.user.id, deviceId, auth.sessionId);
    const waiter = new PollWaiter();
    presence.join(waiter);
    inFlight.track(reply.raw);
    reply.raw.once("close", () => waiter.signal("gone"));
    try {
      // Appends on other processes from here on wake us too.
      await ctx.hub.ready(auth.user.id);
      const read = await untilEntries(ctx, req, auth, from, wait, waiter, presence);
      ctx.hub.told(presence, read.heads);
      const ephemeral = presence.takeEphemeral();
      return {
        hello: helloFor(ctx, auth.user.id, deviceId, read.heads, "poll"),
        entries: read.entries,
        heads: read.heads,
        cursor: formatCursor(read.cursor),
        ...(read.reset.length > 0 ? { reset: read.reset } : {}),
        ...(read.close ? { close: { reason: read.close } } : {}),
        ...(ephemeral.length > 0 ? { ephemeral } : {}),
      };
    } finally {
      presence.leave(waiter, wait + ctx.config.pollGraceMs);
    }
  });

  // Parked polls are answered (empty, same cursor) rather than cut: the client polls again elsewhere.
  app.addHook("preClose", async () => {
    presences.closeAll("shutdown");
    await inFlight.settled();
  });
};

/** The 401 of a poll whose session went while it ran: why, when an administrator's `sign_out` took it. */
const ended = async (ctx: Context, req: FastifyRequest) => sessionRefusal(ctx, presentedHash(req), sessionEnded);

/** A read, and why the server ended the device's long-poll connection if it did (too many connections). */
type PollRead = ReadAfter & { close?: "too_many_connections" };

async function untilEntries(
  ctx: Context,
  req: FastifyRequest,
  auth: Auth,
  from: Versions,
  wait: number,
  waiter: PollWaiter,
  presence: Pick<PollPresence, "hasEphemeral">,
): Promise<PollRead> {
  const deadline = Date.now() + wait;
  let sessionChecked = false;
  for (;;) {
    const read = await readAfter(ctx.sync, auth.user.id, from, POLL_ENTRIES_MAX);
    if (waiter.ended) return closing(ctx, req, auth, waiter.ended, read);
    // Someone typing answers a parked poll early too (the answer's `ephemeral`).
    if (read.entries.length > 0 || read.reset.length > 0 || presence.hasEphemeral) return read;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return read;
    // Once per request, before parking: a logout that ran before we joined the hub found nothing to close.
    if (!sessionChecked) {
      if (!(await sessionAlive(ctx, req, auth))) throw await ended(ctx, req);
      sessionChecked = true;
    }
    const signal = await waiter.park(remaining);
    if (signal !== "woken") return closing(ctx, req, auth, signal, read);
  }
}

/**
 * A poll that stops waiting for any reason but an append answers what it
 * has. After a logout or a device removal that revoked the session it is
 * 401 instead, unless it holds entries: those were appended while this poll
 * was parked for the session (an admin's `sign_out` appends its `cmd` and
 * revokes in one write), so they go out and the next poll gets the 401 —
 * as a WebSocket hears the command before its close. A device merely
 * forgotten to make room keeps its session and just polls again (which
 * registers it anew).
 */
async function closing(ctx: Context, req: FastifyRequest, auth: Auth, signal: Signal, read: ReadAfter): Promise<PollRead> {
  if ((signal === "logout" || signal === "device_removed") && !(await sessionAlive(ctx, req, auth))) {
    if (read.entries.length > 0) return read;
    throw await ended(ctx, req);
  }
  // Over the device's or user's cap: say so, so the client stops rather than polling another connection away.
  return signal === "too_many_connections" ? { ...read, close: signal } : read;
}
