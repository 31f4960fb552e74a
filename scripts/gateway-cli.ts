// `npm run gateway -- <command>`: the registry CLI (src/whitelist/cli.ts), run by the project's Node;
// `npm run gateway -- keys <command>`: the signing keys in the HSM (src/idp/keys/cli.ts).
import { runCli } from '../src/whitelist/cli.ts';
import { runKeysCli } from '../src/idp/keys/cli.ts';

const args = process.argv.slice(2);
const code = await (args[0] === 'keys' ? runKeysCli : runCli)(args[0] === 'keys' ? args.slice(1) : args, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
