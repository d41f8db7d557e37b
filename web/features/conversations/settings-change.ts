import { CourierError, settingsPatchSchema, type SettingsPatch } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import type { StoredSummary as Summary } from "../../db/records.js";
import { t } from "../../i18n/index.js";
import type { Session } from "../../session.js";
import { showToast } from "../shell/toasts.js";

type Key = keyof SettingsPatch;
type Values = Partial<Pick<Summary, Key>>;

/**
 * Changes my settings of a conversation (pin, remark, label, mute, archive,
 * marked unread) on this device at once, then on the server, whose `conv`
 * entry brings the same change to my other devices. If the server refuses
 * (or can't be reached), what this change set is put back — unless something
 * newer (a `conv` entry from another device) changed it meanwhile — and the
 * error is thrown. The patch is checked with the wire schema first: a bad one
 * changes nothing (400).
 */
export async function changeSettings({ db, api }: Pick<Session, "db" | "api">, conversationId: string, input: SettingsPatch): Promise<void> {
  const parsed = settingsPatchSchema.safeParse(input);
  if (!parsed.success) throw new CourierError("bad_request", parsed.error.issues[0]?.message ?? "Invalid settings.");
  const patch = parsed.data;
  const keys = Object.keys(patch) as Key[];
  const before = await db.transaction("rw", db.conversations, async () => {
    const summary = await db.conversations.get(conversationId);
    if (!summary) throw new CourierError("not_found", "This conversation isn't on this device.");
    await db.conversations.put({ ...summary, ...patch });
    return pick(summary, keys);
  });
  try {
    await api.updateSettings(conversationId, patch);
  } catch (error) {
    await db.transaction("rw", db.conversations, async () => {
      const now = await db.conversations.get(conversationId);
      if (!now) return;
      const ours = keys.filter((k) => now[k] === patch[k]);
      if (ours.length > 0) await db.conversations.put({ ...now, ...pick(before, ours) });
    });
    throw error;
  }
}

function pick(values: Values, keys: Key[]): Values {
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Values;
}

/** What a change from the conversation menu does, to say which one failed. */
export type SettingsAction = "pin" | "unpin" | "markRead" | "markUnread" | "remark" | "label" | "mute" | "unmute" | "archive" | "unarchive";

/**
 * changeSettings, with a failure said in a toast ("Couldn't pin “Ann”: …",
 * one whole sentence per action); resolves whether it was done.
 */
export async function changeSettingsOrSay(session: Pick<Session, "db" | "api">, conversationId: string, patch: SettingsPatch, action: SettingsAction, title: string): Promise<boolean> {
  try {
    await changeSettings(session, conversationId, patch);
    return true;
  } catch (error) {
    showToast(t(`chats.changeFailed.${action}`, { title, error: describeError(error) }));
    return false;
  }
}
