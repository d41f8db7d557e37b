import type { FastifyPluginAsync } from "fastify";
import {
  createConversationSchema,
  historyQuerySchema,
  markReadSchema,
  parseInput,
  settingsPatchSchema,
} from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { markRead } from "../receipts/receipts.js";
import { history, listSummaries, openConversation, summaryFor, updateSettings } from "./conversations.js";

const HISTORY_LIMIT_DEFAULT = 50;

/** Conversations as each user sees them (summaries), their settings, read position and history. */
export const conversationRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/conversations", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const input = parseInput(createConversationSchema, req.body, "body");
    const opened = await ctx.storage.write((tx) => openConversation(tx, auth.user.id, input, ctx.clock()));
    // The protocol answers with the conversation; the summary (extension) saves a round trip.
    return reply.code(opened.created ? 201 : 200).send({ conversation: opened.summary.conversation, summary: opened.summary });
  });

  app.get("/api/conversations", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { conversations: await ctx.storage.read((r) => listSummaries(r, auth.user.id)) };
  });

  app.get("/api/conversations/:id", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { summary: await ctx.storage.read((r) => summaryFor(r, auth.user.id, idParam(req))) };
  });

  app.patch("/api/conversations/:id/settings", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const patch = parseInput(settingsPatchSchema, req.body, "body");
    return { summary: await ctx.storage.write((tx) => updateSettings(tx, auth.user.id, id, patch, ctx.clock())) };
  });

  app.post("/api/conversations/:id/read", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const { seq } = parseInput(markReadSchema, req.body, "body");
    return { summary: await ctx.storage.write((tx) => markRead(tx, auth.user.id, id, seq, ctx.clock())) };
  });

  app.get("/api/conversations/:id/messages", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const q = parseInput(historyQuerySchema, req.query, "query");
    const messages = await ctx.storage.read((r) => history(r, auth.user.id, id, q.before ?? null, q.limit ?? HISTORY_LIMIT_DEFAULT));
    return { messages };
  });
};
