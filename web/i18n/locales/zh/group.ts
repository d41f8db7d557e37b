import type en from "../en/group.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
