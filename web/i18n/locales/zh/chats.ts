import type en from "../en/chats.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
