// `npm start`: the gateway with the configuration from GATEWAY_CONFIG and the environment. With no
// configuration at all it is the sandbox: in-memory store, generated keys, BankID simulator, demo RP.
import { loadConfig, ConfigError } from './config.ts';
import { createLogger } from './log.ts';
import { startGateway } from './gateway.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  let gateway;
  try {
    gateway = await startGateway(config, { logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`refusing to start: ${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    process.exit(1);
  }
  logger.info({ issuer: gateway.url, mode: config.mode, store: gateway.store.kind, bankid: gateway.sandboxBankId ? 'simulator' : 'configured' }, 'gateway listening');
  if (config.mode === 'sandbox') {
    process.stdout.write(`\nSandbox gateway ready: open ${gateway.url}/ (demo app: ${gateway.url}/sandbox/rp)\n\n`);
  }
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

await main();
