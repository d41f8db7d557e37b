import type { ErrorCode, ErrorReason } from "../../../../shared/protocol/errors.js";

/**
 * What the app says about a failed request. A server answer is described by
 * its code (shared/protocol/errors.ts), so every code the API can answer with
 * has its words here, in every language (the type makes a new code a compile
 * error until it has them).
 */
const codes = {
  bad_request: "That didn't work: something in it isn't right.",
  unauthorized: "Sign in again to continue.",
  forbidden: "You can't do that here.",
  not_found: "It isn't there any more.",
  timeout: "That took too long. Try again.",
  conflict: "Something changed in the meantime. Look again and retry.",
  too_large: "That is too large.",
  unsupported_media_type: "That file isn't a photo Courier can show (JPEG, PNG, WebP or GIF).",
  rate_limited: "Too many tries. Wait a moment and try again.",
  internal: "Something went wrong on the server. Try again.",
  unavailable: "Courier is briefly unavailable. Try again in a moment.",
} satisfies Record<ErrorCode, string>;

/**
 * The words for each reason a server error can carry (shared/protocol/errors.ts
 * ERROR_REASONS, docs/protocol.md): the English is the server's own message.
 * Where that message has a detail in it (seconds, a price, a name, a size),
 * the words here are the sentence without it; English readers see the
 * server's message itself (web/api/errors.ts describeError).
 */
const reasons = {
  wrong_password: "Wrong username or password.",
  username_taken: "That username is taken.",
  common_password: "That password is too commonly used; choose another one (a few unrelated words make a good one).",
  wrong_current_password: "The current password is wrong.",
  session_ended: "Your session has ended; sign in again.",
  signed_out_by_admin: "An administrator signed this device out; sign in again.",
  device_other_account: "This device is signed in to another account.",
  not_member: "You are not a member of this conversation.",
  left_group: "You are no longer a member of this group.",
  group_request_pending: "Accept the group request first.",
  conversation_not_found: "No such conversation.",
  user_not_found: "No such user.",
  group_admin_only: "Only the group's creator or an admin can do that.",
  group_creator_only: "Only the group's creator can remove an admin.",
  group_declined: "Someone you named declined to join this group.",
  group_needs_member: "A group needs at least one other member.",
  group_add_self: "Name someone other than yourself to add.",
  blocked: "You can't message this person.",
  blocked_start: "You can't start a conversation with this person.",
  block_self: "You can't block yourself.",
  message_not_found: "No such message.",
  quote_recalled: "That message was recalled; it can't be quoted.",
  recall_not_sender: "Only the sender can recall a message.",
  recall_offer: "An offer can't be recalled; withdraw it instead.",
  recall_expired: "This message is too old to recall.",
  item_not_found: "No such item.",
  own_listing_chat: "You can't open a chat about your own listing.",
  own_listing_offer: "You can't make an offer on your own listing.",
  own_listing_buy: "You can't buy your own listing.",
  item_sold: "This item is already sold.",
  item_withdrawn: "The seller took this listing down.",
  item_reserved: "The seller has reserved this item.",
  listing_sold: "This item is sold; its listing can't change.",
  listing_seller_only: "Only the seller can change this listing.",
  offer_already_open: "You already have an offer open on this item; withdraw it or wait for the seller's answer.",
  counter_offer_open: "The seller's counter-offer is open; accept, decline or counter it.",
  offer_closed: "This offer is no longer open.",
  price_changed: "The price changed; check it and buy again.",
  cancel_reason_required: "Say why you cancel: the buyer sees it in the chat.",
  unsupported_photo: "Send a photo: a JPEG, PNG, WebP or GIF image.",
  photo_too_large: "This photo is too large to send.",
} satisfies Record<ErrorReason, string>;

export default {
  codes,
  reasons,
  offline: "You appear to be offline. Try again when you're back.",
  unknown: "Something went wrong.",
};
