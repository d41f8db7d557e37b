import type en from "../en/account.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
