import type en from "../en/conversation.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
