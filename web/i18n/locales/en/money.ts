export default {
  free: "Free",
  enterPrice: "Enter a price, or 0 to give it away.",
  negative: "The price can't be negative.",
  notAPrice: "Enter a price like 12.50",
  tooHigh: "Price must be at most {{max}}",
};
