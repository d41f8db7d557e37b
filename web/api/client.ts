import { z } from "zod";
import {
  type ChangePassword,
  deviceSchema,
  type Device,
  type UpdateMe,
  authResponseSchema,
  conversationSchema,
  itemSchema,
  orderSchema,
  pullResponseSchema,
  PUSH_PREFERENCES_PATH,
  userSchema,
  VAPID_KEY_PATH,
  vapidKeyResponseSchema,
  type AuthResponse,
  type CommandReport,
  type Conversation,
  type CreateConversation,
  type CreateItem,
  type DeviceRegister,
  type Item,
  type LoginRequest,
  type Order,
  type PullRequest,
  type PullResponse,
  type PushPreferences,
  type RegisterRequest,
  type SendRequest,
  type SettingsPatch,
  type UploadedMedia,
  type User,
  type Versions,
} from "../../shared/protocol/index.js";
import { Http } from "./http.js";
import { shrinkForUpload } from "./shrink.js";
import { uploadMedia, type UploadOptions } from "./upload.js";
import {
  anyMessageSchema,
  anySnapshotSchema,
  anySummarySchema,
  type AnyMessage,
  type AnySnapshot,
  type AnySummary,
} from "./lenient.js";
import { lazy } from "../../shared/protocol/lazy.js";

/** A snapshot is the largest answer there is: it gets longer than the default timeout. */
export const SNAPSHOT_TIMEOUT_MS = 60_000;

const userBody = lazy(() => z.object({ user: userSchema }));
const usersBody = lazy(() => z.object({ users: z.array(userSchema) }));
const itemBody = lazy(() => z.object({ item: itemSchema }));
const itemsBody = lazy(() => z.object({ items: z.array(itemSchema) }));
// Messages and summaries are read with the relaxed message kind (lenient.ts).
// extension: the server may add the creator's summary, saving a round trip.
const conversationBody = lazy(() => z.object({ conversation: conversationSchema, summary: anySummarySchema.optional() }));
const summaryBody = lazy(() => z.object({ summary: anySummarySchema }));
const summariesBody = lazy(() => z.object({ conversations: z.array(anySummarySchema) }));
const messageBody = lazy(() => z.object({ message: anyMessageSchema }));
const messagesBody = lazy(() => z.object({ messages: z.array(anyMessageSchema) }));
const orderBody = lazy(() => z.object({ order: orderSchema }));
const searchBody = lazy(() => z.object({ results: z.array(z.object({ message: anyMessageSchema })), before: z.string().optional() }));
const anyBody = lazy(() => z.unknown());
// Answers are read leniently: a newer server may add fields.
const preferencesBody = lazy(() => z.object({ hidePreviews: z.boolean() }));

export interface SearchPageQuery {
  q: string;
  conversationId?: string;
  before?: string;
  limit?: number;
}

export interface SearchPage {
  messages: AnyMessage[];
  /** Present when older results may follow. */
  before?: string;
}

/** Every HTTP route of protocol v1 the web app uses, typed and validated. */
export class Api {
  constructor(readonly http: Http = new Http()) {}

  // auth
  register(req: RegisterRequest): Promise<AuthResponse> {
    return this.http.request("POST", "/api/auth/register", { body: req, schema: authResponseSchema });
  }
  login(req: LoginRequest): Promise<AuthResponse> {
    return this.http.request("POST", "/api/auth/login", { body: req, schema: authResponseSchema });
  }
  async logout(): Promise<void> {
    await this.http.request("POST", "/api/auth/logout");
  }
  async me(): Promise<User> {
    return (await this.http.request("GET", "/api/me", { schema: userBody })).user;
  }
  // account settings (issue 17)
  async updateMe(req: UpdateMe): Promise<User> {
    return (await this.http.request("PATCH", "/api/me", { body: req, schema: userBody })).user;
  }
  async changePassword(req: ChangePassword): Promise<void> {
    await this.http.request("POST", "/api/me/password", { body: req });
  }
  async listDevices(): Promise<Device[]> {
    return (await this.http.request("GET", "/api/devices", { schema: z.object({ devices: z.array(deviceSchema) }) })).devices;
  }
  async removeDevice(deviceId: string): Promise<void> {
    await this.http.request("DELETE", `/api/devices/${encodeURIComponent(deviceId)}`);
  }
  async searchUsers(q: string): Promise<User[]> {
    return (await this.http.request("GET", "/api/users", { query: { q }, schema: usersBody })).users;
  }

  // devices
  async registerDevice(deviceId: string, req: DeviceRegister): Promise<void> {
    await this.http.request("PUT", `/api/devices/${encodeURIComponent(deviceId)}`, { body: req, schema: anyBody });
  }
  /** How a command (`cmd` entry) went on this device (commands/runner.ts). */
  async reportCommand(deviceId: string, commandId: string, report: CommandReport): Promise<void> {
    const path = `/api/devices/${encodeURIComponent(deviceId)}/commands/${encodeURIComponent(commandId)}`;
    await this.http.request("POST", path, { body: report });
  }

  // Web Push
  async vapidKey(): Promise<string> {
    return (await this.http.request("GET", VAPID_KEY_PATH, { schema: vapidKeyResponseSchema })).key;
  }
  pushPreferences(): Promise<PushPreferences> {
    return this.http.request("GET", PUSH_PREFERENCES_PATH, { schema: preferencesBody });
  }
  setPushPreferences(preferences: PushPreferences): Promise<PushPreferences> {
    return this.http.request("PUT", PUSH_PREFERENCES_PATH, { body: preferences, schema: preferencesBody });
  }

