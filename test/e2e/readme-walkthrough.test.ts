import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../support/processes';

/**
 * The README's walk-through, run as a reader would: every ```bash block marked
 * `<!-- walkthrough:run -->`, in order, in one bash shell (variables carry over)
 * with `set -euo pipefail`, against a live `npm start` server (the embedded
 * mode: services/api/dist/embedded.js) in a fresh directory. A
 * `<!-- walkthrough:restart -->` marker restarts the server there, as the
 * README tells the reader to.
 */

type Step = { kind: 'run'; code: string; line: number } | { kind: 'restart'; line: number };

export function walkthroughSteps(readme: string): Step[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.startsWith('## Walk-through'));
  if (start < 0) throw new Error('README.md has no "## Walk-through" section');
  const steps: Step[] = [];
  let runNext = false;
  for (let index = start + 1; index < lines.length && !lines[index].startsWith('## '); index += 1) {
    const line = lines[index].trim();
    if (line === '<!-- walkthrough:run -->') runNext = true;
    else if (line === '<!-- walkthrough:restart -->') steps.push({ kind: 'restart', line: index + 1 });
    else if (line === '```bash') {
      const end = lines.indexOf('```', index + 1);
      if (runNext) steps.push({ kind: 'run', code: lines.slice(index + 1, end).join('\n'), line: index + 1 });
      runNext = false;
      index = end;
    }
  }
  return steps;
}

function script(steps: Step[], entry: string): string {
  const prelude = `set -euo pipefail
start_server() {
  node ${JSON.stringify(entry)} >>server.log 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "$MEDIAFLOW_URL/healthz" >/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited"; tail -n 20 server.log; return 1; }
    sleep 0.2
  done
  echo "server not up"; return 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" || true; }
trap stop_server EXIT
start_server
`;
  const body = steps.map((step) =>
    step.kind === 'restart'
      ? `echo "::: README line ${step.line}: restart"\nstop_server\nstart_server`
      : `echo "::: README line ${step.line}"\n${step.code}`,
  );
  return `${prelude}\n${body.join('\n')}\necho "::: walk-through done"\n`;
}

async function runBash(
  code: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  const child = spawn('bash', ['-c', code], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { status, output };
}

describe('the README walk-through', () => {
  it('marks its runnable blocks and has no placeholders that cannot be pasted', async () => {
    const steps = walkthroughSteps(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    const runnable = steps.filter((step) => step.kind === 'run');
    expect(runnable.length).toBeGreaterThanOrEqual(4);
    expect(steps.some((step) => step.kind === 'restart')).toBe(true);
    for (const step of runnable) {
      expect(step.code).not.toContain('…');
      // Every call after the keys exist carries one, but the one showing the 401 without it.
      for (const line of step.code
        .split('\n')
        .filter((text) => /curl .*\/(process|status|download|jobs|uploads)/.test(text) && !text.includes('# 401'))) {
        expect(line).toMatch(/-H "\$(AUTH|ADMIN)"/);
      }
    }
  });

  it('runs, every block in order, against a live npm start server', async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mf-walkthrough-'));
    const port = await freePort();
    try {
      // Only what a reader's shell would have: none of the test services' variables,
      // which would take the server out of the embedded mode.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR ?? os.tmpdir(),
        MEDIAFLOW_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(dir, 'data'),
        LOG_LEVEL: 'warn',
      };
      const entry = path.join(REPO_ROOT, 'services/api/dist/embedded.js');
      const { status, output } = await runBash(script(walkthroughSteps(readme), entry), dir, env);
      if (status !== 0) {
        const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
        throw new Error(`walk-through failed (exit ${status}):\n${output}\n--- server log\n${log.slice(-6_000)}`);
      }
      expect(output).toContain('::: walk-through done');
      expect(output).toMatch(/^401$/m);
      expect(output).toMatch(/^403$/m);
      expect(output).toMatch(/^204$/m);
      expect(output).toContain('"status":"completed"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
