/**
 * Courier wire protocol version.
 *
 * History (newest first):
 * - 1 (2026-11-22): first version — auth, devices, items, conversations,
 *   messages, orders, sync (pull / snapshot / ack / hello / push) over
 *   socket.io. Extensions beyond ../shared/design/protocol.md are marked
 *   "extension" where they are declared.
 */
export const PROTOCOL_VERSION = 1;
