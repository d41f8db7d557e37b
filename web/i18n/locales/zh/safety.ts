import type en from "../en/safety.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
