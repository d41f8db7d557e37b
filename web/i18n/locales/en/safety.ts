/** Blocking, reporting, the item chat's safety tips and the note about contact details. */
export default {
  /** The chat list's preview of a group whose newest message is from someone I block. */
  blockedPreview: "Hidden: from someone you blocked",
  tips: {
    text: "Pay in Courier; meet in public; check the item before you pay.",
    dismiss: "Dismiss the safety tips",
  },
  contactNote: "Keep the conversation and payment in Courier — it protects you.",
  menu: {
    block: "Block {{name}}…",
    unblock: "Unblock {{name}}",
    report: "Report {{name}}…",
    reportMessage: "Report…",
  },
  banner: {
    text: "You blocked this person.",
    unblock: "Unblock",
  },
  block: {
    title: "Block {{name}}?",
    submit: "Block",
    body: "They won't be able to message you or start a chat with you, and you won't see their messages in groups. They aren't told. You can unblock them in Settings.",
    done: "You blocked {{name}}.",
    undone: "You unblocked {{name}}.",
    unblockFailed: "Not unblocked. {{reason}}",
  },
  /** Settings → Blocked people. */
  blocked: {
    heading: "Blocked people",
    none: "You haven't blocked anyone. Block someone from a chat's ⋯ menu.",
    unblock: "Unblock",
  },
  report: {
    button: "Report",
    title: {
      message: "Report this message",
      user: "Report this person",
      item: "Report this listing",
    },
    why: {
      message: "Why are you reporting this message?",
      user: "Why are you reporting this person?",
      item: "Why are you reporting this listing?",
    },
    reasons: {
      scam: "Scam or fraud",
      offensive: "Offensive or abusive",
      spam: "Spam",
      prohibited: "Prohibited item",
      other: "Something else",
    },
    note: "Anything to add? (optional)",
    privateUser: "Only Courier's team sees reports; they won't know it was you.",
    privateOther: "Only Courier's team sees reports; the person won't know it was you.",
    chooseReason: "Choose a reason.",
    cantSend: "That can't be sent.",
    thanks: "Thanks for telling us. We'll look into it.",
  },
};
