import type en from "../en/safety.js";
import type { Translation } from "../../translation.js";

export default {
  blockedPreview: "已隐藏：来自你屏蔽的人",
  tips: {
    text: "请在 Courier 内付款；线下交易请约在公共场所；付款前先验货。",
    dismiss: "关闭安全提示",
  },
  contactNote: "为了保障你的权益，请在 Courier 内沟通和付款。",
  menu: {
    block: "屏蔽{{name}}…",
    unblock: "解除屏蔽{{name}}",
    report: "举报{{name}}…",
    reportMessage: "举报…",
  },
  banner: {
    text: "你已屏蔽此人。",
    unblock: "解除屏蔽",
  },
  block: {
    title: "屏蔽{{name}}？",
    submit: "屏蔽",
    body: "屏蔽后，对方将无法给你发消息，也无法和你发起聊天；在群聊中你也不会再看到对方的消息。对方不会收到通知。你可以随时在“设置”中解除屏蔽。",
    done: "你已屏蔽{{name}}。",
    undone: "你已解除对{{name}}的屏蔽。",
    unblockFailed: "未能解除屏蔽。{{reason}}",
  },
  blocked: {
    heading: "已屏蔽的人",
    none: "你还没有屏蔽任何人。可以在聊天的 ⋯ 菜单中屏蔽对方。",
    unblock: "解除屏蔽",
  },
  report: {
    button: "举报",
    title: {
      message: "举报这条消息",
      user: "举报此人",
      item: "举报这件商品",
    },
    why: {
      message: "你为什么要举报这条消息？",
      user: "你为什么要举报此人？",
      item: "你为什么要举报这件商品？",
    },
    reasons: {
      scam: "诈骗或欺诈",
      offensive: "冒犯或辱骂",
      spam: "垃圾信息",
      prohibited: "违禁物品",
      other: "其他原因",
    },
    note: "还有什么要补充的吗？（选填）",
    privateUser: "举报内容只有 Courier 团队能看到，对方不会知道是你举报的。",
    privateOther: "举报内容只有 Courier 团队能看到，对方不会知道是你举报的。",
    chooseReason: "请选择一个原因。",
    cantSend: "这条举报无法发送。",
    thanks: "感谢你的举报，我们会尽快核实处理。",
  },
} satisfies Translation<typeof en>;
