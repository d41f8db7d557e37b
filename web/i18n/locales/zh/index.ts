import common from "./common.js";
import time from "./time.js";
import money from "./money.js";
import errors from "./errors.js";
import language from "./language.js";
import connection from "./connection.js";
import auth from "./auth.js";
import shell from "./shell.js";
import settings from "./settings.js";
import account from "./account.js";
import install from "./install.js";
import notifications from "./notifications.js";
import presence from "./presence.js";
import chats from "./chats.js";
import newChat from "./newChat.js";
import search from "./search.js";
import conversation from "./conversation.js";
import photos from "./photos.js";
import group from "./group.js";
import listings from "./listings.js";
import offers from "./offers.js";
import item from "./item.js";
import safety from "./safety.js";
import push from "./push.js";

import type { Translation } from "../../translation.js";
import type { Messages } from "../en/index.js";

export const zh: Translation<Messages> = {
  common,
  time,
  money,
  errors,
  language,
  connection,
  auth,
  shell,
  settings,
  account,
  install,
  notifications,
  presence,
  chats,
  newChat,
  search,
  conversation,
  photos,
  group,
  listings,
  offers,
  item,
  safety,
  push,
};
