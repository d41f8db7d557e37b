/** Offers, counter-offers and orders: the offer card in the chat, the price, buy and cancel dialogs, and the words for their states. */
export default {
  /** An offer's state, on its card. */
  state: {
    open: "Open",
    accepted: "Accepted",
    declined: "Declined",
    countered: "Countered",
    withdrawn: "Withdrawn",
    expired: "Expired",
  },
  /** A listing's state. */
  itemStatus: {
    listed: "Listed",
    reserved: "Reserved",
    sold: "Sold",
    withdrawn: "Withdrawn",
  },
  /** Under the price on an offer card. */
  headline: {
    youOffered: "You offered {{price}}",
    theyOffered: "{{name}} offered {{price}}",
    youCountered: "You countered with {{price}}",
    theyCountered: "{{name}} countered with {{price}}",
  },
  waiting: {
    forOther: "Waiting for {{name}} to answer",
    forYou: "Your answer?",
  },
  moreThanNothing: "An offer must be more than nothing.",
  /** An order's state as each side reads it. */
  order: {
    soldFor: "Sold for {{price}} — please ship the item",
    sold: "Sold — please ship the item",
    boughtFor: "Bought for {{price}} — waiting for the seller to ship",
    bought: "Bought — waiting for the seller to ship",
    shippedSeller: "Shipped — waiting for the buyer",
    shippedBuyer: "Shipped — confirm when it arrives",
    received: "Received — order complete",
    cancelled: "Order cancelled",
    cancelledByYou: "Order cancelled by you",
    cancelledBy: "Order cancelled by {{name}}",
    cancelledReason: "Order cancelled: “{{reason}}”",
    cancelledByYouReason: "Order cancelled by you: “{{reason}}”",
    cancelledByReason: "Order cancelled by {{name}}: “{{reason}}”",
  },
  card: {
    offer: "Offer",
    counterOffer: "Counter-offer",
    checking: "Checking this offer…",
    answerLabel: "Answer this offer",
    actions: {
      accept: "Accept",
      decline: "Decline",
      counter: "Counter",
      withdraw: "Withdraw",
    },
    busy: {
      accept: "Accept…",
      decline: "Decline…",
      counter: "Counter…",
      withdraw: "Withdraw…",
    },
  },
  counter: {
    title: "Counter with your price",
    hintYou: "You offered {{price}}.",
    hintThem: "{{name}} offered {{price}}.",
    submit: "Send counter-offer",
  },
  price: {
    /** An example of a price as typed (the decimal mark the field reads). */
    placeholder: "12.50",
    label: "Your price ({{currency}})",
    sending: "Sending…",
  },
  buy: {
    title: "Buy “{{title}}” for {{price}}?",
    submit: "Buy",
    submitAt: "Buy for {{price}}",
    busy: "Buying…",
    body: "The seller is told at once and ships it to you. You can cancel until it ships.",
    checkNewPrice: "Check the new price before you buy.",
    priceChanged: "The seller changed the price to {{price}}.",
    boughtFirst: "Someone bought it first.",
  },
  accept: {
    sellTitle: "Sell “{{title}}” to {{name}} for {{price}}?",
    sellUntitled: "Accept {{name}}'s offer of {{price}}?",
    buyTitle: "Buy “{{title}}” for {{price}}?",
    buyUntitled: "Accept {{name}}'s counter-offer of {{price}}?",
    sellBody: "{{name}} is told at once and the listing leaves Listings; you then ship it. You can cancel until it ships.",
  },
  makeOffer: {
    title: "Make an offer for “{{title}}”",
    hint: "Listed at {{price}}. The seller can accept, decline or counter.",
    submit: "Send offer",
  },
  cancel: {
    title: "Cancel this order?",
    submit: "Cancel order",
    busy: "Cancelling…",
    keep: "Keep the order",
    reasonRequired: "Why? (the buyer sees this)",
    reasonOptional: "Why? (optional, the seller sees this)",
    needReason: "Tell the buyer why you're cancelling.",
    backOnSale: "The listing goes back on sale.",
  },
};
