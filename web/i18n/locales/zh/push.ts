import type en from "../en/push.js";
import type { Translation } from "../../translation.js";

export default {
  newActivity: "你有新动态。",
  photo: "[图片]",
  photoCaption: "[图片] {{caption}}",
  chat: {
    direct: {
      title: "{{name}}发来一条新消息",
      titleMany: "{{name}}发来 {{count}} 条新消息",
    },
    group: {
      title: "“{{group}}”有一条新消息",
      titleMany: "“{{group}}”有 {{count}} 条新消息",
      titleUntitled: "你的群聊有一条新消息",
      titleManyUntitled: "你的群聊有 {{count}} 条新消息",
      body: "{{name}}：{{preview}}",
    },
    hidden_other: "打开 Courier 查看。",
  },
  order: {
    title: "订单：{{item}}",
    titleNoItem: "订单：你的宝贝",
    titleHidden: "订单有新进展",
    bodyHidden: "打开 Courier 查看详情。",
    bought: "{{name}}拍下了宝贝",
    shipped: "{{name}}已发货",
    received: "{{name}}已确认收货",
    cancelled: "{{name}}取消了订单",
  },
  offer: {
    title: "出价：{{item}}",
    titleNoItem: "出价：你的宝贝",
    titleHidden: "出价有新进展",
    bodyHidden: "打开 Courier 查看详情。",
    offered: "{{name}}出价 {{price}}",
    countered: "{{name}}还价 {{price}}",
    accepted: "{{name}}接受了你 {{price}} 的出价",
    declined: "{{name}}拒绝了你 {{price}} 的出价",
    withdrawn: "{{name}}撤回了 {{price}} 的出价",
  },
  follow: {
    title: "{{name}}关注了你",
    titleMany: "你有 {{count}} 位新粉丝",
    body: "@{{username}}",
    bodyMany: "最新：{{name}}（@{{username}}）",
  },
  recall: {
    body: "{{name}}撤回了一条消息",
    yourGroup: "你的群聊",
  },
  hide: {
    body: "消息已删除",
  },
} satisfies Translation<typeof en>;