  // catalogue and orders
  async listItems(): Promise<Item[]> {
    return (await this.http.request("GET", "/api/items", { schema: itemsBody })).items;
  }
  async getItem(id: string): Promise<Item> {
    return (await this.http.request("GET", `/api/items/${encodeURIComponent(id)}`, { schema: itemBody })).item;
  }
  async createItem(req: CreateItem): Promise<Item> {
    return (await this.http.request("POST", "/api/items", { body: req, schema: itemBody })).item;
  }
  async buy(itemId: string): Promise<Order> {
    return (await this.http.request("POST", "/api/orders", { body: { itemId }, schema: orderBody })).order;
  }
  async advanceOrder(orderId: string, status: "shipped" | "received"): Promise<Order> {
    const path = `/api/orders/${encodeURIComponent(orderId)}`;
    return (await this.http.request("PATCH", path, { body: { status }, schema: orderBody })).order;
  }

  // conversations and messages
  async listConversations(): Promise<AnySummary[]> {
    return (await this.http.request("GET", "/api/conversations", { schema: summariesBody })).conversations;
  }
  createConversation(req: CreateConversation): Promise<{ conversation: Conversation; summary?: AnySummary }> {
    return this.http.request("POST", "/api/conversations", { body: req, schema: conversationBody });
  }
  async updateSettings(conversationId: string, patch: SettingsPatch): Promise<AnySummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/settings`;
    return (await this.http.request("PATCH", path, { body: patch, schema: summaryBody })).summary;
  }
  // groups (docs/groups.md): each answers the caller's summary, which also arrives as a `conv` entry
  async renameGroup(conversationId: string, title: string): Promise<AnySummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}`;
    return (await this.http.request("PATCH", path, { body: { title }, schema: summaryBody })).summary;
  }
  async addMembers(conversationId: string, userIds: string[]): Promise<AnySummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/members`;
    return (await this.http.request("POST", path, { body: { userIds }, schema: summaryBody })).summary;
  }
  async removeMember(conversationId: string, userId: string): Promise<AnySummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(userId)}`;
    return (await this.http.request("DELETE", path, { schema: summaryBody })).summary;
  }
  async acceptRequest(conversationId: string): Promise<AnySummary> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/accept`;
    return (await this.http.request("POST", path, { schema: summaryBody })).summary;
  }
  /** Leaves a group, or declines it while it is a request. */
  async leaveConversation(conversationId: string): Promise<void> {
    await this.http.request("POST", `/api/conversations/${encodeURIComponent(conversationId)}/leave`);
  }
  async history(conversationId: string, before: number | undefined, limit: number): Promise<AnyMessage[]> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages`;
    return (await this.http.request("GET", path, { query: { before, limit }, schema: messagesBody })).messages;
  }
  async markRead(conversationId: string, seq: number): Promise<void> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/read`;
    await this.http.request("POST", path, { body: { seq }, schema: anyBody });
  }
  async send(req: SendRequest): Promise<AnyMessage> {
    return (await this.http.request("POST", "/api/messages", { body: req, schema: messageBody })).message;
  }
  /** `POST /api/media`, with the upload's progress (api/upload.ts); a large camera photo is made smaller first (api/shrink.ts). */
  async uploadMedia(blob: Blob, opts: Pick<UploadOptions, "onProgress" | "signal"> = {}): Promise<UploadedMedia> {
    return uploadMedia(await shrinkForUpload(blob), { ...opts, deviceId: this.http.device, onUnauthorized: this.http.onUnauthorized });
  }
  /** Recalls my own message (within RECALL_WINDOW_MS of its `at`; later `409`): answers the tombstone. */
  async recallMessage(messageId: string): Promise<AnyMessage> {
    return (await this.http.request("POST", `/api/messages/${encodeURIComponent(messageId)}/recall`, { schema: messageBody })).message;
  }
  /** Delete for me: gone from my devices, the others keep it. */
  async hideMessage(messageId: string): Promise<void> {
    await this.http.request("POST", `/api/messages/${encodeURIComponent(messageId)}/hide`);
  }

  // search (docs/protocol.md "Search"): one page, newest first; `before` is the previous page's cursor
  async searchMessages(query: SearchPageQuery, signal?: AbortSignal): Promise<SearchPage> {
    const { results, before } = await this.http.request("GET", "/api/search", { query: { ...query }, schema: searchBody, signal });
    return { messages: results.map((r) => r.message), before };
  }

  // sync
  pull(req: PullRequest): Promise<PullResponse> {
    return this.http.request("GET", `/api/sync/${req.d}`, {
      query: { after: req.after, limit: req.limit, only: req.only },
      schema: pullResponseSchema,
    });
  }
  snapshot(): Promise<AnySnapshot> {
    return this.http.request("GET", "/api/sync/snapshot", { schema: anySnapshotSchema, timeoutMs: SNAPSHOT_TIMEOUT_MS });
  }
  async ack(acks: Partial<Versions>): Promise<void> {
    await this.http.request("POST", "/api/sync/ack", { body: { acks }, schema: anyBody });
  }
}
