// Saves two configurations in turn, forever, into a state directory: the
// power-loss test kills this process with SIGKILL in the middle of it.
import { ConfigStore } from "../../../modules/config/store.js";
import { NodeStorage } from "../../../hosts/node/storage.js";
import { savedConfigs } from "./configs.js";

const store = new ConfigStore({ storage: new NodeStorage({ path: process.argv[2] }) });
const configs = savedConfigs();
process.stdout.write("saving\n");
for (let i = 0; ; i++)
	store.save(configs[i & 1]);
