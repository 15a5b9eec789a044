// @relayd/sdk/db: the plugin's durable state. Import it as a namespace:
//
//   import * as db from "@relayd/sdk/db";

export * from "./assembly/db";
