import { loggablePath } from './access-log';

describe('loggablePath', () => {
  it('masks the playback token, a capability, and keeps the rest', () => {
    expect(loggablePath('/play/AQAAAGc2x9Zk-abc_def/stream/master.m3u8')).toBe('/play/<token>/stream/master.m3u8');
    expect(loggablePath('/jobs/1/files/stream/master.m3u8')).toBe('/jobs/1/files/stream/master.m3u8');
    expect(loggablePath('/status/play/x')).toBe('/status/play/x');
  });
});
