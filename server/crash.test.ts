import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Entry, Message, Summary, User } from "../shared/protocol/index.js";
import { seeded } from "../shared/sync/testing.js";
import { ServerProcess } from "./testing/server-process.js";

/**
 * Crash durability, with the real server in a child process: SIGKILL at a
 * seeded random point while several clients send over HTTP, restart on the
 * same DATA_DIR, and check that nothing the server acknowledged was lost or
 * doubled, that versions stayed contiguous, and that resending what got no
 * answer (same clientMsgId) stores it exactly once.
 */

const SEED = Number(process.env.CRASH_SEED ?? 20_261_122);
const CYCLES = 3;
const ATTEMPTS_PER_CYCLE = 60;
const SENDERS = 4;

interface Session {
  user: User;
  token: string;
}

interface Send {
  clientMsgId: string;
  sender: Session;
  body: string;
  /** The message of the 2xx answer, if one arrived. */
  answered: Message | null;
}

class Api {
  constructor(private readonly proc: ServerProcess) {}

  /** Throws on a network failure (the server died mid-request); answers anything else. */
  async request<T>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.proc.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async ok<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, token, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  send(s: Send): Promise<{ status: number; body: { message: Message } }> {
    return this.request("POST", "/api/messages", s.sender.token, { clientMsgId: s.clientMsgId, conversationId: this.conversationId, kind: "text", body: s.body });
  }

  conversationId = "";
}

async function history(api: Api, token: string): Promise<Message[]> {
  const all: Message[] = [];
  let before: number | null = null;
  for (;;) {
    const query: string = before === null ? "limit=100" : `before=${before}&limit=100`;
    const { messages } = await api.ok<{ messages: Message[] }>("GET", `/api/conversations/${api.conversationId}/messages?${query}`, token);
    all.unshift(...messages);
    if (messages.length < 100) return all;
    before = messages[0]!.seq;
  }
}

async function chatDomain(api: Api, token: string): Promise<{ entries: Entry[]; head: number }> {
  const entries: Entry[] = [];
  for (;;) {
    const page = await api.ok<{ entries: Entry[]; head: number; reset: boolean }>("GET", `/api/sync/chat?after=${entries.length}&limit=500`, token);
    expect(page.reset).toBe(false);
    entries.push(...page.entries);
    if (page.entries.length === 0 || entries.length >= page.head) return { entries, head: page.head };
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("crash durability", () => {
  it(`SIGKILL mid-traffic (${CYCLES} cycles, seed ${SEED}) loses no answered send, stores none twice, keeps versions contiguous`, async () => {
    const random = seeded(SEED); // replay a failing run with CRASH_SEED
    // Rate limits off: the test sends as fast as the server answers.
    const proc = await ServerProcess.start({ env: { RATE_SEND_PER_10S: "0", LOG_LEVEL: "error" } });
    const api = new Api(proc);
    try {
      const register = (username: string) => api.ok<Session>("POST", "/api/auth/register", undefined, { username, password: "correct horse" });
      const alice = await register("alice");
      const bob = await register("bob");
      const opened = await api.ok<{ summary: Summary }>("POST", "/api/conversations", alice.token, { type: "direct", peerId: bob.user.id });
      api.conversationId = opened.summary.conversationId;

      const sends: Send[] = [];
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // Killed right after this many answers: other sends are in flight then.
        const killAfter = 20 + Math.floor(random() * (ATTEMPTS_PER_CYCLE - 25));
        let attempts = 0;
        let answers = 0;
        let killing: Promise<void> | null = null;
        /**
         * The kill itself, with one more send on its way: its request leaves
         * as SIGKILL lands, so at least one send per cycle gets no answer and
         * the resend path below always runs.
         */
        let doomed: Promise<unknown> | null = null;
        const kill = (who: Session) => {
          const s: Send = { clientMsgId: randomUUID(), sender: who, body: `cycle ${cycle} #${attempts++} (at the kill)`, answered: null };
          sends.push(s);
          doomed = api.send(s).then(
            (res) => (s.answered = res.status === 201 ? res.body.message : null),
            () => null,
          );
          killing = proc.kill("SIGKILL");
        };
        const sender = async (who: Session) => {
          while (!killing && attempts < ATTEMPTS_PER_CYCLE) {
            const s: Send = { clientMsgId: randomUUID(), sender: who, body: `cycle ${cycle} #${attempts++}`, answered: null };
            sends.push(s);
            let res;
            try {
              res = await api.send(s);
            } catch {
              return; // the server died with this request unanswered
            }
            expect(res.status).toBe(201);
            s.answered = res.body.message;
            if (++answers === killAfter) kill(who);
          }
        };
        await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i % 2 === 0 ? alice : bob)));
        expect(killing).not.toBeNull();
        await killing;
        await doomed;
        await proc.restart();
      }

      // Each client resends what got no answer, with the same clientMsgId.
      const unanswered = sends.filter((s) => !s.answered);
      let alreadyStored = 0;
      for (const s of unanswered) {
        const res = await api.send(s);
        expect([200, 201]).toContain(res.status);
        if (res.status === 200) alreadyStored++;
        s.answered = res.body.message;
      }
      console.info(`crash test: ${sends.length} sends, ${unanswered.length} unanswered at a kill, ${alreadyStored} of them had been stored`);
      // The path under test ran: every cycle left at least its send at the kill unanswered, and each was resent.
      expect(unanswered.length).toBeGreaterThanOrEqual(CYCLES);
      expect(unanswered.every((s) => s.answered !== null)).toBe(true);
      const resent = await Promise.all(unanswered.map((s) => api.send(s)));
      expect(resent.every((r) => r.status === 200)).toBe(true);

      // History: every send exactly once, seqs 1..N, answers unchanged.
      const messages = await history(api, alice.token);
      expect(messages.map((m) => m.seq)).toEqual(range(sends.length));
      const byClientId = new Map<string, Message[]>();
      for (const m of messages) byClientId.set(`${m.senderId}/${m.clientMsgId}`, [...(byClientId.get(`${m.senderId}/${m.clientMsgId}`) ?? []), m]);
      for (const s of sends) {
        const stored = byClientId.get(`${s.sender.user.id}/${s.clientMsgId}`);
        expect(stored).toHaveLength(1);
        expect(stored![0]).toEqual(s.answered);
        expect(stored![0]!.body).toBe(s.body);
      }

      // Each member's chat domain: versions 1..head, each message once.
      for (const member of [alice, bob]) {
        const { entries, head } = await chatDomain(api, member.token);
        expect(entries.map((e) => e.v)).toEqual(range(head));
        const ids = entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.sort()).toEqual(messages.map((m) => m.id).sort());
      }
    } finally {
      await proc.stop();
    }
  }, 60_000);
});
