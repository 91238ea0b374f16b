import { LineReporter } from './progress';

describe('LineReporter', () => {
  it('writes phase changes at once, and percentages at most once per interval', () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = new LineReporter(
      (line) => lines.push(line),
      () => now,
      1000,
    );
    reporter.update({ phase: 'upload', percent: 0, detail: '0 B/1 MiB' });
    reporter.update({ phase: 'upload', percent: 40, detail: '' }); // too soon
    now = 1500;
    reporter.update({ phase: 'upload', percent: 40.7, detail: '' });
    reporter.update({ phase: 'upload', percent: 100, detail: 'done' }); // 100% always shows
    reporter.update({ phase: 'processing', percent: 12.5, detail: 'speed 3.1x, ETA 7s' });
    reporter.update({ phase: 'processing', percent: 12.9, detail: '' }); // same whole percent
    reporter.note('job 1 queued');
    reporter.update({ phase: 'download', percent: undefined, detail: '5 B' });
    expect(lines).toEqual([
      'upload 0% 0 B/1 MiB',
      'upload 40%',
      'upload 100% done',
      'processing 12% speed 3.1x, ETA 7s',
      'job 1 queued',
      'download 5 B',
    ]);
  });
});
