import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

/** The newest CLI version that `go install` accepts (later ones carry a `replace` directive). */
export const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** The SDK whose default CLI release we download, as its own test environment asks for it. */
const sdkVersion: string = require('@temporalio/worker/package.json').version;

/** The file the SDK's test environment caches its download in, so either one reuses the other's. */
export const cachedCliName = `temporal-sdk-typescript-${sdkVersion}${process.platform === 'win32' ? '.exe' : ''}`;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Downloads the official CLI to `dest` the way @temporalio/testing does (sdk-core's ephemeral server): ask
 * temporal.download for the archive of this platform, extract the executable.
 */
export async function downloadTemporalCli(dest: string): Promise<void> {
  const platform = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'windows' : 'linux';
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new Error(`no Temporal CLI release for ${process.arch}`);
  const query = new URLSearchParams({ arch, platform, format: 'tar.gz', 'sdk-name': 'sdk-typescript', 'sdk-version': sdkVersion });
  const infoUrl = `https://temporal.download/cli/default?${query}`;
  const info = await fetch(infoUrl, { signal: AbortSignal.timeout(30_000) });
  if (!info.ok) throw new Error(`${infoUrl} answered ${info.status}`);
  const { archiveUrl, fileToExtract } = (await info.json()) as { archiveUrl: string; fileToExtract: string };
  const archive = await fetch(archiveUrl, { signal: AbortSignal.timeout(300_000) });
  if (!archive.ok || !archive.body) throw new Error(`${archiveUrl} answered ${archive.status}`);
  // Extracted beside `dest` and renamed into place, so a broken download never looks like a cached CLI.
  const scratch = await mkdtemp(path.join(path.dirname(dest), '.temporal-download-'));
  try {
    const file = path.join(scratch, 'cli.tar.gz');
    await pipeline(Readable.fromWeb(archive.body as ReadableStream), createWriteStream(file));
    execFileSync('tar', ['-xzf', file, '-C', scratch, fileToExtract]);
    chmodSync(path.join(scratch, fileToExtract), 0o755);
    await rename(path.join(scratch, fileToExtract), dest);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Builds the CLI with `go install` into `$(go env GOPATH)/bin` (minutes, once). */
function goInstall(go: string): void {
  const result = spawnSync(go, ['install', temporalCliModule], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`go install ${temporalCliModule} failed (exit ${result.status}); see the output above`);
}

export interface CliSearch {
  env: NodeJS.ProcessEnv;
  /** Where Go lives when it is not on PATH (a non-login shell often lacks /usr/local/go/bin). */
  goFallbacks: string[];
  log(line: string): void;
  /** Where a downloaded CLI is kept: the OS temp dir, as the SDK's test environment keeps it. */
  cacheDir: string;
  download(dest: string): Promise<void>;
  goInstall(go: string): void;
}

const defaultSearch: CliSearch = {
  env: process.env,
  goFallbacks: ['/usr/local/go/bin/go'],
  log: () => undefined,
  cacheDir: os.tmpdir(),
  download: downloadTemporalCli,
  goInstall,
};

/**
 * Finds the Temporal CLI: `$TEMPORAL_CLI`, `temporal` on PATH, a downloaded one in the cache, one Go built
 * before; else downloads the official release (as the SDK's test environment does) and, when that fails,
 * builds it with `go install`. Logs which of the last two it took. Without either, fails with instructions.
 */
export async function resolveTemporalCli(search: Partial<CliSearch> = {}): Promise<string> {
  const { env, goFallbacks, log, cacheDir, download, goInstall: install } = { ...defaultSearch, ...search };
  const fromEnv = env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = onPath('temporal', env.PATH ?? '');
  if (found) return found;
  const cached = path.join(cacheDir, cachedCliName);
  if (isExecutable(cached)) return cached;
  const go = onPath('go', env.PATH ?? '') ?? goFallbacks.find(isExecutable);
  const built = go && path.join(execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(path.delimiter)[0], 'bin', 'temporal');
  if (built && isExecutable(built)) return built;

  log(`downloading the Temporal CLI (SDK ${sdkVersion} default release) to ${cached}`);
  let downloadFailure: string;
  try {
    await download(cached);
    log(`Temporal CLI downloaded: ${cached}`);
    return cached;
  } catch (err) {
    downloadFailure = err instanceof Error ? err.message : String(err);
  }
  if (!built) {
    throw new Error(
      `The Temporal CLI was not found, its download failed (${downloadFailure}) and Go is not installed to build it. ` +
        `Install Go (https://go.dev/dl) and run \`go install ${temporalCliModule}\`, or put the \`temporal\` binary on PATH, ` +
        'or set TEMPORAL_CLI to its path.',
    );
  }
  log(`the Temporal CLI download failed (${downloadFailure}); building it instead: go install ${temporalCliModule} (first time only, takes minutes)`);
  install(go!);
  if (!isExecutable(built)) throw new Error(`go install ${temporalCliModule} left no executable at ${built}`);
  return built;
}
