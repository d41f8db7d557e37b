/**
 * What push notifications say. The service worker imports this file (and the
 * Chinese one) as plain objects, without i18next (web/sw/push-words.ts); the
 * server writes the same English into `title`/`body` (server/push/payload.ts).
 */
export default {
  newActivity: "You have new activity.",
  photo: "[Photo]",
  photoCaption: "[Photo] {{caption}}",
  chat: {
    direct: {
      title: "New message from {{name}}",
      titleMany: "{{count}} new messages from {{name}}",
    },
    group: {
      title: "New message in {{group}}",
      titleMany: "{{count}} new messages in {{group}}",
      titleUntitled: "New message in your group",
      titleManyUntitled: "{{count}} new messages in your group",
      body: "{{name}}: {{preview}}",
    },
    hidden_one: "Open Courier to read it.",
    hidden_other: "Open Courier to read them.",
  },
  order: {
    title: "Order: {{item}}",
    titleNoItem: "Order: your item",
    titleHidden: "Order update",
    bodyHidden: "Open Courier for details.",
    bought: "{{name}} bought it",
    shipped: "{{name}} marked it as shipped",
    received: "{{name}} confirmed receipt",
    cancelled: "{{name}} cancelled the order",
  },
  offer: {
    title: "Offer: {{item}}",
    titleNoItem: "Offer: your item",
    titleHidden: "Offer update",
    bodyHidden: "Open Courier for details.",
    offered: "{{name}} offered {{price}}",
    countered: "{{name}} countered with {{price}}",
    accepted: "{{name}} accepted your offer of {{price}}",
    declined: "{{name}} declined your offer of {{price}}",
    withdrawn: "{{name}} withdrew the offer of {{price}}",
  },
  follow: {
    title: "{{name}} started following you",
    titleMany: "{{count}} new followers",
    body: "@{{username}}",
    bodyMany: "The latest: {{name}} (@{{username}})",
  },
  recall: {
    body: "{{name}} recalled a message",
    yourGroup: "your group",
  },
  hide: {
    body: "Message deleted",
  },
};
