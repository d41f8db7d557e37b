import type { Message } from "../../shared/protocol/index.js";
import { seeded } from "../../shared/sync/testing.js";

/**
 * A chat history for the local search index bench: `n` messages over 50
 * conversations, about half Chinese, a third English and the rest both in
 * one message (prices, brands, emoji), of chat-like lengths. Deterministic
 * (seeded), so every run and engine indexes the same text.
 */

// Common characters of second-hand trading and everyday chat.
const HAN =
  "你好在吗还这个那的了是我不有人们来去看买卖价格便宜贵多少钱可以包邮发货快递明天今天下午上午晚上见面地址电话谢谢没问题好的行吧东西新旧成色全新二手自行车手机电脑衣服鞋子书桌子椅子沙发冰箱洗衣机空调颜色大小尺寸黑白红蓝绿质量不错一下再说等会儿马上已经收到付款转账退货换能不能便宜点最低出吗呢啊吧哦嗯哈对";
const PHRASES = ["还在吗", "多少钱", "可以便宜点吗", "包邮吗", "明天见面", "已经发货了", "收到了谢谢", "成色怎么样", "自行车", "二手手机", "没问题", "好的", "在的"];
const WORDS =
  "hello hi is this still available price how much can you do lower shipping free pick up tomorrow today tonight meet address thanks ok great good condition new used bike phone laptop table chair sofa fridge colour size black white red blue sold pending payment sent received refund deal yes no maybe sure please the a an and or but for with from to at in on of it that my your".split(
    " ",
  );
const EMOJI = ["👍", "🙏", "😊", "🚲", "📦", "👍🏽", "🎉"];

export function corpus(n: number, seed = 13): Message[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chinese = () => {
    let text = "";
    const length = 6 + Math.floor(random() * 25);
    while ([...text].length < length) text += random() < 0.3 ? pick(PHRASES) : pick([...HAN]);
    return text + (random() < 0.5 ? "？" : "。");
  };
  const english = () => {
    const words = Array.from({ length: 3 + Math.floor(random() * 13) }, () => pick(WORDS));
    return `${words.join(" ")}${random() < 0.3 ? "?" : "."}`;
  };
  const messages: Message[] = [];
  const seqs = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const conversationId = `c${Math.floor(random() * 50)}`;
    const seq = (seqs.get(conversationId) ?? 0) + 1;
    seqs.set(conversationId, seq);
    const kind = random();
    const body =
      kind < 0.5 ? chinese() : kind < 0.83 ? english() : `${chinese()} ${english()} ¥${Math.floor(random() * 2000)} ${random() < 0.5 ? pick(EMOJI) : "iPhone"}`;
    messages.push({
      id: `m${String(i).padStart(6, "0")}-${Math.floor(random() * 1e9).toString(36)}`,
      conversationId,
      seq,
      senderId: random() < 0.5 ? "u-me" : `u-${conversationId}`,
      clientMsgId: `cm-${i}`,
      kind: "text",
      body,
      at: 1_700_000_000_000 + i * 60_000,
    });
  }
  return messages;
}

/** Queries a person might type: one and two Chinese characters, a phrase, English prefixes, an emoji. */
export const QUERIES = ["好", "还在", "可以便宜点", "bike", "hel", "a", "👍", "still available"];
