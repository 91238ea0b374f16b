import path from 'node:path';

export interface PathLabel {
  /** An absolute path, or a `file:` URL of one. */
  path: string;
  label: string;
}

/**
 * Replaces the worker's own file paths in a message that reaches API clients
 * (job errors), so they learn what went wrong without learning the worker's
 * directory layout. Longer paths go first, so a file inside a labelled
 * directory keeps its more specific label; any other `file:` URL left over
 * becomes `<file>`.
 */
export function redactPaths(text: string, labels: readonly PathLabel[]): string {
  const pairs = labels.flatMap(({ path: given, label }) => {
    const bare = given.startsWith('file:') ? given.slice('file:'.length) : given;
    if (!path.isAbsolute(bare) || bare === path.parse(bare).root) return [];
    return [
      { from: `file:${bare}`, to: label },
      { from: bare, to: label },
    ];
  });
  pairs.sort((a, b) => b.from.length - a.from.length);
  let redacted = text;
  for (const { from, to } of pairs) redacted = redacted.replaceAll(from, to);
  return redacted.replace(/file:\/[^\s'"]*/g, '<file>');
}

/**
 * Labels for an FFmpeg argv: each `file:` argument after `-i` is an input,
 * every other `file:` argument an output, and the working directory is the
 * job's directory.
 */
export function ffmpegPathLabels(args: readonly string[], cwd?: string): PathLabel[] {
  const files = args.flatMap((arg, index) =>
    arg.startsWith('file:') ? [{ arg, isInput: args[index - 1] === '-i' }] : [],
  );
  const inputs = files.filter((file) => file.isInput);
  const outputs = files.filter((file) => !file.isInput);
  const label = (kind: string, index: number, count: number): string =>
    count > 1 ? `<${kind} ${index + 1}>` : `<${kind}>`;
  return [
    ...inputs.map((file, index) => ({ path: file.arg, label: label('input', index, inputs.length) })),
    ...outputs.map((file, index) => ({ path: file.arg, label: label('output', index, outputs.length) })),
    ...(cwd === undefined ? [] : [{ path: path.resolve(cwd), label: '<job dir>' }]),
  ];
}
