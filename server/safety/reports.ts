import { randomUUID } from "node:crypto";
import { type AdminReport, CourierError, type CreateReport, isGoneMembership, type Report } from "../../shared/protocol/index.js";
import type { ReportCursor, Repos } from "../storage/storage.js";

/**
 * Reports (issue 14, docs/marketplace.md "Safety"): a person tells the
 * admins about a message, a user or a listing they can see. Only what the
 * reporter can see may be reported (anything else is `404`, so a report
 * tells a stranger nothing); a report keeps ids, never a copy of a
 * message's text, so a recall still removes the text everywhere.
 */
export async function createReport(r: Repos, reporterId: string, input: CreateReport, at: number): Promise<Report> {
  const report: Report = { id: randomUUID(), reporterId, type: input.type, targetId: input.id, reason: input.reason, at, ...(input.note ? { note: input.note } : {}) };
  switch (input.type) {
    case "message": {
      const m = await r.messages.get(input.id);
      const me = m ? await r.conversations.member(m.conversationId, reporterId) : null;
      if (!m || !me || isGoneMembership(me.state)) throw CourierError.notFound("No such message.", "message_not_found");
      if (m.kind === "system") throw CourierError.badRequest("A system line can't be reported.");
      if (m.senderId === reporterId) throw CourierError.badRequest("You can't report your own message.");
      report.conversationId = m.conversationId;
      report.senderId = m.senderId;
      break;
    }
    case "user":
      if (input.id === reporterId) throw CourierError.badRequest("You can't report yourself.");
      if (!(await r.users.get(input.id))) throw CourierError.notFound("No such user.", "user_not_found");
      break;
    case "item": {
      const item = await r.items.get(input.id);
      if (!item) throw CourierError.notFound("No such item.", "item_not_found");
      if (item.sellerId === reporterId) throw CourierError.badRequest("You can't report your own listing.");
      break;
    }
  }
  await r.safety.insertReport(report);
  return report;
}

/** A page of reports for admins, newest first, each with its reporter and its target as it is now. */
export async function reportsPage(r: Repos, before: ReportCursor | null, limit: number): Promise<{ reports: AdminReport[]; next: ReportCursor | null }> {
  const reports = await r.safety.reports(before, limit + 1);
  const page = reports.slice(0, limit);
  const users = new Map(
    (await r.users.getMany([...new Set(page.flatMap((p) => [p.reporterId, ...(p.type === "user" ? [p.targetId] : []), ...(p.senderId ? [p.senderId] : [])]))])).map(
      (u) => [u.id, u],
    ),
  );
  const user = (id: string | undefined) => (id === undefined ? null : (users.get(id) ?? null));
  const out: AdminReport[] = [];
  for (const report of page) out.push({ report, reporter: user(report.reporterId), target: await targetOf(r, report, user) });
  const last = page.at(-1);
  return { reports: out, next: reports.length > limit && last ? { at: last.at, id: last.id } : null };
}

async function targetOf(r: Repos, report: Report, user: (id: string | undefined) => AdminReport["reporter"]): Promise<AdminReport["target"]> {
  switch (report.type) {
    case "user":
      return { type: "user", user: user(report.targetId) };
    case "item":
      return { type: "item", item: await r.items.get(report.targetId) };
    case "message":
      return { type: "message", message: await r.messages.get(report.targetId), sender: user(report.senderId) };
  }
}

/** The opaque cursor of the next page: base64url of "at.id". */
export function encodeReportCursor(c: ReportCursor): string {
  return Buffer.from(`${c.at}.${c.id}`, "utf8").toString("base64url");
}

export function decodeReportCursor(text: string): ReportCursor {
  const match = /^(0|[1-9]\d{0,15})\.([\w-]{1,64})$/.exec(Buffer.from(text, "base64url").toString("utf8"));
  const cursor = { at: Number(match?.[1]), id: match?.[2] ?? "" };
  if (!match || !Number.isSafeInteger(cursor.at) || encodeReportCursor(cursor) !== text) throw CourierError.badRequest("cursor is not one from a previous page.");
  return cursor;
}
