import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import {
  addMembersSchema,
  conversationPatchSchema,
  createConversationSchema,
  historyQuerySchema,
  idSchema,
  markReadSchema,
  parseInput,
  settingsPatchSchema,
} from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { Tokens } from "./caps.js";
import { history, listSummaries, openConversation, othersNamed, summaryFor, updateSettings } from "./conversations.js";
import { acceptRequest, addMembers, leaveGroup, newcomers, removeMember, renameGroup } from "./groups.js";
import { readConversation } from "./read.js";

const HISTORY_LIMIT_DEFAULT = 50;
const memberParams = z.object({ id: idSchema, userId: idSchema });

/** Conversations as each user sees them (summaries), their settings, read position and history; groups' members and names. */
export const conversationRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  const { conversationsPerUser, membersAddedPerUser } = ctx.limits;

  app.post("/api/conversations", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const userId = auth.user.id;
    const input = parseInput(createConversationSchema, req.body, "body");
    const created = await Tokens.take(conversationsPerUser, userId, 1, "new conversations");
    const added = await created.spend(() =>
      Tokens.take(membersAddedPerUser, userId, input.type === "group" ? othersNamed(userId, input.memberIds).length : 0, "members added"),
    );
    const opened = await created.spend(() => added.spend(() => ctx.storage.write((tx) => openConversation(tx, userId, input, ctx.clock()))));
    // An existing direct or item chat was not created: it counts for nothing.
    if (!opened.created) await created.giveBack();
    // The protocol answers with the conversation; the summary (extension) saves a round trip.
    return reply.code(opened.created ? 201 : 200).send({ conversation: opened.summary.conversation, summary: opened.summary });
  });

  app.patch("/api/conversations/:id", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const { title } = parseInput(conversationPatchSchema, req.body, "body");
    return { summary: await ctx.storage.write((tx) => renameGroup(tx, auth.user.id, id, title, ctx.clock())) };
  });

  app.post("/api/conversations/:id/members", async (req) => {
    const auth = await requireAuth(ctx, req);
    const userId = auth.user.id;
    const id = idParam(req);
    const { userIds } = parseInput(addMembersSchema, req.body, "body");
    // Only the group's managers get as far as the cap; people already in cost nothing (a read now; the write settles who really joined).
    const joining = (await ctx.storage.read((r) => newcomers(r, userId, id, userIds))).length;
    const tokens = await Tokens.take(membersAddedPerUser, userId, joining, "members added");
    const result = await tokens.spend(() => ctx.storage.write((tx) => addMembers(tx, userId, id, userIds, ctx.clock())));
    await tokens.giveBack(joining - result.added);
    return { summary: result.summary };
  });

  app.delete("/api/conversations/:id/members/:userId", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { id, userId } = parseInput(memberParams, req.params, "path");
    return { summary: await ctx.storage.write((tx) => removeMember(tx, auth.user.id, id, userId, ctx.clock())) };
  });

  app.post("/api/conversations/:id/leave", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    await ctx.storage.write((tx) => leaveGroup(tx, auth.user.id, id, ctx.clock()));
    return reply.code(204).send();
  });

  app.post("/api/conversations/:id/accept", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    return { summary: await ctx.storage.write((tx) => acceptRequest(tx, auth.user.id, id, ctx.clock())) };
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
    return { summary: await ctx.storage.write((tx) => readConversation(tx, auth.user.id, id, seq, ctx.clock())) };
  });

  app.get("/api/conversations/:id/messages", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const q = parseInput(historyQuerySchema, req.query, "query");
    const messages = await ctx.storage.read((r) => history(r, auth.user.id, id, q.before ?? null, q.limit ?? HISTORY_LIMIT_DEFAULT));
    return { messages };
  });
};
