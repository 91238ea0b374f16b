import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('runs embedded with nothing configured', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8000,
      DB_BACKEND: 'embedded',
      QUEUE_BACKEND: 'memory',
      STORAGE_BACKEND: 'local',
      KAFKA_PARTITIONS: 12,
      OUTPUT_PREFIX: 'outputs/',
      MAX_ATTEMPTS: 3,
    });
  });

  it('defaults to no test-server workarounds and migrations as an explicit step', () => {
    expect(loadConfig({})).toMatchObject({ DATABASE_COMPAT: 'none', DATABASE_MIGRATE: 'manual' });
    expect(loadConfig({ DATABASE_COMPAT: '', DATABASE_MIGRATE: ' ' })).toMatchObject({
      DATABASE_COMPAT: 'none',
      DATABASE_MIGRATE: 'manual',
    });
  });

  it('reads DATABASE_COMPAT and DATABASE_MIGRATE', () => {
    for (const compat of ['none', 'ferretdb-v1', 'dynalite'] as const) {
      expect(loadConfig({ DATABASE_COMPAT: compat }).DATABASE_COMPAT).toBe(compat);
    }
    for (const migrate of ['manual', 'on-start'] as const) {
      expect(loadConfig({ DATABASE_MIGRATE: migrate }).DATABASE_MIGRATE).toBe(migrate);
    }
  });

  it('refuses an unknown DATABASE_COMPAT or DATABASE_MIGRATE, naming the variable', () => {
    expect(() => loadConfig({ DATABASE_COMPAT: 'ferretdb' })).toThrow(/DATABASE_COMPAT.*\(got "ferretdb"\)/);
    expect(() => loadConfig({ DATABASE_MIGRATE: 'always' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_MIGRATE: 'always' })).toThrow(/DATABASE_MIGRATE/);
  });

  it('derives the distributed backends from their connection settings', () => {
    const config = loadConfig({
      MONGO_URL: 'mongodb://db:27017',
      KAFKA_BOOTSTRAP_SERVERS: 'k1:9092, k2:9092',
      S3_ENDPOINT: 'http://s3:9000',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.DB_BACKEND).toBe('mongodb');
    expect(config.QUEUE_BACKEND).toBe('kafka');
    expect(config.KAFKA_BOOTSTRAP_SERVERS).toEqual(['k1:9092', 'k2:9092']);
    expect(config.STORAGE_BACKEND).toBe('s3');
    expect(config.S3_FORCE_PATH_STYLE).toBe(true);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({
      MONGO_URL: '',
      S3_ENDPOINT: ' ',
      KAFKA_BOOTSTRAP_SERVERS: '',
      DB_BACKEND: '',
      PORT: '',
    });
    expect(config).toMatchObject({
      DB_BACKEND: 'embedded',
      STORAGE_BACKEND: 'local',
      QUEUE_BACKEND: 'memory',
      PORT: 8000,
    });
  });

  it('normalises the output prefix to end with a slash', () => {
    expect(loadConfig({ OUTPUT_PREFIX: 'results' }).OUTPUT_PREFIX).toBe('results/');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ KAFKA_PARTITIONS: '0' }, 'KAFKA_PARTITIONS'],
    [{ DB_BACKEND: 'postgres' }, 'DB_BACKEND'],
    [{ DB_BACKEND: 'mongodb' }, 'MONGO_URL'],
    [{ QUEUE_BACKEND: 'kafka' }, 'KAFKA_BOOTSTRAP_SERVERS'],
    [{ S3_FORCE_PATH_STYLE: 'sometimes' }, 'S3_FORCE_PATH_STYLE'],
    [{ INPUT_BUCKET: 'Bad_Bucket' }, 'INPUT_BUCKET'],
    [{ S3_ENDPOINT: 'not a url' }, 'S3_ENDPOINT'],
  ])('names the bad variable in %p', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:[\\s\\S]*${variable}`));
  });
});

describe('config errors and secrets', () => {
  it('names a bad secret without echoing its value', () => {
    let message = '';
    try {
      loadConfig({ PLAYBACK_SIGNING_SECRET: 'too-short-but-secret' });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toContain('PLAYBACK_SIGNING_SECRET');
    expect(message).not.toContain('too-short-but-secret');
  });
});
