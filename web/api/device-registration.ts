import { PROTOCOL_VERSION, type DeviceRegister } from "../../shared/protocol/index.js";

/**
 * What this browser says about itself in `PUT /api/devices/:id`. Without
 * `push` the server keeps the subscription it has (web/push/ sets or clears it).
 */
export function deviceRegistration(push?: DeviceRegister["push"]): DeviceRegister {
  return {
    protocol: PROTOCOL_VERSION,
    capabilities: ["ack"],
    userAgent: typeof navigator === "undefined" ? undefined : navigator.userAgent.slice(0, 512),
    notification: typeof Notification === "undefined" ? undefined : Notification.permission,
    ...(push === undefined ? {} : { push }),
  };
}
