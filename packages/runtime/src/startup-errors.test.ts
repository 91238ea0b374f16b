import net from 'node:net';
import { AppError, ConfigError } from '@mediaflow/domain';
import { startupFailureLine } from './startup-errors';

async function listenError(port: number): Promise<unknown> {
  const second = net.createServer();
  return new Promise((resolve) => {
    second.once('error', resolve);
    second.listen(port, '127.0.0.1', () => {
      second.close();
      resolve(undefined);
    });
  });
}

describe('startupFailureLine', () => {
  it('names a port in use and what to do, in one line', async () => {
    const first = net.createServer();
    await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve));
    const { port } = first.address() as net.AddressInfo;
    const error = await listenError(port);
    first.close();
    const line = startupFailureLine(error);
    expect(line).toBe(
      `cannot listen on 127.0.0.1:${port}: the port is in use by another process; stop it or set PORT to a free port`,
    );
  });

  it('puts a configuration error on one line', () => {
    const line = startupFailureLine(new ConfigError(['API_KEYS: entry 1 is not valid', 'PORT: too big']));
    expect(line).toBe('invalid configuration: API_KEYS: entry 1 is not valid; PORT: too big');
  });

  it('adds the remedy an error carries, else a hint for an unreachable dependency', () => {
    const locked = new AppError(
      'DATABASE_ERROR',
      'the data directory /d is in use by another mediaflow process (pid 7)',
      {
        details: { remedy: 'stop that process, or set DATA_DIR to another directory' },
      },
    );
    expect(startupFailureLine(locked)).toBe(
      'the data directory /d is in use by another mediaflow process (pid 7); stop that process, or set DATA_DIR to another directory',
    );
    expect(startupFailureLine(new AppError('QUEUE_ERROR', 'Kafka is not reachable'))).toMatch(
      /^Kafka is not reachable; check that Kafka is running .*KAFKA_BOOTSTRAP_SERVERS/,
    );
  });

  it('leaves bugs to their stack trace', () => {
    expect(startupFailureLine(new TypeError('x is undefined'))).toBeUndefined();
    expect(startupFailureLine(new AppError('INTERNAL', 'boom'))).toBeUndefined();
  });
});
