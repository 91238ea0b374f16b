import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A test clip made at test time: colour bars with motion and a tone. */
export async function makeClip(
  filePath: string,
  options: { seconds?: number; width?: number; height?: number; audio?: boolean; video?: boolean } = {},
): Promise<void> {
  const seconds = options.seconds ?? 4;
  const size = `${options.width ?? 320}x${options.height ?? 240}`;
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  if (options.video !== false) args.push('-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`);
  if (options.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds));
  if (options.video !== false) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (options.audio !== false) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push(filePath);
  await run('ffmpeg', args);
}
