import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierError, type SettingsPatch } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import { NetworkError } from "../../api/errors.js";
import { CourierDb } from "../../db/database.js";
import { summary } from "../../db/test-fixtures.js";
import { i18n } from "../../i18n/index.js";
import { useToasts } from "../shell/toasts.js";
import { changeSettings, changeSettingsOrSay } from "./settings-change.js";

let db: CourierDb;
const sent: [string, SettingsPatch][] = [];
/** The server's answer, decided per test: the PATCH itself is the only thing this client part does over the network. */
let answer: (patch: SettingsPatch) => Promise<void>;
const api = {
  async updateSettings(id: string, patch: SettingsPatch) {
    sent.push([id, patch]);
    await answer(patch);
    return summary(id);
  },
} as unknown as Api;

beforeEach(async () => {
  db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.conversations.put(summary("c1", { pinned: false, remark: "", label: "Work" }));
  sent.length = 0;
  answer = async () => {};
  useToasts.setState({ toasts: [] });
});
afterEach(async () => {
  await db.delete();
});

describe("changing a conversation's settings", () => {
  it("shows the change on this device before the server answers", async () => {
    let whileSending: unknown;
    answer = async () => void (whileSending = await db.conversations.get("c1"));
    await changeSettings({ db, api }, "c1", { pinned: true, label: "Family" });
    expect(sent).toEqual([["c1", { pinned: true, label: "Family" }]]);
    expect(whileSending).toMatchObject({ pinned: true, label: "Family" });
    expect(await db.conversations.get("c1")).toMatchObject({ pinned: true, label: "Family" });
  });

  it("puts back what it changed when the server refuses, and says why in a toast", async () => {
    answer = async () => {
      throw new CourierError("forbidden", "You are not in this conversation.");
    };
    expect(await changeSettingsOrSay({ db, api }, "c1", { pinned: true, remark: "Boss" }, "pin", "Peer")).toBe(false);
    expect(await db.conversations.get("c1")).toMatchObject({ pinned: false, remark: "", label: "Work" });
    expect(useToasts.getState().toasts.map((t) => t.text)).toEqual(["Couldn't pin “Peer”: You are not in this conversation."]);
  });

  it("says the failure in Chinese, one whole sentence, the reason by its code", async () => {
    answer = async () => {
      throw new CourierError("forbidden", "You are not in this conversation.");
    };
    await i18n.changeLanguage("zh");
    try {
      expect(await changeSettingsOrSay({ db, api }, "c1", { archived: true }, "archive", "Peer")).toBe(false);
    } finally {
      await i18n.changeLanguage("en");
    }
    const [text] = useToasts.getState().toasts.map((t) => t.text);
    expect(text).toMatch(/^无法归档“Peer”：/);
    expect(text).not.toContain("You are not");
  });

  it("keeps a newer value another device sent meanwhile when rolling back", async () => {
    answer = async () => {
      // The conv entry of a change made on my phone lands while this request fails.
      const s = (await db.conversations.get("c1"))!;
      await db.conversations.put({ ...s, label: "Phone's label" });
      throw new NetworkError();
    };
    await expect(changeSettings({ db, api }, "c1", { pinned: true, label: "Family" })).rejects.toBeInstanceOf(NetworkError);
    expect(await db.conversations.get("c1")).toMatchObject({ pinned: false, label: "Phone's label" });
  });

  it("refuses a patch the wire schema refuses, sending and changing nothing", async () => {
    for (const patch of [{}, { remark: "x".repeat(101) }, { label: "a\u202Eb" }, { pinned: "yes" }] as SettingsPatch[]) {
      await expect(changeSettings({ db, api }, "c1", patch)).rejects.toMatchObject({ code: "bad_request" });
    }
    expect(sent).toEqual([]);
    expect(await db.conversations.get("c1")).toMatchObject({ pinned: false, remark: "", label: "Work" });
  });
});
