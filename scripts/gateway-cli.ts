// `npm run gateway -- <command>`: the registry CLI (src/whitelist/cli.ts), run by the project's Node.
import { runCli } from '../src/whitelist/cli.ts';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
