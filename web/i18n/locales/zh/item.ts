import type en from "../en/item.js";
import type { Translation } from "../../translation.js";

export default {
  label: "商品",
  loading: "正在加载商品…",
  yours: "你发布的商品",
  seller: "卖家：{{name}}",
  photoOf: "{{title}}的照片",
  yourOfferWaiting: "你出价 {{price}}，正在等卖家回复。",
  sellerOffered: "卖家出价 {{price}}，请在聊天中回复。",
  buy: "购买",
  makeOffer: "出价",
  markShipped: "确认发货",
  confirmReceived: "确认收货",
  cancelOrder: "取消订单",
} satisfies Translation<typeof en>;
