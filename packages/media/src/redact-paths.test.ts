import { ffmpegPathLabels, redactPaths } from './redact-paths';

describe('redactPaths', () => {
  const job = '/tmp/mediaflow-job-Ab12Cd';
  const args = [
    '-hide_banner',
    '-i',
    `file:${job}/source.mp4`,
    '-c:v',
    'libx264',
    '-f',
    'mp4',
    `file:${job}/output.mp4`,
  ];
  const labels = ffmpegPathLabels(args, job);

  it('labels inputs, outputs and the job directory', () => {
    expect(labels).toEqual([
      { path: `file:${job}/source.mp4`, label: '<input>' },
      { path: `file:${job}/output.mp4`, label: '<output>' },
      { path: job, label: '<job dir>' },
    ]);
  });

  it('numbers several inputs or outputs', () => {
    const many = ffmpegPathLabels(['-i', 'file:/a/1.mp4', '-i', 'file:/a/2.mp4', 'file:/a/out.mp4']);
    expect(many.map((entry) => entry.label)).toEqual(['<input 1>', '<input 2>', '<output>']);
  });

  it('replaces paths with and without the file: prefix, most specific first', () => {
    const message = [
      `file:${job}/source.mp4: Invalid data found when processing input`,
      `Error opening output ${job}/output.mp4`,
      `cannot write ${job}/output.mp4.tmp`,
      `left over in ${job}/other`,
    ].join(' | ');
    const redacted = redactPaths(message, labels);
    expect(redacted).toBe(
      '<input>: Invalid data found when processing input | Error opening output <output> | ' +
        'cannot write <output>.tmp | left over in <job dir>/other',
    );
    expect(redacted).not.toContain('/tmp');
  });

  it('hides any other file: URL', () => {
    expect(redactPaths("could not open 'file:/var/lib/secret/x.ts'", [])).toBe("could not open '<file>'");
  });

  it('ignores relative paths and the root, which would match too much', () => {
    const message = 'out.mp4: error at /';
    expect(
      redactPaths(message, [
        { path: 'out.mp4', label: '<output>' },
        { path: '/', label: '<root>' },
      ]),
    ).toBe(message);
  });
});
