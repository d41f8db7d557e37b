/** The listings page, the sell form, a listing's card and the seller's controls on it. */
export default {
  title: "Listings",
  backToChats: "Back to conversations",
  sellSomething: "Sell something",
  shelves: {
    label: "Which listings",
    all: "All listings",
    mine: "My listings",
  },
  loading: "Loading listings…",
  emptyMine: "You haven't listed anything yet.",
  emptyAll: "Nothing is for sale right now. Sell something of yours!",
  /** A long description, cut to a few lines. */
  clamp: {
    more: "More",
    less: "Less",
  },
  card: {
    yours: "Your listing",
    seller: "Seller: {{name}}",
    ask: "Ask the seller",
    opening: "Opening…",
  },
  /** The seller's buttons on their own listing. */
  controls: {
    label: "Manage “{{title}}”",
    actions: {
      edit: "Edit",
      reserve: "Reserve",
      unreserve: "Put back on sale",
      withdraw: "Withdraw",
      relist: "List again",
    },
    busy: {
      edit: "Edit…",
      reserve: "Reserve…",
      unreserve: "Put back on sale…",
      withdraw: "Withdraw…",
      relist: "List again…",
    },
  },
  withdraw: {
    title: "Withdraw “{{title}}”?",
    submit: "Withdraw",
    busy: "Withdrawing…",
    body: "It leaves the catalogue. People who asked about it still see it, marked withdrawn, in their chats. You can list it again.",
  },
  /** The fields of the sell form and of the edit dialog. */
  fields: {
    title: "Title",
    pricePlaceholder: "12.50",
    price: "Price ({{currency}})",
    description: "Description",
    needTitle: "Give your listing a title.",
  },
  edit: {
    title: "Edit listing",
    priceHint: "Now {{price}}. Someone about to buy is asked again at the new price.",
  },
  sell: {
    cancel: "Cancel and go back",
    title: "Sell something",
    giveAway: "0 to give it away",
    addPhotos: "Add photos",
    photosHint: "Up to 9 photos (JPEG, PNG, WebP or GIF, at most 10 MB each)",
    submit: "List it",
    busy: "Listing…",
    listed: "Listed “{{title}}”",
    discardQuestion: "Discard this listing? What you typed is not kept.",
    discard: "Discard",
    keepEditing: "Keep editing",
  },
};
