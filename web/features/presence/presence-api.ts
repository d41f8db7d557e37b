import {
  PRESENCE_SETTINGS_PATH,
  presenceSettingsSchema,
  type PresenceSettings,
  presenceViewSchema,
  type PresenceView,
} from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";

/** Presence routes (docs/protocol.md, "Presence and location"). */
export function fetchPresence(api: Api, userId: string): Promise<PresenceView> {
  return api.http.request("GET", `/api/users/${encodeURIComponent(userId)}/presence`, { schema: presenceViewSchema });
}

export function fetchPresenceSettings(api: Api): Promise<PresenceSettings> {
  return api.http.request("GET", PRESENCE_SETTINGS_PATH, { schema: presenceSettingsSchema });
}

export function savePresenceSettings(api: Api, settings: PresenceSettings): Promise<PresenceSettings> {
  return api.http.request("PATCH", PRESENCE_SETTINGS_PATH, { body: settings, schema: presenceSettingsSchema });
}
