import fs from 'node:fs';
import { ConfigError, createLogger, loadConfig } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';

/**
 * Reads `.env` (when present) and the environment, then parses the config.
 * A bad setting stops the process here, before anything connects, with a
 * message that names the variable.
 */
export function bootConfig(service: string): { config: AppConfig; logger: Logger } {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, service });
  return { config, logger };
}
