import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The newest CLI version that `go install` accepts (later ones carry a `replace` directive). */
export const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

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

export interface CliSearch {
  env: NodeJS.ProcessEnv;
  /** Where Go lives when it is not on PATH (a non-login shell often lacks /usr/local/go/bin). */
  goFallbacks: string[];
  log(line: string): void;
}

const defaultSearch: CliSearch = { env: process.env, goFallbacks: ['/usr/local/go/bin/go'], log: () => undefined };

/**
 * Finds the Temporal CLI: `$TEMPORAL_CLI`, `temporal` on PATH, `$(go env GOPATH)/bin/temporal`, else builds it
 * with `go install` (minutes, once). Without Go, fails with instructions.
 */
export function resolveTemporalCli(search: Partial<CliSearch> = {}): string {
  const { env, goFallbacks, log } = { ...defaultSearch, ...search };
  const fromEnv = env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = onPath('temporal', env.PATH ?? '');
  if (found) return found;
  const go = onPath('go', env.PATH ?? '') ?? goFallbacks.find(isExecutable);
  if (!go) {
    throw new Error(
      'The Temporal CLI was not found and Go is not installed to build it. Install Go (https://go.dev/dl) and run ' +
        `\`go install ${temporalCliModule}\`, or put the \`temporal\` binary on PATH, or set TEMPORAL_CLI to its path.`,
    );
  }
  const gopath = execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
  const built = path.join(gopath.split(path.delimiter)[0], 'bin', 'temporal');
  if (isExecutable(built)) return built;
  log(`building the Temporal CLI: go install ${temporalCliModule} (first time only, takes minutes)`);
  const result = spawnSync(go, ['install', temporalCliModule], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0 || !isExecutable(built)) {
    throw new Error(`go install ${temporalCliModule} failed (exit ${result.status}); see the output above`);
  }
  return built;
}
