import type en from "../en/listings.js";
import type { Translation } from "../../translation.js";

export default {
  title: "商品",
  backToChats: "返回聊天列表",
  sellSomething: "发布闲置",
  shelves: {
    label: "显示哪些商品",
    all: "全部商品",
    mine: "我发布的",
  },
  loading: "正在加载商品…",
  emptyMine: "你还没有发布过商品。",
  emptyAll: "现在没有在售的商品，来卖点东西吧！",
  clamp: {
    more: "展开",
    less: "收起",
  },
  card: {
    yours: "你发布的商品",
    seller: "卖家：{{name}}",
    ask: "问问卖家",
    opening: "正在打开…",
  },
  controls: {
    label: "管理“{{title}}”",
    actions: {
      edit: "编辑",
      reserve: "预留",
      unreserve: "恢复在售",
      withdraw: "下架",
      relist: "重新上架",
    },
    busy: {
      edit: "正在编辑…",
      reserve: "正在预留…",
      unreserve: "正在恢复在售…",
      withdraw: "正在下架…",
      relist: "正在重新上架…",
    },
  },
  withdraw: {
    title: "下架“{{title}}”？",
    submit: "下架",
    busy: "正在下架…",
    body: "商品将不再出现在商品列表中。问过这件商品的人仍能在聊天里看到它，并显示为已下架。你之后可以重新上架。",
  },
  fields: {
    title: "标题",
    pricePlaceholder: "12.50",
    price: "价格（{{currency}}）",
    description: "描述",
    needTitle: "请给商品起个标题。",
  },
  edit: {
    title: "编辑商品",
    priceHint: "当前价格 {{price}}。正准备购买的人会按新价格再确认一次。",
  },
  sell: {
    cancel: "取消并返回",
    title: "发布闲置",
    giveAway: "填 0 表示免费送",
    addPhotos: "添加照片",
    photosHint: "最多 9 张照片（JPEG、PNG、WebP 或 GIF，每张不超过 10 MB）",
    submit: "发布",
    busy: "正在发布…",
    listed: "已发布“{{title}}”",
    discardQuestion: "放弃这条发布？已填写的内容不会保留。",
    discard: "放弃",
    keepEditing: "继续编辑",
  },
} satisfies Translation<typeof en>;
