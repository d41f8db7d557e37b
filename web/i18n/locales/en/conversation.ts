/** An open conversation: header, messages, the message menu, the composer, system lines, delivery marks. */
export default {
  header: {
    fallbackTitle: "Conversation",
    back: "Back to conversations",
    username: "@{{username}}",
    groupInfo: "Group info",
    mute: "Mute",
    unmute: "Unmute",
  },
  unavailable: "This conversation isn't available.",
  loading: "Loading conversation…",
  removedByAdmin: "This conversation was removed from this device by an administrator.",
  messageGone: "That message isn't available any more.",
  request: {
    label: "Group request",
    addedBy: "{{name}} added you to this group. Accept to chat; they won't know you've read it until then.",
    added: "You were added to this group. Accept to chat; they won't know you've read it until then.",
    accept: "Accept",
    decline: "Decline",
  },
  notice: {
    dismiss: "Dismiss",
    dismissMark: "×",
  },
  /** The message menu. */
  actions: {
    label: "Message actions",
    menuMark: "⋯",
    copy: "Copy text",
    recall: "Recall",
    reply: "Reply",
    goToQuote: "Go to quoted message",
    deleteForMe: "Delete for me",
    deleteQuestion: "Delete this message for you? Others in the chat still see it.",
    recalledBeforeSent: "Recalled before it was sent.",
    copied: "Copied.",
    copyFailed: "Couldn't copy: this browser did not allow it.",
    notRecalled: "Not recalled. {{reason}}",
    notDeleted: "Not deleted. {{reason}}",
    recallNotAllowed: "This server does not allow recalling messages.",
    tooLateSeconds_one: "Too late to recall: messages can be recalled for {{count}} second after they are sent.",
    tooLateSeconds_other: "Too late to recall: messages can be recalled for {{count}} seconds after they are sent.",
    tooLateMinutes_one: "Too late to recall: messages can be recalled for {{count}} minute after they are sent.",
    tooLateMinutes_other: "Too late to recall: messages can be recalled for {{count}} minutes after they are sent.",
  },
  list: {
    label: "Messages",
    loadEarlier: "Load earlier messages",
    empty: "No messages yet. Say hello!",
    latestArrow: "↓",
    latest: "Latest",
    latestNew: "Latest ({{count}} new)",
    recalledByYou: "You recalled a message",
    recalledBy: "{{name}} recalled a message",
    editAgain: "Edit again",
    notSent: "Not sent.",
  },
  /** A reply's quote, and the bar above the composer. */
  quote: {
    deleted: "Deleted message",
    notLoaded: "Message not loaded",
    recalled: "Recalled message",
    system: "Message",
    goTo: "Go to the quoted message: {{text}}",
    goToWho: "Go to the quoted message: {{who}}, {{text}}",
    yourself: "yourself",
  },
  composer: {
    replyingTo: "Replying to {{name}}",
    cancelReply: "Cancel reply",
    cancelReplyMark: "×",
    label: "Message",
    placeholder: "Write a message…",
    captionPlaceholder: "Add a caption…",
    tooLong: "Messages can be at most {{max}} characters.",
    length: "{{length}} / {{max}} characters",
    invalidText: "This message is not valid Unicode (it has a lone surrogate or invalid UTF-8).",
    controlCharacter: "This message contains a control character ({{character}}); only newline and tab are allowed.",
    problem: "This message {{problem}}",
    couldNotSend: "Could not send.",
  },
  /** My message's delivery mark. */
  status: {
    sending: "Sending",
    failed: "Not sent",
    sent: "Sent",
    delivered: "Delivered",
    read: "Read",
  },
  /**
   * System lines (order steps, group changes). The server writes them in
   * English; they are read back into these sentences. {{name}} is who acted
   * ("You" when it was me), {{title}} and {{reason}} come with their quotes.
   */
  system: {
    bought: "{{name}} bought {{title}}",
    shipped: "{{name}} marked the order as shipped",
    received: "{{name}} confirmed receipt",
    cancelled: "{{name}} cancelled the order",
    cancelledReason: "{{name}} cancelled the order: {{reason}}",
    acceptedCounter: "{{name}} accepted the counter-offer and bought {{title}} for {{price}}",
    acceptedCounterOther: "{{name}} accepted the counter-offer and bought {{rest}}",
    acceptedOffer: "{{name}} accepted the offer: {{buyer}} bought {{title}} for {{price}}",
    acceptedOfferOther: "{{name}} accepted the offer: {{rest}}",
    renamed: "{{name}} renamed the group to {{title}}",
    added: "{{name}} added {{names}}",
    removed: "{{name}} removed {{names}}",
    left: "{{name}} left",
    /** "Ann added you": me as the one added or removed. */
    youObject: "you",
  },
  /** What a screen reader hears when a message arrives. */
  announce: {
    label: "New messages",
    inOpen: "{{name}}: {{text}}",
    elsewhere: "New message in {{title}}",
  },
};
