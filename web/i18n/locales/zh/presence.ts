import type en from "../en/presence.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
