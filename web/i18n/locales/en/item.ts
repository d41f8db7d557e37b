/** The panel at the top of an item chat: the listing, the order, and the steps each side may take. */
export default {
  label: "Listing",
  loading: "Loading listing…",
  yours: "Your listing",
  seller: "Seller: {{name}}",
  photoOf: "Photo of {{title}}",
  yourOfferWaiting: "Your offer of {{price}} is waiting for the seller.",
  sellerOffered: "The seller offered {{price}}: answer it in the chat.",
  buy: "Buy",
  makeOffer: "Make an offer",
  markShipped: "Mark shipped",
  confirmReceived: "Confirm received",
  cancelOrder: "Cancel order",
};
